"""Start-up: ``paiwei --help`` and every command's ``--help`` load no heavy library.

Each command is imported only when it runs (paiwei/cli/_lazy.py), and a command module
imports what its command needs inside the function. These tests look at ``sys.modules``
in a fresh interpreter, not at the clock: a timing assertion would fail on a busy
machine and pass a regression on a quiet one (docs/benchmarks.md has the timings).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from paiwei.cli import COMMANDS, app

# Libraries some commands need when they run, and none needs to print its help. (Not
# pydantic: Typer itself converts parameters with it once it builds a command.)
HEAVY = frozenset({
    "alembic", "fastapi", "jinja2", "numpy", "openpyxl", "psycopg", "pydantic_settings",
    "scipy", "sqlalchemy", "starlette", "uvicorn",
})

PROBE = """
import json, sys
from paiwei.cli import main
sys.argv = ["paiwei", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exc:
    status = exc.code
sys.stdout.flush()
print()
print(json.dumps({"status": status, "modules": sorted({m.partition(".")[0] for m in sys.modules})}))
"""


def loaded_by(*argv: str) -> tuple[int, set[str]]:
    """Run ``paiwei ARGV`` in a fresh interpreter; its exit status and the top-level
    packages it imported."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.stderr == "" or proc.stdout, proc.stderr
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    return last["status"], set(last["modules"])


@pytest.mark.parametrize("argv", [(), ("--help",)], ids=["bare", "--help"])
def test_paiwei_help_imports_no_heavy_library(argv: tuple[str, ...]) -> None:
    status, modules = loaded_by(*argv)
    assert status == (2 if not argv else 0)
    assert modules & HEAVY == set()


def test_paiwei_help_imports_no_command_module() -> None:
    proc = subprocess.run(
        [sys.executable, "-c",
         "import sys\nfrom paiwei.cli import main\nsys.argv = ['paiwei', '--help']\n"
         "try:\n    main()\nexcept SystemExit:\n    pass\n"
         "print(sorted(m for m in sys.modules if m.startswith('paiwei.cli.')), file=sys.stderr)"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.stderr.strip() == "['paiwei.cli._common', 'paiwei.cli._lazy']"
    for name in COMMANDS:
        assert f" {name} " in proc.stdout


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_help_imports_no_heavy_library(name: str) -> None:
    status, modules = loaded_by(name, "--help")
    assert status == 0
    assert modules & HEAVY == set(), f"paiwei {name} --help imports {sorted(modules & HEAVY)}"


def _first_paragraph(text: str | None) -> str:
    return " ".join((text or "").split("\n\n")[0].split())


@pytest.mark.parametrize("name", list(COMMANDS))
def test_listed_help_is_the_command_own(name: str) -> None:
    """The line ``paiwei --help`` shows without importing a command is the first paragraph
    of that command's own help (so the two cannot drift apart)."""
    import typer  # noqa: PLC0415

    root = typer.main.get_command(app)
    ctx = typer.Context(root)
    command = root.get_command(ctx, name)  # type: ignore[attr-defined]
    assert command is not None
    assert command.name == name
    assert _first_paragraph(command.help) == _first_paragraph(COMMANDS[name].help)


def test_unknown_command_suggests_a_lazy_one() -> None:
    proc = subprocess.run(
        [sys.executable, "-c",
         "import sys\nfrom paiwei.cli import main\nsys.argv = ['paiwei', 'verfy']\nmain()"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: paiwei: No such command 'verfy'. Did you mean 'verify'?"

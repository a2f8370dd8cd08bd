"""The one-file verifier: ``paiwei_verify.py``, built from this package's own sources.

The file holds the source of every module of ``seeding`` and ``lottery`` as text and a
small importer that loads them from there, so ``python paiwei_verify.py ...`` needs only
Python and ``cryptography`` (NumPy and orjson still accelerate when present, with the same
answer). It is written into every publication folder with its SHA-256 in ``index.json``;
built again from the same sources it is byte-identical.
"""

from __future__ import annotations

import hashlib
from importlib import resources

FILE_NAME = "paiwei_verify.py"
PACKAGES = ("seeding", "lottery")

_HEAD = '''#!/usr/bin/env python3
"""paiwei_verify.py: the notary's verifier for paiwei draws, in one file (派位结果核验程序).

Needs Python 3.11+ and `cryptography` (pip install cryptography); NumPy and orjson are
optional accelerators that never change an answer. Usage:

  python paiwei_verify.py bundle BUNDLE.json... --keys keys.json    one draw bundle (or more)
  python paiwei_verify.py season PUBLICATION_DIR --keys keys.json   a whole published season
  python paiwei_verify.py proof PROOF.json --statement freeze-statement.json --applicant ID

Exit status: 0 valid, 1 invalid (each failed check named), 2 unreadable or malformed.
The report's labels are in Chinese and English (报告为中英对照); add --json for the
machine-readable report. A round's drand beacon record (rounds/<round>/beacon.json) is
re-checked offline; its BLS signature needs py_ecc (pip install py_ecc), and without it
that one step is reported skipped (跳过). The protocol: docs/draw-spec.md of paiwei.
"""

import importlib.abc
import importlib.util
import sys

SOURCES = {
'''

_TAIL = '''}


class _Embedded(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Loads seeding and lottery from SOURCES, never from an installed copy."""

    def find_spec(self, name, path=None, target=None):
        if name in SOURCES:
            package = SOURCES[name][0]
            return importlib.util.spec_from_loader(name, self, is_package=package)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        package, source = SOURCES[module.__name__]
        if package:
            module.__path__ = []
        exec(compile(source, "<paiwei_verify.py:" + module.__name__ + ">", "exec"), module.__dict__)


VERDICT_ZH = {0: "核验结论：全部检查通过（VALID）。",
              1: "核验结论：未通过，见上方标为 FAIL 的检查项（INVALID）。",
              2: "核验结论：文件无法读取或格式不正确。"}


def main(argv):
    sys.meta_path.insert(0, _Embedded())
    commands = {"bundle": ("lottery._verifier", "main"), "season": ("lottery._season", "main"),
                "proof": ("lottery._proofs", "main")}
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    module_name, function = commands[argv[0]]
    module = importlib.import_module(module_name)
    if "--json" in argv or "-h" in argv or "--help" in argv:
        return getattr(module, function)(argv[1:])
    # The report with Chinese and English labels (lottery._bilingual), then the verdict.
    bilingual = importlib.import_module("lottery._bilingual")
    code = bilingual.run(argv[0], getattr(module, function), argv[1:])
    print(VERDICT_ZH.get(code, VERDICT_ZH[2]))
    return code


import importlib  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
'''


def source() -> bytes:
    """The text of ``paiwei_verify.py``, from the installed sources of seeding and lottery."""
    parts = [_HEAD]
    for package in PACKAGES:
        root = resources.files(package)
        names = sorted(p.name for p in root.iterdir() if p.name.endswith(".py"))
        for name in names:
            text = (root / name).read_text(encoding="utf-8")
            module = package if name == "__init__.py" else f"{package}.{name[:-3]}"
            parts.append(f"    {module!r}: ({name == '__init__.py'}, {text!r}),\n")
    parts.append(_TAIL)
    return "".join(parts).encode("utf-8")


def sha256() -> str:
    return hashlib.sha256(source()).hexdigest()

"""Writing a rehearsal's files all at once: into a fresh directory beside the target,
then one rename. A reader sees no directory or the whole of it, never a part."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import orjson

from paiwei.rehearsal.errors import RehearsalInputError

MARKER = "summary.json"
OUTPUT_FORMATS = (b"paiwei-rehearsal/1", b"paiwei-forecast/1")


def _is_previous_output(path: Path) -> bool:
    """An existing directory holding only an earlier rehearsal's output (or nothing)."""
    if not path.is_dir():
        return False
    entries = list(path.iterdir())
    if not entries:
        return True
    marker = path / MARKER
    try:
        fmt = orjson.loads(marker.read_bytes()).get("format", "")
    except (OSError, orjson.JSONDecodeError, AttributeError):
        return False
    return isinstance(fmt, str) and fmt.encode() in OUTPUT_FORMATS


def check_target(out: Path) -> None:
    """Raise RehearsalInputError if ``out`` exists and is not an earlier rehearsal's output."""
    if out.exists() and not _is_previous_output(out):
        raise RehearsalInputError(
            "exists and is not an earlier rehearsal's output; refusing to replace it", str(out)
        )


def write_tree(out: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` (relative path -> bytes) as the directory ``out``, atomically.

    An earlier rehearsal's output at ``out`` is replaced; anything else there is
    refused (RehearsalInputError). Raises OSError when the disk refuses.
    """
    check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        for name, data in files.items():
            target = tmp / name
            if Path(name).is_absolute() or ".." in Path(name).parts:
                raise ValueError(f"file name outside the output: {name!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        tmp.chmod(0o755)
        old: Path | None = None
        if out.exists():
            old = out.with_name(f".{out.name}.{os.getpid()}.old")
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_file(path: Path, data: bytes, *, force: bool = False) -> None:
    """Write one file atomically (temporary file, then rename); refuse to overwrite unless ``force``."""
    if path.exists() and not force:
        raise RehearsalInputError("exists; refusing to overwrite it (use --force)", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        Path(name).chmod(0o644)
        Path(name).replace(path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise

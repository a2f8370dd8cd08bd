"""Atomic file-system writes: a reader sees the old bytes or the new ones, never a part.

Every file goes to a temporary name in the same directory, is fsync'd, then renamed
over the target; a new directory is filled under a temporary name beside the target,
fsync'd, then renamed into place. Renames within one file system are atomic on POSIX.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

_deferred = 0  # > 0 inside deferred_sync(): no fsync per file, one sync when the last one ends


@contextlib.contextmanager
def deferred_sync() -> Iterator[None]:
    """Within: every file and directory still appears by an atomic rename (a reader sees the
    old bytes or the new ones), but nothing is fsync'd one by one; the file system is synced
    once on leaving. For a throw-away folder written in bulk (``paiwei demo``): a power cut
    may lose the last writes, never mix them. Not for the service's own publication."""
    global _deferred  # noqa: PLW0603
    _deferred += 1
    try:
        yield
    finally:
        _deferred -= 1
        if not _deferred:
            sync_tree()


def _fsync(fd: int) -> None:
    if not _deferred:
        os.fsync(fd)


def _fsync_dir(path: Path) -> None:
    if _deferred:
        return
    # Directories cannot be opened for fsync on every platform (Windows): best effort there.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _check_name(name: str) -> None:
    parts = Path(name).parts
    if not parts or Path(name).is_absolute() or ".." in parts:
        raise ValueError(f"file name outside the folder: {name!r}")


def write_file(path: Path, data: bytes, *, compare: bool = True) -> bool:
    """Write ``data`` to ``path`` atomically (0644). Returns False, writing nothing, when the
    file already holds exactly these bytes (``compare=False``: the caller has just read it
    and found other bytes, so it is not read again). Raises OSError when the disk refuses."""
    try:
        if compare and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            _fsync(fh.fileno())
        os.chmod(name, 0o644)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return True


def write_new_dir(target: Path, files: Mapping[str, bytes]) -> None:
    """Create the directory ``target`` holding ``files`` (relative name -> bytes) in one rename.

    Raises FileExistsError when ``target`` exists, ValueError for a name outside the
    directory, OSError when the disk refuses.
    """
    for name in files:
        _check_name(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        for name, data in files.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as fh:
                fh.write(data)
                fh.flush()
                _fsync(fh.fileno())
            path.chmod(0o644)
        for sub in sorted({p for p in tmp.rglob("*") if p.is_dir()} | {tmp}, reverse=True):
            sub.chmod(0o755)
            _fsync_dir(sub)
        if target.exists():
            raise FileExistsError(str(target))
        # os.rename onto an existing empty directory would succeed on POSIX: checked above,
        # and a race with another publisher is refused by the caller's own checks.
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(target.parent)


def stage_dir(target: Path) -> Path:
    """A fresh empty directory beside ``target`` to build a whole new folder in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))


def commit_dir(staged: Path, target: Path) -> None:
    """Rename a folder built by :func:`stage_dir` to ``target`` (which must not exist)."""
    for sub in sorted({p for p in staged.rglob("*") if p.is_dir()} | {staged}, reverse=True):
        sub.chmod(0o755)
        _fsync_dir(sub)
    if target.exists():
        raise FileExistsError(str(target))
    os.rename(staged, target)
    _fsync_dir(target.parent)


def sync_tree() -> None:
    """Flush every written file to disk (os.sync where the platform has it)."""
    sync = getattr(os, "sync", None)
    if sync is not None:
        sync()

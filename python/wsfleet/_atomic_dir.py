"""An output directory written all at once, as the engine writes a run directory
(experiments/atomic_directory.cpp, which this mirrors for directories the package writes itself: a
replicated run's): the files go to a hidden staging folder beside the target (".NAME.partial-PID",
on the same file system), are flushed to disk, and the folder is renamed into place; an existing
target is moved aside first and removed after. An interrupted write leaves the previous results,
never a mix. A target holding anything but the names it may replace is refused, before any work.
"""
from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Callable, Collection, Union

__all__ = ["write_directory", "check_replaceable"]

PathLike = Union[str, "os.PathLike[str]"]


def check_replaceable(target: Path, replaceable: Collection[str]) -> None:
    """FileExistsError (an OSError) when `target` exists and is not a directory, or holds a name not
    in `replaceable` (the engine's words)."""
    if not (target.exists() or target.is_symlink()):
        return
    if target.is_symlink() or not target.is_dir():
        raise FileExistsError(errno.EEXIST, f"{target}: exists and is not a directory")
    for entry in sorted(os.listdir(target)):
        if entry not in replaceable:
            raise FileExistsError(errno.EEXIST, f"{target}: holds '{entry}', which is not a run's output: refusing "
                                                "to replace it (choose another --out)")


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        os.fsync(fd)
    except OSError as exc:  # a file system without fsync
        if exc.errno != errno.EINVAL:
            raise
    finally:
        os.close(fd)


def write_directory(target: PathLike, replaceable: Collection[str], fill: Callable[[Path], None]) -> Path:
    """Calls fill(staging) to write the directory's contents, then puts them at `target` at once."""
    target = Path(os.path.normpath(os.fspath(target)))
    if target.name in ("", ".", ".."):
        raise FileExistsError(errno.EINVAL, f"{target}: not a usable output directory")
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    check_replaceable(target, replaceable)
    staging = parent / f".{target.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        fill(staging)
        for root, dirs, files in os.walk(staging, topdown=False):
            for name in files:
                _sync(Path(root) / name)
            _sync(Path(root))
        check_replaceable(target, replaceable)  # again: it may have changed while the files were written
        if target.exists() or target.is_symlink():
            old = parent / f".{target.name}.old-{os.getpid()}"
            shutil.rmtree(old, ignore_errors=True)
            os.rename(target, old)
            try:
                os.rename(staging, target)
            except OSError:
                os.rename(old, target)  # put the previous results back
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(staging, target)
        _sync(parent)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # nothing left once renamed
    return target

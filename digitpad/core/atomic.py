"""Writing files so that a crash, a full disk or another process never leaves a broken
one: every file digitpad writes goes through here (models, exports, downloads, the
desktop entry).

The data goes to a hidden temporary file beside the target (same folder, so the final
rename is atomic), is flushed to disk, and only then takes the target's name:
``os.replace`` to overwrite, or, with ``exclusive``, a hard link that fails if the name
was taken meanwhile, so two processes saving under one name can never overwrite each
other. Temporary files carry the target's name and a suffix (``TEMP_SUFFIX``, or a
download's own); one left by a killed process is removed by the next write to the same
target (``temporary_beside``), and by ``remove_leftovers`` for a whole folder, once it is
older than ``LEFTOVER_AGE_S``: the one rule for when no live writer can own it.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

TEMP_SUFFIX = ".tmp"
# A save takes seconds, a download minutes: an older temporary file is nobody's.
LEFTOVER_AGE_S = 6 * 3600


def temporary_beside(path: Path, suffix: str = TEMP_SUFFIX) -> tuple[int, Path]:
    """A new, empty, hidden temporary file next to ``path``: (open descriptor, its path).

    Temporaries for ``path`` with this suffix that a killed writer left there are removed
    first, once old enough (``remove_leftovers``): nothing else would ever remove them."""
    # The name, cut short: a target near the system's name limit still gets a temporary.
    prefix = f".{path.name[:120]}."
    # mkstemp puts 8 random characters between prefix and suffix: exactly this target's.
    remove_leftovers(path.parent, glob.escape(prefix) + "?" * 8 + glob.escape(suffix))
    handle, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    return handle, Path(name)


def commit(temporary: Path, path: Path, exclusive: bool = False) -> None:
    """Give ``temporary`` (written and flushed) the name ``path``, with the permissions a
    new file gets. ``exclusive``: FileExistsError if ``path`` exists, never overwriting."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # mkstemp made it private (0600)
    if not exclusive:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)  # atomic, and refuses an existing name
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise FileExistsError(errno.EEXIST, "already exists", str(path)) from None
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        # No hard links on this file system (FAT, some network shares): claim the name
        # with an exclusive create, then move the data over the empty claim.
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        os.replace(temporary, path)
        return
    os.unlink(temporary)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, exclusive: bool = False) -> Iterator[BinaryIO]:
    """``with atomic_file(p) as out: out.write(...)``: ``p`` appears whole, or not at all
    (the old file, if any, stays until the new one is complete)."""
    path = Path(path)
    handle, temporary = temporary_beside(path)
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        commit(temporary, path, exclusive)
    finally:
        temporary.unlink(missing_ok=True)


def remove_leftovers(folder: Path, pattern: str, older_than: float = LEFTOVER_AGE_S) -> list[Path]:
    """Remove temporary files matching ``pattern`` in ``folder`` left by a writer that
    was killed: only those untouched for ``older_than`` seconds (a running process's are
    younger), and quietly keep any that cannot be removed (a read-only folder)."""
    removed = []
    now = time.time()
    try:
        candidates = list(folder.glob(pattern)) if folder.is_dir() else []
    except OSError:
        return []
    for leftover in candidates:
        try:
            if now - leftover.lstat().st_mtime >= older_than:
                leftover.unlink()
                removed.append(leftover)
        except OSError:
            continue
    return removed

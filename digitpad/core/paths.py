"""What is wrong with a path given as a file to read, in words, without raising.

``Path.is_file()`` itself raises for a name longer than the system allows or a NUL in it;
every reader of user-given files (model files, images) asks here first, so each says the
same thing about the same path.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def file_problem(path: str | os.PathLike) -> str | None:
    """None for a regular file (or a link to one); else why it cannot be read as a file."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            return "a link to a file that does not exist"
        return "no such file"
    except NotADirectoryError:
        return "no such file"
    except PermissionError:
        return "permission denied"
    except (OSError, ValueError) as exc:  # a name too long for the system, a NUL in it
        return f"not a usable path ({getattr(exc, 'strerror', None) or exc})"
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    if not stat.S_ISREG(mode):
        return "not a regular file (a device or a pipe?)"
    return None


ELLIPSIS = "…"
LONGEST_EXTENSION = 16  # a longer "extension" is part of a hostile name, not a file type


def shown(path: str | bytes | os.PathLike, limit: int = 200) -> str:
    """A path for a message, at most ``limit`` characters: a hostile name may be
    thousands. A longer one is cut in the middle, so the file name, the part a reader
    needs, shows whole after the start of its folder; a file name too long for that keeps
    its start and its extension."""
    text = str(Path(os.fsdecode(path)))
    if len(text) <= limit:
        return text
    folder, separator, name = text.rpartition(os.sep)
    folder += separator  # "" for a bare name
    start = limit // 5  # the least of the folder kept when there is more
    if len(name) + len(ELLIPSIS) + len(os.sep) + min(len(folder), start) <= limit:
        return folder[: limit - len(ELLIPSIS) - len(name) - 1] + ELLIPSIS + os.sep + name
    if len(folder) > start:
        folder = folder[: start - len(ELLIPSIS) - 1] + ELLIPSIS + os.sep
    extension = Path(name).suffix
    if len(extension) > LONGEST_EXTENSION:
        extension = ""
    room = limit - len(folder) - len(ELLIPSIS) - len(extension)
    return folder + name[:room] + ELLIPSIS + extension

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


def shown(path: str | os.PathLike, limit: int = 200) -> str:
    """A path for a message, cut short: a hostile name may be thousands of characters."""
    text = str(Path(path))
    return text if len(text) <= limit else text[: limit - 1] + "…"

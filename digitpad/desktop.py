"""`digitpad desktop install|uninstall`: the Linux menu entry and icon under XDG_DATA_HOME.

pip and pipx put `digitpad` on PATH but make no menu entry; this writes the freedesktop
files that do, pointing at the `digitpad` that is running now. The entry claims no file
types (resources/digitpad.desktop says why); its Exec takes the file a user chooses.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from digitpad.core.atomic import atomic_file
from digitpad.core.bundled import resource_path

DESKTOP_ID = "digitpad.desktop"  # the name QGuiApplication.setDesktopFileName matches
ICON_NAME = "digitpad.svg"
# Characters that make the Desktop Entry spec require an Exec argument to be quoted.
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


class DesktopError(Exception):
    """The menu entry cannot be installed here; the message says why."""


@dataclass(frozen=True)
class DesktopFiles:
    entry: Path
    icon: Path


def data_home() -> Path:
    """$XDG_DATA_HOME if absolute (the spec ignores a relative one), else ~/.local/share."""
    value = os.environ.get("XDG_DATA_HOME", "")
    if value and Path(value).is_absolute():
        return Path(value)
    return Path.home() / ".local" / "share"


def desktop_files(home: Path | None = None) -> DesktopFiles:
    home = home if home is not None else data_home()
    return DesktopFiles(
        entry=home / "applications" / DESKTOP_ID,
        icon=home / "icons" / "hicolor" / "scalable" / "apps" / ICON_NAME,
    )


def launcher() -> list[str]:
    """The command that starts this installation of digitpad.

    The `digitpad` script installed beside this interpreter (a venv's or pipx's bin/),
    else this interpreter with `-m digitpad`.
    """
    script = Path(sysconfig.get_path("scripts")) / "digitpad"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "digitpad"]


def exec_argument(argument: str) -> str:
    """One Exec= argument, quoted and escaped as the Desktop Entry spec asks."""
    argument = argument.replace("%", "%%")  # a lone % would start a field code
    if argument and not _RESERVED & set(argument):
        quoted = argument
    else:
        escaped = "".join("\\" + c if c in '"`$\\' else c for c in argument)
        quoted = f'"{escaped}"'
    # Exec is also a string value, whose own escapes double every backslash and write
    # control characters as \n, \t, \r (a raw newline would end the line).
    escaped = quoted.replace("\\", "\\\\")
    return escaped.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def desktop_entry(command: list[str]) -> str:
    """The bundled .desktop file with Exec= set to run `command gui` on the opened file."""
    lines = []
    for line in resource_path(DESKTOP_ID).read_text(encoding="utf-8").splitlines():
        if line.startswith("Exec="):
            line = "Exec=" + " ".join(exec_argument(part) for part in command) + " gui %f"
        elif line.startswith("TryExec="):
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as out:
        out.write(data)


def _refresh(files: DesktopFiles) -> None:
    """Tell menus about the change, with the tools desktops ship, where they exist
    (the MIME cache, too: an entry an older digitpad wrote claimed images)."""
    tools = [["update-desktop-database", "-q", str(files.entry.parent)]]
    hicolor = files.icon.parents[2]
    if (hicolor / "icon-theme.cache").exists():
        tools.append(["gtk-update-icon-cache", "-q", "-t", "-f", str(hicolor)])
    for tool in tools:
        if shutil.which(tool[0]):
            # A menu that updates later is no reason to fail the install.
            subprocess.run(tool, check=False, capture_output=True, timeout=30)


def _require_freedesktop() -> None:
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        raise DesktopError(
            "menu entries are written for Linux and BSD desktops (freedesktop.org); "
            f"this is {sys.platform}"
        )


def install(home: Path | None = None) -> DesktopFiles:
    """Write the menu entry and the icon; return where they went."""
    _require_freedesktop()
    files = desktop_files(home)
    try:
        _write_atomically(files.icon, resource_path(ICON_NAME).read_bytes())
        _write_atomically(files.entry, desktop_entry(launcher()).encode("utf-8"))
    except OSError as exc:
        raise DesktopError(f"cannot write {exc.filename or files.entry}: {exc.strerror}") from exc
    _refresh(files)
    return files


def uninstall(home: Path | None = None) -> list[Path]:
    """Remove the menu entry and the icon; return the files that were there."""
    _require_freedesktop()
    files = desktop_files(home)
    removed = []
    for path in (files.entry, files.icon):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise DesktopError(f"cannot remove {path}: {exc.strerror}") from exc
        removed.append(path)
    if removed:
        _refresh(files)
    return removed

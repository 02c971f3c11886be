"""Before Qt loads: name the system libraries it lacks, and how to install them.

Without them importing Qt fails on the first missing one, or Qt aborts loading its X11
plugin with a message that names the wrong one ("xcb-cursor0 or libxcb-cursor0 is
needed" when that library is installed). This reads the ELF ``NEEDED`` entries of Qt's
modules, its X11 plugin and the libraries they bring, resolves them the way the dynamic
loader does (RUNPATH with $ORIGIN, LD_LIBRARY_PATH, /etc/ld.so.conf, the default
folders) and lists every one that is missing. No Qt is loaded.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import struct
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SHT_DYNAMIC = 6
DT_NULL, DT_NEEDED, DT_RPATH, DT_RUNPATH = 0, 1, 15, 29

# Debian packages whose names do not follow the soname rule (libfoo.so.1 -> libfoo1,
# libfoo2.so.0 -> libfoo2-0); checked with `dpkg -S` on Debian 12.
_DEBIAN_EXCEPTIONS = {
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libgcc_s.so.1": "libgcc-s1",
    "libz.so.1": "zlib1g",
    "libm.so.6": "libc6",
    "libpthread.so.0": "libc6",
    "libdl.so.2": "libc6",
    "librt.so.1": "libc6",
    "ld-linux-x86-64.so.2": "libc6",
    "ld-linux-aarch64.so.1": "libc6",
    "libGLdispatch.so.0": "libglvnd0",
    "libbrotlidec.so.1": "libbrotli1",
    "libbrotlicommon.so.1": "libbrotli1",
}


class ElfError(ValueError):
    """Not an ELF shared object this check can read."""


@dataclass(frozen=True)
class ElfInfo:
    elf_class: int  # 1: 32-bit, 2: 64-bit
    little_endian: bool
    machine: int
    needed: tuple[str, ...]
    search_paths: tuple[str, ...]  # RUNPATH, or RPATH when there is no RUNPATH


def read_elf_header(path: Path) -> tuple[int, bool, int]:
    """(class, little-endian, machine): all the dynamic loader checks of a candidate."""
    with open(path, "rb") as file:
        head = file.read(20)
    if len(head) < 20 or head[:4] != b"\x7fELF" or head[4] not in (1, 2) or head[5] not in (1, 2):
        raise ElfError(f"{path}: not an ELF file")
    (machine,) = struct.unpack(("<" if head[5] == 1 else ">") + "H", head[18:20])
    return head[4], head[5] == 1, machine


def read_elf(path: Path) -> ElfInfo:
    """The dependencies an ELF shared object declares (its dynamic section).

    Every offset and size comes from the file: each is checked against the file's size
    before anything is read, so a damaged or hostile file gives ElfError, nothing worse."""
    with open(path, "rb") as file:
        file_size = os.fstat(file.fileno()).st_size

        def read(offset: int, size: int) -> bytes:
            if offset < 0 or size < 0 or offset + size > file_size:
                raise ElfError(f"{path}: truncated ELF file")
            file.seek(offset)
            data = file.read(size)
            if len(data) != size:
                raise ElfError(f"{path}: truncated ELF file")
            return data

        elf_class, little_endian, machine = read_elf_header(path)
        is64, order = elf_class == 2, "<" if little_endian else ">"
        if is64:
            shoff, shentsize, shnum = struct.unpack(order + "Q10xHH", read(0x28, 22))
            section = order + "IIQQQQIIQQ"
            entry = order + "qQ"
        else:
            shoff, shentsize, shnum = struct.unpack(order + "I10xHH", read(0x20, 18))
            section = order + "IIIIIIIIII"
            entry = order + "iI"
        if shoff == 0 or shnum == 0 or shentsize < struct.calcsize(section) or shnum > 65535:
            raise ElfError(f"{path}: no section headers")
        headers = [
            struct.unpack(section, read(shoff + i * shentsize, struct.calcsize(section)))
            for i in range(shnum)
        ]
        dynamic = next((h for h in headers if h[1] == SHT_DYNAMIC), None)
        if dynamic is None:
            raise ElfError(f"{path}: no dynamic section")
        _, _, _, _, dyn_offset, dyn_size, link, *_ = dynamic
        if link >= shnum:
            raise ElfError(f"{path}: bad string table index")
        strtab_offset, strtab_size = headers[link][4], headers[link][5]
        strings = read(strtab_offset, strtab_size)
        entries = read(dyn_offset, dyn_size)

    def text(offset: int) -> str:
        end = strings.find(b"\0", offset)
        if offset >= len(strings) or end < 0:
            raise ElfError(f"{path}: bad string offset")
        return strings[offset:end].decode("utf-8", "replace")

    needed, rpath, runpath = [], [], []
    whole = len(entries) - len(entries) % struct.calcsize(entry)
    for tag, value in struct.iter_unpack(entry, entries[:whole]):
        if tag == DT_NULL:
            break
        if tag == DT_NEEDED:
            needed.append(text(value))
        elif tag == DT_RPATH:
            rpath += text(value).split(":")
        elif tag == DT_RUNPATH:
            runpath += text(value).split(":")
    return ElfInfo(elf_class, little_endian, machine, tuple(needed), tuple(runpath or rpath))


def _ld_so_conf(path: Path, seen: set[Path]) -> list[str]:
    """The folders an ld.so.conf names, following its `include` lines."""
    if path in seen:
        return []
    seen.add(path)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    folders: list[str] = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line.startswith("include"):
            pattern = line.split(None, 1)[1] if len(line.split(None, 1)) == 2 else ""
            if pattern and not os.path.isabs(pattern):
                pattern = str(path.parent / pattern)
            for included in sorted(glob.glob(pattern)):
                folders += _ld_so_conf(Path(included), seen)
        elif line:
            folders.append(line)
    return folders


def system_library_dirs(ld_so_conf: Path = Path("/etc/ld.so.conf")) -> list[str]:
    """Where the dynamic loader looks after an object's own RUNPATH, in its order."""
    folders = [p for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p]
    folders += _ld_so_conf(ld_so_conf, set())
    multiarch = sysconfig.get_config_var("MULTIARCH")
    if multiarch:
        folders += [f"/lib/{multiarch}", f"/usr/lib/{multiarch}"]
    folders += ["/lib64", "/usr/lib64", "/lib", "/usr/lib"]
    return list(dict.fromkeys(folders))


def _expand(folder: str, origin: Path) -> str:
    return folder.replace("${ORIGIN}", str(origin)).replace("$ORIGIN", str(origin))


def _compatible(path: Path, like: ElfInfo) -> bool:
    """Whether the loader would take this file: an ELF of the same class and machine."""
    try:
        header = read_elf_header(path)
    except (OSError, ElfError):
        return False
    return header == (like.elf_class, like.little_endian, like.machine)


def missing_libraries(
    roots: Iterable[Path], bundled_dirs: Iterable[Path], system_dirs: Iterable[str]
) -> list[str]:
    """The sonames the roots need, directly or through bundled libraries, found nowhere.

    ``bundled_dirs`` hold the libraries that came with the Python packages (PySide6's
    Qt); they are searched and followed. Libraries found in ``system_dirs`` are not
    followed: the system's package manager installed their dependencies with them.
    """
    bundled = [Path(folder) for folder in bundled_dirs]
    system = list(system_dirs)
    missing: list[str] = []
    seen: set[str] = set()
    queue = [Path(root).resolve() for root in roots]
    done: set[Path] = set()
    roots = set(queue)
    while queue:
        current = queue.pop(0)
        if current in done:
            continue
        done.add(current)
        try:
            info = read_elf(current)
        except ElfError:
            if current in roots:
                raise
            continue  # a bundled library the loader takes but this cannot read: no verdict
        own = [Path(_expand(folder, current.parent)) for folder in info.search_paths]
        for name in info.needed:
            if name in seen:
                continue
            seen.add(name)
            found = _find(name, own + bundled, info)
            if found is not None:
                queue.append(found.resolve())
            elif _find(name, [Path(folder) for folder in system], info) is None:
                missing.append(name)
    return missing


def _find(name: str, folders: list[Path], like: ElfInfo) -> Path | None:
    for folder in folders:
        candidate = folder / name
        if candidate.is_file() and _compatible(candidate, like):
            return candidate
    return None


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that ships a library, by Debian's naming policy."""
    if soname in _DEBIAN_EXCEPTIONS:
        return _DEBIAN_EXCEPTIONS[soname]
    stem, _, version = soname.partition(".so.")
    version = version.split(".")[0]
    separator = "-" if stem[-1:].isdigit() else ""
    return f"{stem}{separator}{version}".lower().replace("_", "-")


def fedora_capability(soname: str) -> str:
    """What `dnf install` takes to fetch the package providing a 64-bit library."""
    return f"{soname}()(64bit)" if sys.maxsize > 2**32 else soname


def missing_libraries_message(missing: list[str], task: str = "open its window") -> str:
    debian = " ".join(dict.fromkeys(debian_package(name) for name in missing))
    fedora = " ".join(f"'{fedora_capability(name)}'" for name in missing)
    return (
        f"digitpad cannot {task}: Qt needs system libraries that are not installed:\n"
        f"    {', '.join(missing)}\n"
        "Install them, then start digitpad again. On Debian or Ubuntu:\n"
        f"    sudo apt install {debian}\n"
        "On Fedora:\n"
        f"    sudo dnf install {fedora}\n"
    )


@dataclass(frozen=True)
class QtFiles:
    """The installed PySide6's binaries this check reads; found without importing Qt."""

    modules: tuple[Path, ...]  # the Python extension modules digitpad imports
    xcb_plugin: Path | None
    bundled_dirs: tuple[Path, ...]


def qt_files(modules: Iterable[str] = ("QtCore", "QtGui", "QtWidgets")) -> QtFiles | None:
    pyside = _package_dir("PySide6")
    if pyside is None:
        return None
    found = [next(iter(sorted(pyside.glob(f"{module}.*so"))), None) for module in modules]
    plugin = pyside / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    bundled = [pyside, pyside / "Qt" / "lib"]
    shiboken = _package_dir("shiboken6")
    if shiboken is not None:
        bundled.append(shiboken)
    return QtFiles(
        modules=tuple(path for path in found if path is not None),
        xcb_plugin=plugin if plugin.is_file() else None,
        bundled_dirs=tuple(bundled),
    )


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def uses_xcb(environ: dict[str, str]) -> bool:
    """Whether Qt will try the X11 plugin (Linux, not told otherwise, no Wayland session)."""
    if not sys.platform.startswith("linux"):
        return False
    platform = environ.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.split(";")[0].split(":")[0] == "xcb"
    return not environ.get("WAYLAND_DISPLAY")


def qt_problem(
    environ: dict[str, str] | None = None, window: bool = True, qt: QtFiles | None = None
) -> str | None:
    """Why Qt could not start here, in words a user can act on; None if it can.

    ``window``: whether a window will open (the X11 plugin then matters too), rather than
    Qt only reading images.
    """
    environ = dict(os.environ) if environ is None else environ
    xcb = window and uses_xcb(environ)
    if xcb and not environ.get("DISPLAY"):
        return (
            "digitpad cannot open its window: no display was found (DISPLAY is not set).\n"
            "Start it from a desktop session, or render the window without a screen:\n"
            "    digitpad gui --screenshot OUT.png"
        )
    qt = qt_files() if qt is None else qt
    if qt is None:
        return None  # no PySide6 of the usual shape: let Qt speak for itself
    roots = list(qt.modules) + ([qt.xcb_plugin] if xcb and qt.xcb_plugin else [])
    try:
        missing = missing_libraries(roots, qt.bundled_dirs, system_library_dirs())
    except Exception:  # cannot tell (an odd file, an odd system): never stop a start
        return None
    if not missing:
        return None
    return missing_libraries_message(missing, "open its window" if window else "read images")

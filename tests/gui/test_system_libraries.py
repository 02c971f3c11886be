"""The check that names the system libraries Qt lacks, on the real PySide6 binaries.

The machine's own libraries are stood in for by a folder of links, so each test decides
exactly which libraries "the system" has, whatever this machine has installed.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from digitpad.gui.system_libraries import (
    ElfError,
    QtFiles,
    debian_package,
    missing_libraries,
    qt_files,
    qt_problem,
    read_elf,
    system_library_dirs,
    uses_xcb,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="ELF shared libraries are a Linux matter"
)

XCB_ONLY = ("libxcb-icccm.so.4", "libxcb-keysyms.so.1")


@pytest.fixture(scope="module")
def qt() -> QtFiles:
    files = qt_files()
    if files is None or files.xcb_plugin is None:
        pytest.skip("this PySide6 has no X11 plugin")
    return files


@pytest.fixture
def fake_system(tmp_path, qt):
    """A folder holding every system library Qt needs: links to the real ones, or to a
    stand-in of the same ELF class where this machine lacks one."""
    roots = [qt.xcb_plugin, *qt.modules]
    wanted = missing_libraries(roots, qt.bundled_dirs, [])
    real = [d for d in system_library_dirs() if os.path.isdir(d)]
    folder = tmp_path / "lib"
    folder.mkdir()
    for name in wanted:
        source = next(
            (os.path.join(d, name) for d in real if os.path.isfile(os.path.join(d, name))),
            str(qt.xcb_plugin),
        )
        (folder / name).symlink_to(source)
    return folder, roots, wanted


def test_reads_the_plugins_dependencies(qt):
    info = read_elf(qt.xcb_plugin)
    assert "libQt6XcbQpa.so.6" in info.needed and "libxcb-icccm.so.4" in info.needed
    assert info.search_paths == ("$ORIGIN/../../lib",)
    assert info.elf_class == (2 if sys.maxsize > 2**32 else 1)


def test_everything_present_means_nothing_missing(qt, fake_system):
    folder, roots, wanted = fake_system
    assert set(XCB_ONLY) <= set(wanted) and "libGL.so.1" in wanted
    assert missing_libraries(roots, qt.bundled_dirs, [str(folder)]) == []


def test_names_exactly_the_missing_ones_through_qts_own_libraries(qt, fake_system):
    folder, roots, _ = fake_system
    for name in XCB_ONLY:
        (folder / name).unlink()
    assert missing_libraries(roots, qt.bundled_dirs, [str(folder)]) == list(XCB_ONLY)

    # libgthread is needed by libQt6XcbQpa (found through the plugin's RUNPATH), not by
    # the plugin itself: the check follows Qt's own libraries.
    assert "libgthread-2.0.so.0" not in read_elf(qt.xcb_plugin).needed
    (folder / "libgthread-2.0.so.0").unlink()
    assert missing_libraries([qt.xcb_plugin], [], [str(folder)]) == [
        *XCB_ONLY,
        "libgthread-2.0.so.0",
    ]


def test_a_file_that_is_not_a_matching_library_counts_as_missing(qt, fake_system):
    folder, roots, _ = fake_system
    (folder / "libxcb-icccm.so.4").unlink()
    (folder / "libxcb-icccm.so.4").write_bytes(b"\x7fELF\x01\x01\x01" + bytes(60))  # 32-bit
    (folder / "libxcb-keysyms.so.1").unlink()
    (folder / "libxcb-keysyms.so.1").write_text("not a library")
    assert missing_libraries(roots, qt.bundled_dirs, [str(folder)]) == list(XCB_ONLY)


def test_the_message_names_libraries_and_install_lines(qt, fake_system, monkeypatch):
    folder, _, _ = fake_system
    for name in (*XCB_ONLY, "libxkbcommon-x11.so.0"):
        (folder / name).unlink()
    monkeypatch.setattr("digitpad.gui.system_libraries.system_library_dirs", lambda: [str(folder)])
    message = qt_problem({"DISPLAY": ":0"}, qt=qt)
    assert "libxkbcommon-x11.so.0, libxcb-icccm.so.4, libxcb-keysyms.so.1\n" in message
    assert "sudo apt install libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1\n" in message
    assert "sudo dnf install 'libxkbcommon-x11.so.0()(64bit)' 'libxcb-icccm" in message
    # Reading images needs Qt's modules only: the X11 plugin's libraries do not matter.
    assert qt_problem({"DISPLAY": ":0"}, window=False, qt=qt) is None


def test_no_display_is_said_plainly(qt):
    message = qt_problem({}, qt=qt)
    assert "DISPLAY is not set" in message and "--screenshot" in message


@pytest.mark.parametrize(
    "environ,expected",
    [
        ({}, True),
        ({"QT_QPA_PLATFORM": "xcb"}, True),
        ({"QT_QPA_PLATFORM": "xcb:display=:1"}, True),
        ({"QT_QPA_PLATFORM": "offscreen"}, False),
        ({"QT_QPA_PLATFORM": "wayland;xcb"}, False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, False),
    ],
)
def test_when_the_x11_plugin_matters(environ, expected):
    assert uses_xcb(environ) is expected


@pytest.mark.parametrize(
    "soname,package",
    [
        ("libxcb-icccm.so.4", "libxcb-icccm4"),
        ("libxcb-render-util.so.0", "libxcb-render-util0"),
        ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
        ("libX11-xcb.so.1", "libx11-xcb1"),
        ("libGL.so.1", "libgl1"),
        ("libdbus-1.so.3", "libdbus-1-3"),
        ("libglib-2.0.so.0", "libglib2.0-0"),
        ("libgcc_s.so.1", "libgcc-s1"),
    ],
)
def test_debian_package_names(soname, package):
    assert debian_package(soname) == package


def test_ld_so_conf_includes_are_followed_once(tmp_path, monkeypatch):
    monkeypatch.setenv("LD_LIBRARY_PATH", "/first:/second")
    conf = tmp_path / "ld.so.conf"
    (tmp_path / "ld.so.conf.d").mkdir()
    conf.write_text("# comment\n/from/main  # trailing\ninclude ld.so.conf.d/*.conf\n")
    (tmp_path / "ld.so.conf.d" / "b.conf").write_text("/from/b\n")
    (tmp_path / "ld.so.conf.d" / "a.conf").write_text(f"/from/a\ninclude {conf}\n")
    folders = system_library_dirs(conf)
    assert folders[:5] == ["/first", "/second", "/from/main", "/from/a", "/from/b"]
    assert "/usr/lib" in folders


def test_unreadable_files_are_elf_errors(tmp_path, qt):
    text = tmp_path / "text.so"
    text.write_text("hello")
    with pytest.raises(ElfError, match="not an ELF file"):
        read_elf(text)
    truncated = tmp_path / "cut.so"
    truncated.write_bytes(qt.xcb_plugin.read_bytes()[:200])
    with pytest.raises(ElfError, match="truncated"):
        read_elf(truncated)


def run_digitpad(code_after_patch: str, folder, env_changes: dict) -> subprocess.CompletedProcess:
    code = (
        "import digitpad.gui.system_libraries as check\n"
        f"check.system_library_dirs = lambda: [{str(folder)!r}]\n"
        "from digitpad.cli import main\n"
    ) + code_after_patch
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env.update(env_changes)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )


def test_digitpad_gui_explains_instead_of_aborting(fake_system):
    """The real command, with "the system" lacking two X11 libraries: a clear message."""
    folder, _, _ = fake_system
    for name in XCB_ONLY:
        (folder / name).unlink()
    result = run_digitpad("raise SystemExit(main(['gui']))", folder, {"DISPLAY": ":99"})
    assert result.returncode == 1
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1" in result.stderr
    assert "Traceback" not in result.stderr and "qt.qpa" not in result.stderr


def test_digitpad_predict_explains_a_qt_that_cannot_load(fake_system, tmp_path):
    folder, _, _ = fake_system
    (folder / "libGL.so.1").unlink()
    # As on a server without libGL: importing QtGui fails.
    code = (
        "import sys; sys.modules['PySide6.QtGui'] = None\n"
        "raise SystemExit(main(['predict', 'x.png']))"
    )
    result = run_digitpad(code, folder, {})
    assert result.returncode == 1
    assert "digitpad predict: digitpad cannot read images" in result.stderr
    assert "sudo apt install libgl1" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "offset,fmt,value",
    [(0x28, "<Q", 2**63), (0x28, "<Q", 2**64 - 1), (0x3C, "<H", 65535)],
    ids=["huge-section-offset", "max-section-offset", "many-sections"],
)
def test_hostile_headers_are_elf_errors_not_crashes(tmp_path, qt, offset, fmt, value):
    import struct

    data = bytearray(qt.xcb_plugin.read_bytes())
    struct.pack_into(fmt, data, offset, value)
    damaged = tmp_path / "damaged.so"
    damaged.write_bytes(bytes(data))
    with pytest.raises(ElfError):
        read_elf(damaged)


def test_a_bundled_library_it_cannot_read_is_no_verdict(tmp_path, qt, fake_system):
    """The loader reads program headers only; a library whose section headers this check
    cannot read is not called missing (that could stop a start that works)."""
    import shutil
    import struct

    folder, _, _ = fake_system
    qt_copy = tmp_path / "Qt"
    shutil.copytree(qt.xcb_plugin.parents[2] / "lib", qt_copy / "lib", symlinks=True)
    (qt_copy / "plugins" / "platforms").mkdir(parents=True)
    plugin = qt_copy / "plugins" / "platforms" / "libqxcb.so"
    shutil.copy(qt.xcb_plugin, plugin)
    xcbqpa = (qt_copy / "lib" / "libQt6XcbQpa.so.6").resolve()
    data = bytearray(xcbqpa.read_bytes())
    struct.pack_into("<Q", data, 0x28, 2**62)
    xcbqpa.unlink()
    xcbqpa.write_bytes(bytes(data))
    (folder / "libxcb-icccm.so.4").unlink()  # needed by the plugin itself: still found
    assert missing_libraries([plugin], [], [str(folder)]) == ["libxcb-icccm.so.4"]

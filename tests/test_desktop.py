"""`digitpad desktop install|uninstall`: a working menu entry under a temporary XDG_DATA_HOME."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from digitpad import desktop
from digitpad.cli import main
from digitpad.core.bundled import resource_path

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="freedesktop menu entries are for Linux"
)


@pytest.fixture
def xdg(tmp_path, monkeypatch):
    home = tmp_path / "data home"  # a space, as some home folders have
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


def entry_values(path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if "=" in line)


def exec_arguments(value: str) -> list[str]:
    """Undo the Desktop Entry spec's escaping the way a menu does: the string escape
    (backslash-backslash), then the quoting (backslash before " ` $ \\ inside quotes)."""
    text = re.sub(r"\\\\", lambda m: "\\", value)
    arguments, current, quoted, index = [], None, False, 0
    while index < len(text):
        char = text[index]
        if quoted and char == "\\" and text[index + 1 : index + 2] in ('"', "`", "$", "\\"):
            current, index = (current or "") + text[index + 1], index + 2
            continue
        if char == '"':
            quoted, current = not quoted, current or ""
        elif char == " " and not quoted:
            if current is not None:
                arguments.append(current)
            current = None
        else:
            current = (current or "") + char
        index += 1
    assert not quoted, f"unbalanced quotes in {value!r}"
    if current is not None:
        arguments.append(current)
    return arguments


def test_install_writes_entry_and_icon_that_run_this_digitpad(xdg, capsys):
    assert main(["desktop", "install", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    entry = xdg / "applications" / "digitpad.desktop"
    icon = xdg / "icons" / "hicolor" / "scalable" / "apps" / "digitpad.svg"
    assert result == {"entry": str(entry), "icon": str(icon), "exec": desktop.launcher()}
    assert icon.read_bytes() == resource_path("digitpad.svg").read_bytes()
    values = entry_values(entry)
    assert values["Type"] == "Application" and values["Icon"] == "digitpad"
    assert values["Terminal"] == "false"
    command = exec_arguments(values["Exec"])
    assert command[:-2] == desktop.launcher() and command[-2:] == ["gui", "%f"]
    assert os.access(command[0], os.X_OK)


def test_the_entry_is_not_offered_for_every_image_yet_opens_one_chosen_by_hand(xdg):
    files = desktop.install()
    values = entry_values(files.entry)
    assert "MimeType" not in values  # no "Open With digitpad" on every PNG, JPEG and BMP
    assert exec_arguments(values["Exec"])[-1] == "%f"  # "Open With Other Application"
    assert "MimeType" not in entry_values(resource_path("digitpad.desktop"))


def test_an_older_entry_that_claimed_images_is_replaced(xdg):
    files = desktop.install()
    files.entry.write_text("[Desktop Entry]\nExec=digitpad gui %f\nMimeType=image/png;\n")
    desktop.install()
    assert "MimeType" not in entry_values(files.entry)


def test_the_installed_entry_starts_the_app(xdg, tmp_path):
    """Run the Exec line as a menu would, with --screenshot so it renders and exits."""
    desktop.install()
    values = entry_values(xdg / "applications" / "digitpad.desktop")
    command = [a for a in exec_arguments(values["Exec"]) if a != "%f"]
    out = tmp_path / "menu.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run(
        [*command, "--screenshot", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 10_000


def test_uninstall_removes_what_install_wrote(xdg, capsys):
    files = desktop.install()
    assert main(["desktop", "uninstall", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"removed": [str(files.entry), str(files.icon)]}
    assert not files.entry.exists() and not files.icon.exists()
    assert main(["desktop", "uninstall"]) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_install_twice_replaces_the_entry(xdg):
    first = desktop.install()
    first.entry.write_text("[Desktop Entry]\nExec=/old/digitpad\n")
    desktop.install()
    assert "/old/digitpad" not in first.entry.read_text()
    assert [p.name for p in first.entry.parent.iterdir() if p.name.startswith(".")] == []


def test_relative_xdg_data_home_is_ignored(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", "relative/folder")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert desktop.data_home() == tmp_path / ".local" / "share"


def test_a_folder_that_cannot_be_written_is_named(xdg, capsys):
    xdg.mkdir()
    (xdg / "applications").write_text("a file where the folder should be")
    assert main(["desktop", "install"]) == 1
    err = capsys.readouterr().err
    assert "cannot write" in err and "applications" in err
    assert "Traceback" not in err


def test_other_systems_are_told_why(xdg, monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert main(["desktop", "install"]) == 1
    assert "Linux" in capsys.readouterr().err
    assert not xdg.exists()


@pytest.mark.parametrize(
    "argument,written",
    [
        ("/usr/bin/digitpad", "/usr/bin/digitpad"),
        ("/home/a b/digitpad", '"/home/a b/digitpad"'),
        ("/opt/$HOME/x", '"/opt/\\\\$HOME/x"'),
        ("/opt/100%/x", "/opt/100%%/x"),
        ("C:\\x", '"C:\\\\\\\\x"'),
    ],
)
def test_exec_arguments_are_quoted_as_the_spec_says(argument, written):
    assert desktop.exec_argument(argument) == written
    if "%" not in argument:
        assert exec_arguments(written) == [argument]


def test_control_characters_cannot_break_the_entry_line():
    written = desktop.exec_argument("/opt/a\nExec=evil\tx")
    assert "\n" not in written and "\t" not in written
    assert written == '"/opt/a\\nExec=evil\\tx"'

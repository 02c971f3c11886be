"""Ctrl+C and `kill` while a command is still starting: every entry point, a real process,
the signal sent from outside at moments of its start held still by an import hook
(tests/startup_hook), the widest of them inside Qt's own start (shiboken's), where an
interrupt once aborted Python."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from .conftest import ROOT

HOOK = ROOT / "tests" / "startup_hook"
SCRIPTS = Path(sysconfig.get_path("scripts"))

# Moments of a start: within the CLI's imports (NumPy), inside PySide6's import while
# shiboken starts (PySide6.support is imported from its start-up code), once Qt has
# loaded, and while the window's module loads.
MOMENTS = ["numpy", "PySide6.support", "PySide6.QtWidgets", "digitpad.gui.main_window"]
ENTRY_POINTS = {
    "python -m digitpad": [sys.executable, "-m", "digitpad"],
    "digitpad": [str(SCRIPTS / "digitpad")],
    "digitpad-gui": [str(SCRIPTS / "digitpad-gui")],
}


def as_from_a_terminal() -> None:
    """In the child before it runs: SIGINT handled by default, whatever this process has."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupted_at(tmp_path, command, moment, number=signal.SIGINT, stall_s=1.0):
    """Start ``command`` held still when it first looks for module ``moment``, send it
    ``number`` there, and return (exit status, stderr). The child starts with Ctrl+C's
    default handling, as from a terminal: run in the background (``&``), these tests
    inherit SIGINT ignored, which the app rightly keeps ignored."""
    marker = tmp_path / f"reached-{moment}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HOOK), os.environ.get("PYTHONPATH", "")]),
        "DIGITPAD_TEST_STALL_ON": moment,
        "DIGITPAD_TEST_STALL_FILE": str(marker),
        "DIGITPAD_TEST_STALL_S": str(stall_s),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    process = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path,
        preexec_fn=as_from_a_terminal,
    )
    try:
        for _ in range(1200):  # up to 2 minutes on a busy machine: reached, or exited
            if marker.exists() or process.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), f"{moment} was never imported"
        process.send_signal(number)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, err.decode(errors="replace")


def assert_stopped_cleanly(code, err, status=130, word="interrupted"):
    assert "Traceback" not in err and "Fatal Python error" not in err, err
    assert code == status, (code, err)
    assert word in err.strip().splitlines()[-1], err


@pytest.mark.parametrize("moment", MOMENTS)
def test_ctrl_c_at_any_moment_of_the_start_exits_130_in_one_line(tmp_path, moment):
    command = [*ENTRY_POINTS["python -m digitpad"], "gui", "--screenshot", "shot.png"]
    assert_stopped_cleanly(*interrupted_at(tmp_path, command, moment))
    assert not (tmp_path / "shot.png").exists()  # it stopped: no window was drawn


def test_ctrl_c_while_the_window_is_built_ends_it_as_interrupted(tmp_path):
    """A moment after the application exists (numpy.ma loads while the window's plots are
    made): the command ends as an interrupted one. (Inside a Qt callback, where PySide
    once printed and lost the interrupt: tests/test_cli.py.)"""
    command = [*ENTRY_POINTS["python -m digitpad"], "gui", "--screenshot", "shot.png"]
    assert_stopped_cleanly(*interrupted_at(tmp_path, command, "numpy.ma"))


def test_ctrl_c_reaches_an_idle_window(tmp_path):
    """An idle event loop runs no Python, so a Ctrl+C waited for the next event that did
    (with no one at the window: for ever). The window quits and says so."""
    config = tmp_path / "config"
    env = {**os.environ, "XDG_CONFIG_HOME": str(config), "XDG_DATA_HOME": str(tmp_path)}
    process = subprocess.Popen(
        [*ENTRY_POINTS["python -m digitpad"], "gui"],
        stderr=subprocess.PIPE,
        env=env,
        preexec_fn=as_from_a_terminal,
    )
    try:
        settings = config / "digitpad" / "digitpad.conf"  # written once the loop runs
        while not settings.exists() and process.poll() is None:
            time.sleep(0.1)
        time.sleep(1)  # idle
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert_stopped_cleanly(process.returncode, err.decode(errors="replace"))


@pytest.mark.parametrize("name", ["digitpad", "digitpad-gui"])
def test_the_installed_commands_start_through_the_same_entry(tmp_path, name):
    if not (SCRIPTS / name).is_file():
        pytest.skip(f"{name} is not installed in {SCRIPTS}")
    command = [*ENTRY_POINTS[name], *([] if name == "digitpad-gui" else ["gui"])]
    for moment in ("numpy", "PySide6.support"):
        code, err = interrupted_at(tmp_path, [*command, "--screenshot", "shot.png"], moment)
        assert_stopped_cleanly(code, err)


def test_a_command_that_loads_qt_later_is_interrupted_cleanly_too(tmp_path):
    image = ROOT / "resources" / "digitpad.svg"  # `predict` loads Qt to decode images
    command = [*ENTRY_POINTS["python -m digitpad"], "predict", str(image)]
    code, err = interrupted_at(tmp_path, command, "PySide6.support")
    assert_stopped_cleanly(code, err)
    assert err.strip().splitlines()[-1] == "digitpad predict: interrupted"


@pytest.mark.parametrize(
    "moment,status",
    # While the CLI loads: one line and 143. A window's start (Qt loading) ends as `kill`
    # ends a window, by the signal, once the import it waited for is done.
    [("numpy", 143), ("PySide6.support", -signal.SIGTERM)],
)
def test_kill_during_the_start_ends_it_without_a_traceback(tmp_path, moment, status):
    command = [*ENTRY_POINTS["python -m digitpad"], "gui", "--screenshot", "shot.png"]
    code, err = interrupted_at(tmp_path, command, moment, signal.SIGTERM)
    assert "Traceback" not in err and "Fatal Python error" not in err, err
    assert code == status, (code, err)
    if status == 143:
        assert err.strip().splitlines()[-1] == "digitpad: terminated"


def test_an_ignored_ctrl_c_stays_ignored(tmp_path):
    """Started with SIGINT ignored (nohup, `&` in a script): the start does not stop."""
    command = [*ENTRY_POINTS["python -m digitpad"], "gui", "--screenshot", "shot.png"]

    def ignore_sigint() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    marker = tmp_path / "reached"
    env = {
        **os.environ,
        "PYTHONPATH": str(HOOK),
        "DIGITPAD_TEST_STALL_ON": "numpy",
        "DIGITPAD_TEST_STALL_FILE": str(marker),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, env=env, cwd=tmp_path, preexec_fn=ignore_sigint
    )
    while not marker.exists() and process.poll() is None:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()
    assert (tmp_path / "shot.png").stat().st_size > 10_000


def test_the_entry_imports_nothing_heavy_and_the_installed_commands_use_it():
    import tomllib

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, digitpad.entry; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert "numpy" not in loaded and "PySide6" not in loaded and "digitpad.cli" not in loaded
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"] == {"digitpad": "digitpad.entry:main"}
    assert project["gui-scripts"] == {"digitpad-gui": "digitpad.entry:gui_main"}


def test_once_the_command_has_ended_ctrl_c_cannot_change_its_status(monkeypatch):
    """Python drops its SIGINT handler while it exits: a Ctrl+C then killed the process
    (status -2) after a command that had done its work. The entry ignores it from there."""
    from digitpad import cli, entry

    previous = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(cli, "main", lambda: 0)
    try:
        assert entry.main() == 0
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)

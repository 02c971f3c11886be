"""Where every entry point starts (`digitpad`, `digitpad-gui`, `python -m digitpad`): Ctrl+C
and `kill` are handled from its first line, before NumPy, Qt or the CLI is imported.

An import cut short by KeyboardInterrupt leaves a module half made, and one inside Qt's
(shiboken's start-up) aborts Python ("Fatal Python error"). So while the CLI is imported,
and while any PySide6 or shiboken6 module loads later, SIGINT and SIGTERM are only noted,
then acted on once the import is done: at start, one line and exit status 130 (143 for
SIGTERM); later, the handler that was there acts (Ctrl+C: the command's "interrupted").
Only a few small standard-library modules are imported here.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator

DEFERRED = (signal.SIGINT, signal.SIGTERM)
EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + the signal, as shells do
WORDS = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}
QT_PACKAGES = ("PySide6", "shiboken6")


class _Note:
    """A signal handler that only notes the signal, for acting on later."""

    def __init__(self) -> None:
        self.signals: list[int] = []

    def __call__(self, signum: int, frame: object) -> None:
        self.signals.append(signum)


@contextlib.contextmanager
def signals_noted() -> Iterator[list[int]]:
    """Within: SIGINT and SIGTERM (those not ignored) are noted in the list yielded, not
    acted on. On leaving, the handlers that were there are back; nothing is delivered
    (the caller decides)."""
    note = _Note()
    previous = {
        number: signal.signal(number, note)
        for number in DEFERRED
        if signal.getsignal(number) is not signal.SIG_IGN  # ignored (nohup, &): it stays so
    }
    try:
        yield note.signals
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Within: SIGINT and SIGTERM wait; on leaving, the first that came is raised again,
    for the handler that was there before to act on. Inside another deferral, or off the
    main thread (where handlers cannot be changed, nor run), it changes nothing."""
    if threading.current_thread() is not threading.main_thread() or any(
        isinstance(signal.getsignal(number), _Note) for number in DEFERRED
    ):
        yield
        return
    noted: list[int] = []
    try:
        with signals_noted() as noted:
            yield
    finally:
        if noted:
            signal.raise_signal(noted[0])


class _Deferring:
    """A module loader that loads with interrupts deferred; all else is the real one's."""

    def __init__(self, loader: object) -> None:
        self._loader = loader

    def create_module(self, spec: object) -> object:
        with interrupts_deferred():  # an extension module runs its init code here
            return self._loader.create_module(spec)

    def exec_module(self, module: object) -> None:
        with interrupts_deferred():
            self._loader.exec_module(module)

    def __getattr__(self, name: str) -> object:
        return getattr(self._loader, name)


class QtImportGuard:
    """A meta path finder that finds nothing itself: the PySide6 and shiboken6 modules
    the finders after it find are loaded with interrupts deferred."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> object:
        if name.partition(".")[0] not in QT_PACKAGES or self not in sys.meta_path:
            return None
        for finder in sys.meta_path[sys.meta_path.index(self) + 1 :]:
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(name, path, target) if find_spec is not None else None
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Deferring(spec.loader)
                return spec
        return None


def guard_qt_imports() -> None:
    """Load every PySide6 and shiboken6 module from now on with interrupts deferred."""
    if not any(isinstance(finder, QtImportGuard) for finder in sys.meta_path):
        sys.meta_path.insert(0, QtImportGuard())


def main() -> int:
    """`digitpad` and `python -m digitpad`."""
    return _start("main")


def gui_main() -> int:
    """`digitpad-gui`: the app alone (without a console window on Windows)."""
    return _start("gui_main")


def _start(entry: str) -> int:
    with signals_noted() as noted:
        guard_qt_imports()
        from digitpad import cli
    if noted:
        return _stopped(noted[0])
    try:
        code = getattr(cli, entry)()
    except KeyboardInterrupt:  # between the command's own handling and here
        code = _stopped(signal.SIGINT)
    # The command has ended: a Ctrl+C now has nothing left to stop, and Python, exiting,
    # would die of it (it drops its handler), not end with the command's status.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return code


def _stopped(number: int) -> int:
    if sys.stderr is not None:  # pythonw has none
        print(f"\ndigitpad: {WORDS[number]}", file=sys.stderr)
    return EXIT_STATUS[number]

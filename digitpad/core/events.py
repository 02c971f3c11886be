"""Events without Qt: an emitter that tells its subscribers which value changed.

The pattern is napari's ``EventEmitter``, cut down to what the viewer model needs:
  - a bound method is held weakly (``weakref.WeakMethod``): a view that is gone stops
    receiving and is not kept alive by the model it watched; a plain function, a lambda or
    a ``functools.partial`` is held strongly (nothing else would keep it alive);
  - every emission carries an ``Event`` with the value that changed; a callback that takes
    a required positional argument receives it, one that takes none is simply called (a
    view that re-reads the model does not need it);
  - a callback that raises does not stop the others, as with Qt's slots: the error goes to
    ``sys.excepthook`` (the app reports it) and the remaining callbacks still run;
  - ``blocker()`` silences the emitter during a batch update and then emits once, with the
    last value emitted inside it, if anything was emitted at all: subscribers hear of the
    end state once, never of the steps, and never of a batch that changed nothing.
"""

from __future__ import annotations

import inspect
import sys
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import MethodType
from typing import Any

Callback = Callable[[], Any] | Callable[["Event"], Any]

_NOTHING = object()  # no emission was held back by a blocker


@dataclass(frozen=True)
class Event:
    """One emission: which event (``type``, the emitter's name) and the value it carries."""

    type: str
    value: Any


def _takes_event(callback: Callable) -> bool:
    """Whether ``callback`` needs an argument: a required positional parameter or *args."""
    try:
        parameters = inspect.signature(callback).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature (list.append): one argument
        return True
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return any(
        (p.kind in positional and p.default is inspect.Parameter.empty)
        or p.kind == inspect.Parameter.VAR_POSITIONAL
        for p in parameters
    )


class _Subscription:
    """One callback: a weak reference to a bound method, or the callable itself."""

    def __init__(self, callback: Callback) -> None:
        self.takes_event = _takes_event(callback)
        if isinstance(callback, MethodType):
            self._method: weakref.WeakMethod | None = weakref.WeakMethod(callback)
            self._function: Callback | None = None
        else:
            self._method, self._function = None, callback

    def resolve(self) -> Callback | None:
        """The callback, or None once the object of its method has gone."""
        return self._method() if self._method is not None else self._function


class EventEmitter:
    """Calls its subscribers, in the order they connected, with what changed.

    Connecting a callback twice connects it once. Disconnecting one not connected is
    harmless (a view and its owner may both tidy up)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._subscriptions: list[_Subscription] = []
        self._blocks = 0
        self._held: Any = _NOTHING  # the last value emitted while blocked

    def connect(self, callback: Callback) -> Callback:
        """Subscribe ``callback``; it is returned, so this works as a decorator."""
        if not callable(callback):
            raise TypeError(f"event {self.name!r}: cannot connect {callback!r}, not callable")
        if self._index(callback) is None:
            self._subscriptions.append(_Subscription(callback))
        return callback

    def disconnect(self, callback: Callback) -> None:
        index = self._index(callback)
        if index is not None:
            del self._subscriptions[index]

    def _index(self, callback: Callback) -> int | None:
        self._drop_dead()
        for index, subscription in enumerate(self._subscriptions):
            if subscription.resolve() == callback:  # a bound method: a new object each time
                return index
        return None

    def _drop_dead(self) -> None:
        self._subscriptions = [s for s in self._subscriptions if s.resolve() is not None]

    def __len__(self) -> int:
        """How many subscribers are still alive."""
        self._drop_dead()
        return len(self._subscriptions)

    def emit(self, value: Any = None) -> None:
        """Tell every subscriber that the value is now ``value`` (held back while blocked)."""
        if self._blocks:
            self._held = value
            return
        event = Event(self.name, value)
        for subscription in list(self._subscriptions):
            callback = subscription.resolve()
            if callback is None:
                continue  # its view went while an earlier callback ran; dropped next time
            try:
                if subscription.takes_event:
                    callback(event)
                else:
                    callback()
            except Exception:  # reported; the other subscribers still hear of the change
                sys.excepthook(*sys.exc_info())
        self._drop_dead()

    @property
    def blocked(self) -> bool:
        return self._blocks > 0

    @contextmanager
    def blocker(self) -> Iterator[None]:
        """Hold emissions back during a batch update, then emit the last one, once.

        Blockers nest: only the outermost one emits. It emits even when the batch raised,
        since whatever it changed before raising has changed."""
        self._blocks += 1
        try:
            yield
        finally:
            self._blocks -= 1
            if not self._blocks and self._held is not _NOTHING:
                value, self._held = self._held, _NOTHING
                self.emit(value)

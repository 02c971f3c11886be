"""The event emitter on its own: weak subscribers, values, blockers, errors. No Qt."""

from __future__ import annotations

import functools
import gc
import sys

import pytest

from digitpad.core.events import Event, EventEmitter


class View:
    """A subscriber as the views are: a bound method that re-reads, or that takes the event."""

    def __init__(self) -> None:
        self.calls = 0
        self.values: list[object] = []

    def on_changed(self) -> None:
        self.calls += 1

    def on_value(self, event: Event) -> None:
        self.values.append(event.value)


def test_the_value_that_changed_arrives_with_the_event():
    emitter = EventEmitter("input_changed")
    view = View()
    emitter.connect(view.on_value)
    emitter.connect(view.on_changed)
    received: list[Event] = []
    emitter.connect(received.append)  # a builtin without a signature gets the event too
    emitter.emit(7)
    emitter.emit(None)
    assert view.values == [7, None]
    assert view.calls == 2  # no argument wanted, none given
    assert received == [Event("input_changed", 7), Event("input_changed", None)]


def test_a_callback_with_defaults_only_is_called_without_the_event():
    emitter = EventEmitter("x")
    seen: list[str] = []
    emitter.connect(lambda name="x": seen.append(name))
    emitter.emit(3)
    assert seen == ["x"]


def test_a_deleted_subscriber_is_dropped_and_not_kept_alive():
    emitter = EventEmitter("model_changed")
    view = View()
    emitter.connect(view.on_changed)
    emitter.emit()
    assert view.calls == 1 and len(emitter) == 1
    gone = [False]

    class Watched(View):
        def __del__(self) -> None:
            gone[0] = True

    watched = Watched()
    emitter.connect(watched.on_changed)
    assert len(emitter) == 2
    del watched
    gc.collect()
    assert gone[0]  # the emitter held no strong reference to it
    assert len(emitter) == 1
    emitter.emit()  # and it is not called (it could not be: it no longer exists)
    assert view.calls == 2


def test_plain_functions_and_partials_are_held_strongly():
    emitter = EventEmitter("x")
    calls: list[int] = []
    emitter.connect(functools.partial(calls.append, 1))

    def local() -> None:
        calls.append(2)

    emitter.connect(local)
    del local
    gc.collect()
    emitter.emit()
    assert calls == [1, 2]


def test_connect_is_idempotent_and_disconnect_finds_bound_methods():
    emitter = EventEmitter("x")
    view = View()
    emitter.connect(view.on_changed)
    emitter.connect(view.on_changed)  # a new bound-method object, the same callback
    emitter.emit()
    assert view.calls == 1
    emitter.disconnect(view.on_changed)
    emitter.disconnect(view.on_changed)  # not connected any more: harmless
    emitter.emit()
    assert view.calls == 1 and len(emitter) == 0


def test_connecting_something_not_callable_names_the_event():
    with pytest.raises(TypeError, match="'hover_changed'.*not callable"):
        EventEmitter("hover_changed").connect(42)


def test_a_blocker_emits_once_after_with_the_last_value():
    emitter = EventEmitter("x")
    view = View()
    emitter.connect(view.on_value)
    with emitter.blocker():
        emitter.emit(1)
        with emitter.blocker():  # nested: only the outermost emits
            emitter.emit(2)
        assert view.values == [] and emitter.blocked
        emitter.emit(3)
        assert view.values == []
    assert view.values == [3] and not emitter.blocked
    emitter.emit(4)
    assert view.values == [3, 4]


def test_a_blocker_that_saw_no_change_emits_nothing():
    emitter = EventEmitter("x")
    view = View()
    emitter.connect(view.on_changed)
    with emitter.blocker():
        pass
    assert view.calls == 0


def test_a_blocker_emits_even_when_the_batch_raised():
    emitter = EventEmitter("x")
    view = View()
    emitter.connect(view.on_value)
    with pytest.raises(ZeroDivisionError), emitter.blocker():
        emitter.emit("half done")
        _ = 1 / 0
    assert view.values == ["half done"]


def test_a_raising_callback_is_reported_and_the_others_still_run(monkeypatch):
    emitter = EventEmitter("x")
    reported: list[type] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, value, tb: reported.append(kind))
    calls: list[int] = []

    def broken() -> None:
        raise RuntimeError("a view failed")

    emitter.connect(broken)
    emitter.connect(lambda: calls.append(1))
    emitter.emit()
    assert reported == [RuntimeError] and calls == [1]


def test_a_subscriber_gone_during_an_emission_is_skipped():
    emitter = EventEmitter("x")
    views = [View(), View()]
    calls: list[int] = []

    def drop_the_second() -> None:
        calls.append(1)
        views.pop()
        gc.collect()

    emitter.connect(drop_the_second)
    emitter.connect(views[1].on_changed)
    emitter.emit()
    assert calls == [1] and len(emitter) == 1

"""Under the answer: confirm it (Enter), give the digit it really is (a button or its key)
or say it is no digit at all (N), and the drawing is kept as one of the user's samples
(core/teaching.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from digitpad.core.network import NOT_A_DIGIT
from digitpad.core.samples import AlreadyStored, Sample, SampleError, label_text
from digitpad.core.teaching import Teacher, as_label
from digitpad.gui.actions import connect_actions
from digitpad.gui.canvas import DrawingCanvas
from digitpad.gui.messages import Messages

DIGIT_ACTIONS = tuple(f"teach_{digit}" for digit in range(10))
NOT_A_DIGIT_ACTION = "teach_not_a_digit"


class TeachBar(QWidget):
    """A tick, the ten digits and "Not a digit": the Samples menu's actions as buttons."""

    def __init__(self, actions: dict[str, QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("teach_bar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.caption = QLabel("Right?")
        self.caption.setToolTip(
            "Keep this drawing as one of your samples: Enter if the answer is right, "
            "else the digit it is (its button or key), or N if it is no digit at all"
        )
        self.caption.setMinimumWidth(1)  # it asks the panel for none of its room: resizeEvent
        layout.addWidget(self.caption)
        self.confirm = self._button(actions["teach_confirm"], "✓")
        layout.addWidget(self.confirm)
        layout.addSpacing(6)
        self.digits = [self._button(actions[name], name[-1]) for name in DIGIT_ACTIONS]
        for button in self.digits:
            layout.addWidget(button)
        layout.addSpacing(6)
        self.not_a_digit = self._button(actions[NOT_A_DIGIT_ACTION], "Not a digit")
        self.not_a_digit.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        # Its words whole, whatever the room: the digits narrow first, then "Right?" goes.
        words = self.not_a_digit.fontMetrics().horizontalAdvance(self.not_a_digit.text())
        self.not_a_digit.setMinimumWidth(words + 10)
        layout.addWidget(self.not_a_digit)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # "Right?" only asks what the buttons' tooltips say: on a narrow panel (1024 px
        # screens) it gives its room to "Not a digit" rather than cut it.
        # Its minimum is 1 px, so the bar never asks the panel for its room; shown only
        # when the buttons have theirs beside its whole word.
        others = self.layout().minimumSize().width() - (
            self.caption.minimumWidth() + self.layout().spacing()
            if self.caption.isVisibleTo(self)
            else 0
        )
        wanted = self.caption.sizeHint().width() + self.layout().spacing()
        self.caption.setVisible(event.size().width() >= others + wanted)

    def _button(self, action: QAction, text: str) -> QToolButton:
        # The menu says "It Is a 7"; the button, which shows the icon text, just "7".
        action.setIconText(text)
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        # The room the words leave, shared: "Right?" and "Not a digit" keep theirs whole.
        button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        button.setMinimumWidth(16)
        return button


@dataclass(eq=False)
class KeptClear:
    """The canvas cleared after a keep: undone, the sample is taken back; redone, it is
    kept again (``taken_back`` holds it meanwhile)."""

    sample_id: int
    taken_back: Sample | None = None


class Teaching(QObject):
    """Wires the teach actions to a Teacher: enabled while there is an answer; each keeps
    the drawing, clears the canvas for the next one and says what was kept. Undo right
    after takes the sample back with the drawing; a digit that disagrees with a drawing
    stored already offers to relabel it."""

    status = Signal(str, int)
    kept = Signal(str)  # what was kept, said where the drawing was (the canvas is cleared)

    def __init__(
        self,
        teacher: Teacher,
        canvas: DrawingCanvas,
        actions: dict[str, QAction],
        messages: Messages,
        catch_up: Callable[[], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.teacher, self.canvas, self.actions, self.messages = teacher, canvas, actions, messages
        # The window updates the answer at most once a frame: a key pressed in between
        # must not keep the canvas with the answer to what was there before.
        self.catch_up = catch_up
        # Actions trigger on the GUI thread: a partial of a bound method is safe here.
        slots = {
            name: functools.partial(self._on_digit_triggered, digit)
            for digit, name in enumerate(DIGIT_ACTIONS)
        }
        slots[NOT_A_DIGIT_ACTION] = functools.partial(self._on_digit_triggered, NOT_A_DIGIT)
        slots["teach_confirm"] = self._on_teach_confirm_triggered
        connect_actions(actions, slots)
        teacher.recovered.connect(self._on_teacher_recovered)
        canvas.clear_undone.connect(self._on_canvas_clear_undone)
        canvas.clear_redone.connect(self._on_canvas_clear_redone)
        teacher.viewer.input_changed.connect(self._on_viewer_changed)
        teacher.viewer.network_shown_changed.connect(self._on_viewer_changed)
        self._on_viewer_changed()

    def _on_teacher_recovered(self) -> None:
        self.messages.complain(
            "warning",
            "Samples database replaced",
            f"Your samples database was damaged, so it was moved aside to "
            f"{self.teacher.store.recovered_from} (nothing was deleted) and a new one was "
            "started.",
        )

    def _on_viewer_changed(self) -> None:
        enabled = self.teacher.can_teach()
        for name in (*DIGIT_ACTIONS, NOT_A_DIGIT_ACTION, "teach_confirm"):
            self.actions[name].setEnabled(enabled)

    def keep(self, label: int) -> bool:
        """Keep the drawing as ``label``; whether it was kept (if not, the user is told why
        and the drawing stays on the canvas)."""
        self.catch_up()
        if not self.teacher.can_teach():  # the drawing went in the meantime: nothing to keep
            return False
        try:
            kept = self.teacher.teach(label, self.canvas.strokes(), self.canvas.pixels())
        except AlreadyStored as exc:
            self._offer_relabel(label, exc)
            return False
        except SampleError as exc:
            self._complain("Not kept", exc)
            return False
        # Ready for the next digit; Undo brings this one back and takes the sample back.
        self.canvas.clear_for(KeptClear(kept.sample_id))
        self.status.emit(kept.message(), 5000)
        self.kept.emit(kept.message())
        return True

    def _complain(self, title: str, exc: SampleError) -> None:
        text = str(exc)
        self.messages.complain("warning", title, text[:1].upper() + text[1:])

    def _offer_relabel(self, label: int, exc: AlreadyStored) -> None:
        """The drawing is stored already: under another label, offer to relabel it (the
        label given now is the one the user means); else say so where "Kept" is said."""
        try:
            found = self.teacher.stored_as(self.teacher.viewer.input)
            if found is None or found.label == label:
                self.status.emit(f"Not kept: {exc}", 8000)
                return
            question = (
                f"Sample {found.id} is labelled {label_text(found.label)}. "
                f"Relabel it as {label_text(label)}?"
            )
            if not self.messages.confirm("Relabel sample", question):
                return
            old = self.teacher.relabel(found.id, label)
        except SampleError as exc:
            self._complain("Not relabelled", exc)
            return
        self.status.emit(
            f"Sample {found.id} relabelled: {as_label(label)} (it was labelled {label_text(old)})",
            8000,
        )

    def _on_canvas_clear_undone(self, reason: object) -> None:
        if not isinstance(reason, KeptClear):
            return
        number = reason.sample_id
        try:
            reason.taken_back = self.teacher.take_back(number)
        except SampleError as exc:
            self._complain("Sample not removed", exc)
            return
        if reason.taken_back is None:
            self.status.emit(f"The drawing is back (sample {number} was deleted already)", 5000)
        else:
            self.status.emit(f"Removed sample {number}; the drawing is back", 5000)

    def _on_canvas_clear_redone(self, reason: object) -> None:
        if not isinstance(reason, KeptClear) or reason.taken_back is None:
            return
        try:
            kept = self.teacher.keep_again(reason.taken_back)
        except AlreadyStored as exc:  # stored again meanwhile (an import): nothing lost
            self.status.emit(f"Not kept again: {exc}", 8000)
            return
        except SampleError as exc:
            self._complain("Not kept again", exc)
            return
        reason.sample_id, reason.taken_back = kept.sample_id, None
        self.status.emit(kept.message(again=True), 5000)
        self.kept.emit(kept.message(again=True))

    def _on_teach_confirm_triggered(self) -> None:
        self.catch_up()
        answer = self.teacher.answer()  # "not a digit" when the window says so
        if answer is not None:
            self.keep(answer)

    def _on_digit_triggered(self, digit: int, checked: bool = False) -> None:
        self.keep(digit)

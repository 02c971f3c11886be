"""The big answer under the canvas: the digit it looks most like and its share, or its two
best guesses, or that it is not a digit; and beside it a gauge of how digit-like the
drawing is."""

from __future__ import annotations

import html
import math
import re

from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from digitpad.core.familiarity import FLAGGED_SHARE
from digitpad.core.viewer import ViewerModel
from digitpad.gui.settings import AppSettings
from digitpad.gui.theme import font_scale, muted_text

# Softmax always hands out 100 %: the percentage is a share, not a certainty.
SHARE_NOTE = (
    "<br><span style='font-size:9pt; color:{muted}'>each % is a share of the 100 % softmax "
    "splits over the ten digits</span>"
)
_POINTS = re.compile(r"font-size:(\d+)pt")


class PredictionView(QLabel):
    """Always as tall as its tallest answer at its width: the canvas above it must not
    move when an answer appears in the middle of a drawing."""

    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._reserved: dict[tuple, int] = {}
        # Under "Draw a digit" until a drawing follows (what was just kept); shown once the
        # cleared canvas reached the viewer, which may still hold the kept drawing's answer.
        self._note, self._note_shown = "", False
        # Set on the very first start, until the first drawing: where to draw, where the guide is.
        self._first_start: AppSettings | None = None
        self.setObjectName("prediction")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setTextFormat(Qt.TextFormat.RichText)  # only our own markup and numbers
        self.setMinimumHeight(90)
        # Wrapped, never widened: a longer answer ("Not sure: 4 52 % or 9 40 %") must not
        # push the column wider, which re-laid every panel out while drawing.
        self.setWordWrap(True)
        self.setToolTip("The network's answer and how sure it is")
        self.viewer = viewer
        viewer.network_shown_changed.connect(self._on_viewer_changed)
        viewer.input_changed.connect(self._on_viewer_changed)
        self._on_viewer_changed()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.PaletteChange):
            self._on_viewer_changed()  # zoomed, or presentation mode: sizes and colours anew
        super().changeEvent(event)

    def _scaled(self, markup: str) -> str:
        """The markup with its type sizes scaled with View > Zoom and its secondary text in
        the muted colour of the moment."""
        scale = font_scale(self)
        markup = markup.replace("{muted}", muted_text())
        return _POINTS.sub(lambda m: f"font-size:{int(m[1]) * scale:.1f}pt", markup)

    def _on_viewer_changed(self) -> None:
        verdict, viewer = self.viewer.verdict, self.viewer
        if viewer.network_shown is None:
            markup = "<span style='font-size:16pt'>No model: open one from the Model menu</span>"
            self._note, self._note_shown = "", False  # nothing to say it under
        elif viewer.too_small:
            markup = TOO_SMALL
            self._note, self._note_shown = "", False  # a drawing came: the note is done
        elif verdict is None:
            note = self._note or (FIRST_START_HINT if self._first_start else "")
            markup = DRAW_A_DIGIT + (NOTE.format(html.escape(note)) if note else "")
            self._note_shown = bool(self._note)
        elif viewer.unfamiliar and viewer.knows_non_digits:
            markup = not_a_digit_markup(verdict.digit, verdict.confidence, viewer.digit_share)
        elif viewer.unfamiliar:
            markup = unfamiliar_markup(
                verdict.digit, verdict.confidence, viewer.familiarity, viewer.familiarity_threshold
            )
        elif verdict.sure:
            markup = sure_markup(verdict.digit, verdict.confidence)
        else:
            markup = unsure_markup(
                verdict.digit, verdict.confidence, verdict.runner_up, verdict.runner_up_confidence
            )
        if verdict is not None and self._note_shown:  # a new drawing: the note is done
            self._note, self._note_shown = "", False
        drawn = verdict is not None or viewer.too_small
        if drawn and self._first_start is not None and viewer.network_shown is not None:
            self._first_start.save_first_drawing(done=True)  # never again, even after a crash
            self._first_start = None
        self.setText(self._scaled(markup))

    def hint_on_first_start(self, settings: AppSettings) -> None:
        """If digitpad has never run here, say under "Draw a digit" what to do and where
        the guide is, until the first drawing, in this run or a later one (``settings``
        remembers which)."""
        if settings.first_drawing_pending():
            settings.save_first_drawing(done=False)  # the store is not empty any more
            self._first_start = settings
            self._on_viewer_changed()

    def say_under_next(self, text: str) -> None:
        """Show ``text`` small under "Draw a digit" (the canvas just cleared), until the next
        answer: said where the user looks, and in presentation mode too."""
        self._note, self._note_shown = text, False
        self._on_viewer_changed()

    # -- the height kept ---------------------------------------------------------------------

    def heightForWidth(self, width: int) -> int:
        return max(super().heightForWidth(width), self._tallest(width))

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(hint.width(), max(hint.height(), self._tallest(hint.width())))

    def _tallest(self, width: int) -> int:
        """The height of the tallest answer at ``width``, measured by a label like this."""
        key = (width, self.font().key(), font_scale(self))
        if key not in self._reserved:
            probe = QLabel()
            probe.setFont(self.font())
            probe.setTextFormat(Qt.TextFormat.RichText)
            probe.setWordWrap(True)
            heights = []
            for markup in TALLEST:
                probe.setText(self._scaled(markup))
                heights.append(probe.heightForWidth(width))
            self._reserved[key] = max(heights)
        return self._reserved[key]


def sure_markup(digit: int, confidence: float) -> str:
    return (
        "<span style='font-size:14pt'>looks most like&nbsp;</span>"
        f"<span style='font-size:48pt; font-weight:600'>{digit}</span>"
        f"<span style='font-size:16pt'>&nbsp;&nbsp;{confidence:.0%}</span>" + SHARE_NOTE
    )


def unsure_markup(digit: int, confidence: float, runner_up: int, second: float) -> str:
    return (
        f"<span style='font-size:14pt'>looks like</span> "
        f"<span style='font-size:32pt; font-weight:600'>{digit}</span>"
        f"<span style='font-size:14pt'> {confidence:.0%} or </span>"
        f"<span style='font-size:32pt; font-weight:600'>{runner_up}</span>"
        f"<span style='font-size:14pt'> {second:.0%}</span>" + SHARE_NOTE
    )


def not_a_digit_markup(digit: int, confidence: float, share: float | None) -> str:
    """A network with the "not a digit" output says so: that in the big type, its best
    guess small."""
    held = "" if share is None else f": the digits hold {share:.0%} of its softmax"
    return (
        "<span style='font-size:30pt; font-weight:600'>Not a digit</span><br>"
        f"<span style='font-size:12pt'>if it were one, most like {digit} ({confidence:.0%})"
        "</span>"
        "<br><span style='font-size:9pt; color:{muted}'>it learned letters and doodles are "
        f"not digits{held}</span>"
    )


def unfamiliar_markup(digit: int, confidence: float, familiarity: float, threshold: float) -> str:
    return (
        "<span style='font-size:18pt'>Doesn't look like the digits it learned</span><br>"
        f"<span style='font-size:14pt'>best guess </span>"
        f"<span style='font-size:26pt; font-weight:600'>{digit}</span>"
        f"<span style='font-size:14pt'>&nbsp;{confidence:.0%}</span>"
        "<br><span style='font-size:9pt; color:{muted}'>its logits are all low: "
        f"familiarity {familiarity:.1f}, where {1 - FLAGGED_SHARE:.1%} of "
        f"digits score above {threshold:.1f}</span>"
    )


DRAW_A_DIGIT = "<span style='font-size:22pt'>Draw a digit</span>"
FIRST_START_HINT = (
    "Draw a digit with the mouse or a pen in the black square. F2 explains each panel."
)
NOTE = "<br><span style='font-size:11pt; color:{{muted}}'>{}</span>"
TOO_SMALL = (
    "<span style='font-size:18pt'>Too small to read</span><br>"
    "<span style='font-size:11pt'>A dot or a dash is no digit: draw it larger.</span>"
)
# The widest text each kind of answer can show: the label is always as tall as the tallest.
TALLEST = (
    sure_markup(8, 1.0),
    unsure_markup(8, 0.48, 0, 0.48),
    unfamiliar_markup(8, 1.0, -10.0, -10.0),
    not_a_digit_markup(8, 1.0, 0.5),
    TOO_SMALL,
    DRAW_A_DIGIT + NOTE.format("Kept as an 8 (it read 0): 10,000 of your samples"),
    DRAW_A_DIGIT + NOTE.format(FIRST_START_HINT),
)


class DigitGauge(QWidget):
    """How digit-like the drawing is, always beside the answer: a bar from "not a digit"
    to "a digit", with a tick where the model's threshold is.

    For a network with the "not a digit" output the bar is the share of its softmax the
    ten digits hold together (``viewer.digit_share``); for one without (``classic``) it is
    the familiarity against the model's threshold, ``1 / (1 + e^(threshold - familiarity))``:
    half way at the threshold. A model without a threshold shows no bar.
    """

    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("digit_gauge")
        self.viewer = viewer
        self.value: float | None = None
        self.threshold: float | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        viewer.network_shown_changed.connect(self._on_viewer_changed)
        viewer.input_changed.connect(self._on_viewer_changed)
        self._on_viewer_changed()

    def sizeHint(self) -> QSize:
        return QSize(160, self.fontMetrics().height() + 14)

    def minimumSizeHint(self) -> QSize:
        return QSize(80, self.sizeHint().height())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self.updateGeometry()
        super().changeEvent(event)

    @property
    def text(self) -> str:
        """What the gauge says, also its accessible description."""
        if self.threshold is None:
            return "how digit-like: this model cannot tell"
        if self.value is None:
            return "how digit-like: draw something"
        return f"how digit-like: {self.value:.0%}"

    def _on_viewer_changed(self) -> None:
        viewer = self.viewer
        threshold = viewer.familiarity_threshold
        self.value = self.threshold = None
        if threshold is not None and viewer.network_shown is not None:
            if viewer.knows_non_digits:
                self.threshold = _logistic(threshold)
                self.value = viewer.digit_share
            else:
                self.threshold = 0.5
                if viewer.familiarity is not None:
                    self.value = _logistic(viewer.familiarity - threshold)
            if viewer.too_small:
                self.value = None
        self.setToolTip(
            "How digit-like the drawing is. "
            + (
                "The share of the network's softmax the ten digits hold together, against its "
                "'not a digit' output; below the tick it says 'Not a digit'."
                if viewer.knows_non_digits
                else "This network never saw anything but digits: its logits' "
                "log-sum-exp against the model's threshold (half way); below it the answer "
                "says it doesn't look like the digits it learned."
            )
        )
        self.setAccessibleName("How digit-like")
        self.setAccessibleDescription(self.text)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_colour = palette.color(QPalette.ColorRole.WindowText)
        metrics = self.fontMetrics()
        label = "how digit-like"
        label_width = metrics.horizontalAdvance(label + "  100 %") + 8
        height = self.height()
        bar = QRectF(label_width, 4, max(10.0, self.width() - label_width - 4), height - 8)
        painter.setPen(text_colour)
        shown = "—" if self.value is None else f"{self.value:.0%}"
        painter.drawText(
            QRectF(0, 0, label_width - 6, height),
            int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
            f"{label}  {shown}" if self.threshold is not None else label,
        )
        painter.setPen(QPen(text_colour, 1))
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.drawRect(bar)
        if self.threshold is None:
            painter.drawText(bar, int(Qt.AlignmentFlag.AlignCenter), "this model cannot tell")
            return
        if self.value is not None:
            digit_like = self.value >= self.threshold
            fill = QColor(40, 140, 70) if digit_like else QColor(200, 90, 30)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawRect(QRectF(bar.left(), bar.top(), bar.width() * self.value, bar.height()))
        tick = bar.left() + bar.width() * self.threshold
        painter.setPen(QPen(text_colour, 2))
        painter.drawLine(int(tick), int(bar.top()) - 3, int(tick), int(bar.bottom()) + 3)


def _logistic(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-700.0, min(700.0, value))))

"""The big answer under the canvas: the digit it looks most like and its share, or its two
best guesses, or that it is not a digit; and beside it a gauge of how digit-like the
drawing is."""

from __future__ import annotations

import html
import math
import re

from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from digitpad.core.familiarity import FLAGGED_SHARE
from digitpad.core.viewer import ViewerModel
from digitpad.gui.settings import AppSettings
from digitpad.gui.theme import font_scale, muted_text

# Softmax always hands out 100 %: the percentage is a share, not a certainty. Said for a
# class, its number never split from its "%" (a projector's narrow column broke it there).
SHARE_NOTE = (
    "<br><span style='font-size:9pt; color:{muted}'>the ten percentages share 100&nbsp;%</span>"
)
_POINTS = re.compile(r"font-size:(\d+)pt")


class PredictionView(QLabel):
    """Always as tall as its tallest answer at its width: the canvas above it must not
    move when an answer appears in the middle of a drawing."""

    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._reserved: dict[tuple, tuple[int, int]] = {}
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
        self.setToolTip(ANSWER_TIP)
        # The answer's type at this share of the zoom's: less where the column is too short
        # for the canvas and the tallest answer together (presentation mode at 1024x600).
        self.shrink = 1.0
        self._knows = False
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
        scale = font_scale(self) * self.shrink
        markup = markup.replace("{muted}", muted_text())
        return _POINTS.sub(lambda m: f"font-size:{int(m[1]) * scale:.1f}pt", markup)

    def _on_viewer_changed(self) -> None:
        verdict, viewer = self.viewer.verdict, self.viewer
        tip = ANSWER_TIP
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
            tip = unfamiliar_tip(viewer.familiarity, viewer.familiarity_threshold)
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
        self.setToolTip(tip)
        if viewer.knows_non_digits != self._knows:  # other answers: another tallest
            self._knows = viewer.knows_non_digits
            self.updateGeometry()

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

    def minimumSizeHint(self) -> QSize:
        # As wide as its longest unbroken phrase ("looks most like") in the smallest type
        # fit_height may shrink it to, whatever the type now: a minimum that changed with
        # the shrink moved the column's division after it was made; one below the phrase
        # let Zoom In grow the type past what the column can show.
        hint = super().minimumSizeHint()
        return QSize(self._widest(hint.width(), SHRINK_STEPS[-1]), hint.height())

    def fit_height(self, width: int, room: int) -> None:
        """Shrink the answer's type, in steps, until its tallest answer at ``width`` takes
        at most ``room`` pixels and its longest unbroken phrase fits ``width`` (or the
        smallest step is reached); grow it back when there is room again."""
        shrink = next(
            (
                step
                for step in SHRINK_STEPS
                if self._tallest(width, step) <= room and self._widest(width, step) <= width
            ),
            SHRINK_STEPS[-1],
        )
        if shrink != self.shrink:
            self.shrink = shrink
            self._on_viewer_changed()
            self.updateGeometry()

    def _tallest(self, width: int, shrink: float | None = None) -> int:
        """The height of the tallest answer this network can give at ``width``, measured by
        a label like this."""
        return self._measure(width, shrink)[0]

    def _widest(self, width: int, shrink: float | None = None) -> int:
        """The width of the longest unbroken phrase of the answers this network can give."""
        return self._measure(width, shrink)[1]

    def _measure(self, width: int, shrink: float | None = None) -> tuple[int, int]:
        shrink = self.shrink if shrink is None else shrink
        knows = self.viewer.knows_non_digits
        key = (width, self.font().key(), font_scale(self), shrink, knows)
        if key not in self._reserved:
            probe = QLabel()
            probe.setFont(self.font())
            probe.setTextFormat(Qt.TextFormat.RichText)
            probe.setWordWrap(True)
            heights, widths = [], []
            kept, self.shrink = self.shrink, shrink
            for markup in tallest_markups(knows):
                probe.setText(self._scaled(markup))
                heights.append(probe.heightForWidth(width))
                widths.append(QLabel.minimumSizeHint(probe).width())
            self.shrink = kept
            self._reserved[key] = (max(heights), max(widths))
        return self._reserved[key]


def sure_markup(digit: int, confidence: float) -> str:
    return (
        # One phrase: a narrow column may put the digit on the next line, never "like".
        "<span style='font-size:14pt'>looks&nbsp;most&nbsp;like</span> "
        f"<span style='font-size:48pt; font-weight:600'>{digit}</span>"
        f"<span style='font-size:16pt'>&nbsp;&nbsp;{confidence:.0%}</span>" + SHARE_NOTE
    )


def unsure_markup(digit: int, confidence: float, runner_up: int, second: float) -> str:
    return (
        f"<span style='font-size:14pt'>looks&nbsp;like</span> "
        f"<span style='font-size:32pt; font-weight:600'>{digit}</span>"
        f"<span style='font-size:14pt'>&nbsp;{confidence:.0%} or</span> "
        f"<span style='font-size:32pt; font-weight:600'>{runner_up}</span>"
        f"<span style='font-size:14pt'>&nbsp;{second:.0%}</span>" + SHARE_NOTE
    )


def not_a_digit_markup(digit: int, confidence: float, share: float | None) -> str:
    """A network with the "not a digit" output says so: that in the big type, its best
    guess small."""
    held = (
        ""
        if share is None
        else f": the ten digits together get {share:.0%}".replace("%", "&nbsp;%")
    )
    return (
        "<span style='font-size:30pt; font-weight:600'>Not a digit</span><br>"
        f"<span style='font-size:12pt'>if it were one, most like {digit} ({confidence:.0%})"
        "</span>"
        "<br><span style='font-size:9pt; color:{muted}'>it learned that letters and doodles "
        f"are not digits{held}</span>"
    )


def unfamiliar_markup(digit: int, confidence: float, familiarity: float, threshold: float) -> str:
    """Plain words for a class; the numbers behind them are in ``unfamiliar_tip``."""
    return (
        "<span style='font-size:18pt'>Doesn't look like the digits it learned</span><br>"
        f"<span style='font-size:14pt'>best guess </span>"
        f"<span style='font-size:26pt; font-weight:600'>{digit}</span>"
        f"<span style='font-size:14pt'>&nbsp;{confidence:.0%}</span>"
        "<br><span style='font-size:9pt; color:{muted}'>it reacts weakly to every digit: "
        "this drawing is unlike what it learned</span>"
    )


def unfamiliar_tip(familiarity: float, threshold: float) -> str:
    return (
        f"Its scores for the ten digits (logits) are all low: their familiarity, "
        f"log(sum of e^score), is {familiarity:.1f}, where {1 - FLAGGED_SHARE:.1%} of the "
        f"digits it learned score above {threshold:.1f}."
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
ANSWER_TIP = "The network's answer and how sure it is"
SHRINK_STEPS = (1.0, 0.85, 0.7, 0.6)


def tallest_markups(knows_non_digits: bool) -> tuple[str, ...]:
    """The widest text each kind of answer a network can give shows: the label is always
    as tall as the tallest (a network without the "not a digit" output never says it, one
    with it never says a drawing is unlike its digits)."""
    return (
        sure_markup(8, 1.0),
        unsure_markup(8, 0.48, 0, 0.48),
        not_a_digit_markup(8, 1.0, 0.5)
        if knows_non_digits
        else unfamiliar_markup(8, 1.0, -10.0, -10.0),
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
    half way at the threshold. That one measures how strongly the network reacts, as it
    does to the digits it learned, not whether the drawing is a digit (a smiley can fill
    it): its label and a line under it say so. A model without a threshold shows no bar.

    The label sits beside the bar where both fit, else above it: the bar never narrower
    than ``BAR_LEAST``.
    """

    BAR_LEAST = 120

    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("digit_gauge")
        self.viewer = viewer
        self.value: float | None = None
        self.threshold: float | None = None
        self.label, self.caption = "how digit-like", ""
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        viewer.network_shown_changed.connect(self._on_viewer_changed)
        viewer.input_changed.connect(self._on_viewer_changed)
        self._on_viewer_changed()

    def sizeHint(self) -> QSize:
        width = max(self.width(), 160)
        return QSize(160, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        return QSize(self.BAR_LEAST + 8, self.sizeHint().height())

    def _label_text(self) -> str:
        shown = "—" if self.value is None else f"{self.value:.0%}"
        return f"{self.label}  {shown}" if self.threshold is not None else self.label

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._places(width)[3]

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self.updateGeometry()
        super().changeEvent(event)

    @property
    def text(self) -> str:
        """What the gauge says, also its accessible description."""
        shown = "draw something" if self.value is None else f"{self.value:.0%}"
        if self.threshold is None:
            shown = "—"
        return f"{self.label}: {shown}" + (f" ({self.caption})" if self.caption else "")

    def _on_viewer_changed(self) -> None:
        viewer = self.viewer
        threshold = viewer.familiarity_threshold
        self.value = self.threshold = None
        knows = viewer.knows_non_digits
        before = (self.label, self.caption)
        self.label = "how digit-like" if knows else "how strongly it reacts"
        if threshold is not None and viewer.network_shown is not None:
            if knows:
                self.threshold = _logistic(threshold)
                self.value = viewer.digit_share
            else:
                self.threshold = 0.5
                if viewer.familiarity is not None:
                    self.value = _logistic(viewer.familiarity - threshold)
            if viewer.too_small:
                self.value = None
        if viewer.network_shown is None:
            self.caption = ""
        elif threshold is None:
            self.label = "how digit-like"
            self.caption = (
                "during a training run it cannot tell: the threshold comes when the run ends"
                if viewer.training_shown
                else "this model cannot tell how digit-like: its file has no threshold"
            )
        elif knows:
            self.caption = ""
        else:
            self.caption = "as to its digits: it cannot tell letters and doodles from digits"
        self.setToolTip(
            "How digit-like the drawing is: the share of the network's softmax the ten "
            "digits hold together, against its 'not a digit' output; below the tick it "
            "says 'Not a digit'."
            if knows
            else "How strongly the network reacts to the drawing, as it does to the "
            "digits it learned: its logits' log-sum-exp against the model's threshold "
            "(half way). It never saw anything but digits, so a letter or a doodle can "
            "fill this bar; below the tick the answer says it doesn't look like the "
            "digits it learned."
        )
        self.setAccessibleName(self.label)
        self.setAccessibleDescription(self.text)
        if (self.label, self.caption) != before:
            self.updateGeometry()
        self.update()

    def _caption_font(self) -> QFont:
        font = QFont(self.font())
        # 0.75 of the system's type was some 8 px high: a newcomer could not read it. A
        # larger type (presentation, zoom) keeps 0.75: already legible, and no taller.
        size = self.font().pointSizeF()
        font.setPointSizeF(max(size * 0.75, min(size * 0.9, 9.0)))
        return font

    def _places(self, width: int) -> tuple[QRectF, QRectF, QRectF, int]:
        """(label, bar, caption) rectangles at ``width``, and the height they take."""
        metrics = self.fontMetrics()
        line = metrics.height()
        label_width = metrics.horizontalAdvance(f"{self.label}  100 %") + 8
        bar_height = line + 6
        if width - label_width - 4 >= self.BAR_LEAST:  # side by side
            label = QRectF(0, 0, label_width - 6, bar_height + 8)
            bar = QRectF(label_width, 4, width - label_width - 4, bar_height)
            top = bar_height + 8
        else:  # the label above the bar (wrapped if need be), the bar as wide as the gauge
            flags = int(Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap)
            # Measured with its widest value: the gauge's height never changes as it moves.
            widest = f"{self.label}  100 %"
            words = metrics.boundingRect(0, 0, max(1, width), 10_000, flags, widest)
            label = QRectF(0, 0, width, words.height() + 2)
            bar = QRectF(0, label.height() + 4, width - 4, bar_height)
            top = bar.bottom() + 4
        caption = QRectF(0, top, width, 0)
        if self.caption:
            flags = int(Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap)
            small = QFontMetrics(self._caption_font())
            needed = small.boundingRect(0, 0, max(1, width), 10_000, flags, self.caption)
            caption.setHeight(needed.height() + 2)
        return label, bar, caption, int(top + caption.height())

    def bar_rect(self) -> QRectF:
        return self._places(self.width())[1]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_colour = palette.color(QPalette.ColorRole.WindowText)
        label, bar, caption, _ = self._places(self.width())
        painter.setPen(text_colour)
        painter.drawText(
            label,
            int(
                Qt.AlignmentFlag.AlignVCenter
                | Qt.AlignmentFlag.AlignLeft
                | Qt.TextFlag.TextWordWrap
            ),
            self._label_text(),
        )
        if self.caption:
            painter.setFont(self._caption_font())
            painter.drawText(
                caption,
                int(Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap),
                self.caption,
            )
            painter.setFont(self.font())
        painter.setPen(QPen(text_colour, 1))
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.drawRect(bar)
        if self.threshold is None:
            return  # the caption says why there is no bar
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

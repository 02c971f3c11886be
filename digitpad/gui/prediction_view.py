"""The big answer under the canvas: the digit and how sure, or its two best guesses."""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QWidget

from digitpad.core.familiarity import FLAGGED_SHARE
from digitpad.core.viewer import ViewerModel
from digitpad.gui.theme import font_scale, muted_text

# Softmax always hands out 100 %: the percentage is a share, not a certainty.
SHARE_NOTE = (
    "<br><span style='font-size:9pt; color:{muted}'>its share of 100 % split over the ten "
    "digits (softmax)</span>"
)
_POINTS = re.compile(r"font-size:(\d+)pt")


class PredictionView(QLabel):
    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("prediction")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setTextFormat(Qt.TextFormat.RichText)  # only our own markup and numbers
        self.setMinimumHeight(90)
        # Wrapped, never widened: a longer answer ("Not sure: 4 52 % or 9 40 %") must not
        # push the column wider, which re-laid every panel out while drawing.
        self.setWordWrap(True)
        self.setToolTip("The network's answer and how sure it is")
        self.viewer = viewer
        viewer.model_changed.connect(self._on_viewer_changed)
        viewer.input_changed.connect(self._on_viewer_changed)
        self._on_viewer_changed()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.PaletteChange):
            self._on_viewer_changed()  # zoomed, or presentation mode: sizes and colours anew
        super().changeEvent(event)

    def _show(self, markup: str) -> None:
        """The answer's markup, its type sizes scaled with View > Zoom and its secondary
        text in the muted colour of the moment."""
        scale = font_scale(self)
        markup = markup.replace("{muted}", muted_text())
        self.setText(_POINTS.sub(lambda m: f"font-size:{int(m[1]) * scale:.1f}pt", markup))

    def _on_viewer_changed(self) -> None:
        verdict = self.viewer.verdict
        if self.viewer.model is None:
            self._show("<span style='font-size:16pt'>No model: open one from the Model menu</span>")
        elif self.viewer.too_small:
            self._show(
                "<span style='font-size:18pt'>Too small to read</span><br>"
                "<span style='font-size:11pt'>A dot or a dash is no digit: draw it larger."
                "</span>"
            )
        elif verdict is None:
            self._show("<span style='font-size:22pt'>Draw a digit</span>")
        elif self.viewer.unfamiliar:
            self._show(
                "<span style='font-size:18pt'>Doesn't look like the digits it learned</span><br>"
                f"<span style='font-size:14pt'>best guess </span>"
                f"<span style='font-size:26pt; font-weight:600'>{verdict.digit}</span>"
                f"<span style='font-size:14pt'>&nbsp;{verdict.confidence:.0%}</span>"
                "<br><span style='font-size:9pt; color:{muted}'>its logits are all low: "
                f"familiarity {self.viewer.familiarity:.1f}, where {1 - FLAGGED_SHARE:.1%} of "
                f"digits score above {self.viewer.familiarity_threshold:.1f}</span>"
            )
        elif verdict.sure:
            self._show(
                f"<span style='font-size:48pt; font-weight:600'>{verdict.digit}</span>"
                f"<span style='font-size:16pt'>&nbsp;&nbsp;{verdict.confidence:.0%} sure</span>"
                + SHARE_NOTE
            )
        else:
            self._show(
                f"<span style='font-size:16pt'>Not sure:</span> "
                f"<span style='font-size:32pt; font-weight:600'>{verdict.digit}</span>"
                f"<span style='font-size:14pt'> {verdict.confidence:.0%} or </span>"
                f"<span style='font-size:32pt; font-weight:600'>{verdict.runner_up}</span>"
                f"<span style='font-size:14pt'> {verdict.runner_up_confidence:.0%}</span>"
                + SHARE_NOTE
            )

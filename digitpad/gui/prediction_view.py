"""The big answer under the canvas: the digit and how sure, or its two best guesses."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from digitpad.core.familiarity import FLAGGED_SHARE
from digitpad.core.viewer import ViewerModel

# Softmax always hands out 100 %: the percentage is a share, not a certainty.
SHARE_NOTE = (
    "<br><span style='font-size:9pt; color:gray'>its share of 100 % split over the ten "
    "digits (softmax)</span>"
)


class PredictionView(QLabel):
    def __init__(self, viewer: ViewerModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("prediction")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setTextFormat(Qt.TextFormat.RichText)  # only our own markup and numbers
        self.setMinimumHeight(90)
        self.setToolTip("The network's answer and how sure it is")
        self.viewer = viewer
        viewer.model_changed.connect(self._on_viewer_changed)
        viewer.input_changed.connect(self._on_viewer_changed)
        self._on_viewer_changed()

    def _on_viewer_changed(self) -> None:
        verdict = self.viewer.verdict
        if self.viewer.model is None:
            self.setText(
                "<span style='font-size:16pt'>No model: open one from the Model menu</span>"
            )
        elif self.viewer.too_small:
            self.setText(
                "<span style='font-size:18pt'>Too small to read</span><br>"
                "<span style='font-size:11pt'>A dot or a dash is no digit: draw it larger."
                "</span>"
            )
        elif verdict is None:
            self.setText("<span style='font-size:22pt'>Draw a digit</span>")
        elif self.viewer.unfamiliar:
            self.setText(
                "<span style='font-size:18pt'>Doesn't look like the digits it learned</span><br>"
                f"<span style='font-size:14pt'>best guess </span>"
                f"<span style='font-size:26pt; font-weight:600'>{verdict.digit}</span>"
                f"<span style='font-size:14pt'>&nbsp;{verdict.confidence:.0%}</span>"
                "<br><span style='font-size:9pt; color:gray'>its logits are all low: familiarity "
                f"{self.viewer.familiarity:.1f}, where {1 - FLAGGED_SHARE:.1%} of digits score "
                f"above {self.viewer.familiarity_threshold:.1f}</span>"
            )
        elif verdict.sure:
            self.setText(
                f"<span style='font-size:48pt; font-weight:600'>{verdict.digit}</span>"
                f"<span style='font-size:16pt'>&nbsp;&nbsp;{verdict.confidence:.0%} sure</span>"
                + SHARE_NOTE
            )
        else:
            self.setText(
                f"<span style='font-size:16pt'>Not sure:</span> "
                f"<span style='font-size:32pt; font-weight:600'>{verdict.digit}</span>"
                f"<span style='font-size:14pt'> {verdict.confidence:.0%} or </span>"
                f"<span style='font-size:32pt; font-weight:600'>{verdict.runner_up}</span>"
                f"<span style='font-size:14pt'> {verdict.runner_up_confidence:.0%}</span>"
                + SHARE_NOTE
            )

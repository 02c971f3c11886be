"""The retrain dialog's Network box: a bundled architecture or a custom one, with every
layer's output shape and the parameter count shown as it is edited."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from digitpad.core.architectures import ConvChoice, custom_spec, with_not_a_digit
from digitpad.core.bundled import DEFAULT, RECIPES
from digitpad.core.layers import ACTIVATIONS
from digitpad.core.network import Network, SpecError
from digitpad.gui.describe import shape_text

CUSTOM = "custom"
# The share of each batch that is letters and doodles in a run that learns "not a digit":
# the bundled default's second run's (README: Not a digit).
NOT_A_DIGIT_RATIO = DEFAULT.then.outlier_ratio
POOL_CHOICES = {"max": "max", "average": "average", "none": None}


class ConvBlockEditor(QWidget):
    """One conv block of a custom network: filters, kernel, stride, padding, activation, pool."""

    changed = Signal()

    def __init__(self, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Two rows of three settings: one row would be wider than the settings' column.
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(f"conv {number}:"), 0, 0)
        self.filters = QSpinBox(minimum=1, maximum=128, value=8 * 2 ** (number - 1))
        self.kernel = QSpinBox(minimum=1, maximum=9, value=3)
        self.stride = QComboBox()
        self.stride.addItems(["1", "2"])
        self.padding = QComboBox()
        self.padding.addItems(["valid", "same"])
        self.activation = QComboBox()
        self.activation.addItems(["none", *ACTIVATIONS])
        self.activation.setCurrentText("relu")
        self.pool = QComboBox()
        self.pool.addItems(list(POOL_CHOICES))
        for index, (label, widget, tip) in enumerate(
            (
                ("filters", self.filters, "Number of filters (output channels)"),
                ("k", self.kernel, "Kernel size k: each filter is k×k"),
                ("stride", self.stride, "Step between filter positions"),
                ("pad", self.padding, "valid: no padding; same: pad k//2 on every side"),
                ("act", self.activation, "Activation after the convolution"),
                ("pool", self.pool, "2×2 pooling after the activation"),
            )
        ):
            row, column = divmod(index, 3)
            layout.addWidget(QLabel(label), row, 1 + 2 * column)
            widget.setToolTip(tip)
            layout.addWidget(widget, row, 2 + 2 * column)
        layout.setColumnStretch(7, 1)  # the rows keep to the left
        for spin in (self.filters, self.kernel):
            spin.valueChanged.connect(self.changed)
        for combo in (self.stride, self.padding, self.activation, self.pool):
            combo.currentIndexChanged.connect(self.changed)

    def choice(self) -> ConvChoice:
        activation = self.activation.currentText()
        return ConvChoice(
            filters=self.filters.value(),
            kernel=self.kernel.value(),
            stride=int(self.stride.currentText()),
            padding=self.padding.currentText(),
            activation=None if activation == "none" else activation,
            pool=POOL_CHOICES[self.pool.currentText()],
        )


class ArchitectureEditor(QGroupBox):
    """``changed`` after every edit; ``spec()`` and ``spec_error`` say what was built."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Network", parent)
        form = QFormLayout(self)
        self.architecture = QComboBox()
        self.architecture.setObjectName("architecture")
        self.architecture.addItems([*RECIPES, CUSTOM])
        self.architecture.setToolTip(
            "classic: the tutorial's 8 filters, pool, softmax. default: two conv blocks and a "
            "dense layer. custom: build your own."
        )
        self.architecture.currentIndexChanged.connect(self._on_edited)
        form.addRow("Architecture", self.architecture)

        self.custom_box = QWidget()
        custom = QVBoxLayout(self.custom_box)
        custom.setContentsMargins(0, 0, 0, 0)
        self.block_count = QSpinBox(minimum=1, maximum=3, value=2)
        self.block_count.setObjectName("block_count")
        self.block_count.valueChanged.connect(self._on_edited)
        row = QHBoxLayout()
        row.addWidget(QLabel("conv blocks"))
        row.addWidget(self.block_count)
        row.addStretch(1)
        custom.addLayout(row)
        self.blocks = [ConvBlockEditor(i + 1) for i in range(3)]
        for block in self.blocks:
            block.changed.connect(self._on_edited)
            custom.addWidget(block)
        head = QHBoxLayout()
        self.global_pool = QCheckBox("global average pooling")
        self.dense = QCheckBox("dense layer of")
        self.dense.setChecked(True)
        self.dense_units = QSpinBox(minimum=4, maximum=1024, value=64)
        for widget in (self.global_pool, self.dense):
            widget.toggled.connect(self._on_edited)
        self.dense_units.valueChanged.connect(self._on_edited)
        head.addWidget(self.global_pool)
        head.addWidget(self.dense)
        head.addWidget(self.dense_units)
        head.addWidget(QLabel("units"))
        head.addStretch(1)
        custom.addLayout(head)
        form.addRow(self.custom_box)

        self.not_a_digit = QCheckBox("Learn 'not a digit' too: letters and doodles")
        self.not_a_digit.setObjectName("not_a_digit")
        self.not_a_digit.setToolTip(
            "An eleventh output, 'not a digit', learned from pen letters and doodles, an "
            f"eighth of each batch (ratio {NOT_A_DIGIT_RATIO:g}), as the bundled default's "
            "second run learned it"
        )
        self.not_a_digit.toggled.connect(self._on_edited)
        # Why the box is greyed, under it (a tooltip alone would hide the reason).
        self.not_a_digit_why = QLabel()
        self.not_a_digit_why.setObjectName("not_a_digit_why")
        self.not_a_digit_why.setWordWrap(True)
        self.not_a_digit_why.setVisible(False)
        form.addRow(self.not_a_digit)
        form.addRow(self.not_a_digit_why)

        self.shapes = QLabel()
        self.shapes.setObjectName("shapes")
        self.shapes.setWordWrap(True)
        self.shapes.setTextFormat(Qt.TextFormat.RichText)
        form.addRow("Shapes", self.shapes)
        self.spec_error: str | None = None
        self._on_edited()

    def arch(self) -> str:
        return self.architecture.currentText()

    def learns_not_a_digit(self) -> bool:
        """The network built has the "not a digit" output (ticked and possible)."""
        return self.not_a_digit.isChecked() and self.not_a_digit.isEnabled()

    def spec(self) -> dict:
        spec = self._digits_spec()
        return with_not_a_digit(spec) if self.learns_not_a_digit() else spec

    def _digits_spec(self) -> dict:
        """The network chosen, with the ten digits' outputs alone."""
        if self.arch() != CUSTOM:
            return RECIPES[self.arch()].spec()
        return custom_spec(
            [block.choice() for block in self.blocks[: self.block_count.value()]],
            global_pool=self.global_pool.isChecked(),
            dense_units=self.dense_units.value() if self.dense.isChecked() else None,
        )

    def _not_a_digit_problem(self) -> str | None:
        """Why the network chosen cannot have the "not a digit" output, or None."""
        try:
            Network(self._digits_spec())
        except SpecError:
            return "This network cannot be built (see Shapes), so it cannot learn this either."
        try:
            with_not_a_digit(self._digits_spec())
        except ValueError as exc:
            return f"Not for this network: {exc}."
        return None

    def _on_edited(self) -> None:
        self.custom_box.setVisible(self.arch() == CUSTOM)
        for number, block in enumerate(self.blocks):
            block.setVisible(number < self.block_count.value())
        problem = self._not_a_digit_problem()
        self.not_a_digit.setEnabled(problem is None)
        self.not_a_digit_why.setText(
            f"<span style='color:#d03030'>{html.escape(problem)}</span>" if problem else ""
        )
        self.not_a_digit_why.setVisible(problem is not None)
        self.spec_error = None
        try:
            network = Network(self.spec())
        except SpecError as exc:
            self.spec_error = str(exc)
            self.shapes.setText(f"<span style='color:#d03030'>{html.escape(str(exc))}</span>")
        else:
            steps = " → ".join(
                f"{name} {shape_text(shape)}"
                for name, shape, _ in network.summary()
                if not name.startswith("flatten")
            )
            self.shapes.setText(f"{steps} → softmax<br>{network.parameter_count:,} parameters")
        self.changed.emit()

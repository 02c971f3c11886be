"""Model > Retrain…: choose a network and settings, watch it learn, keep it or discard it.

The dialog composes four views (network, data, live progress, results) and owns one
training worker at a time. It is not modal: the main window keeps drawing meanwhile, and
while the window shows the network learning, the dialog gives way to a bar under its panels.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from digitpad.core import uji
from digitpad.core.bundled import RECIPES
from digitpad.core.model_io import Model
from digitpad.core.network import NOT_A_DIGIT
from digitpad.core.record import NON_DIGITS_KEY, ModelRecord
from digitpad.core.samples import PersonalSet, SampleError
from digitpad.core.session import FineTune, NewNetwork, SessionRequest, SessionResult
from digitpad.core.teaching import n_samples, not_a_digit_left_out
from digitpad.core.training import OPTIMIZERS, SAMPLES_RATIO, TrainConfig, fine_tune_config
from digitpad.gui import file_dialogs
from digitpad.gui.placement import fitted_size
from digitpad.gui.settings import AppSettings
from digitpad.gui.theme import StyleFollower
from digitpad.gui.train_architecture import CUSTOM, NOT_A_DIGIT_RATIO, ArchitectureEditor
from digitpad.gui.train_data import DataSource
from digitpad.gui.train_progress import ProgressView
from digitpad.gui.train_results import ResultsView
from digitpad.gui.workers import Background, TrainWorker

IMAGE_CHOICES = (1_000, 6_000, 10_000, 60_000)
SETTINGS_WIDTH = 440  # the settings and their scroll bar; a 1024 px screen leaves the rest
# With results shown, what the results keep (their three panels side by side, matrices of
# readable cells) before the settings give up width, and what the settings keep then.
RESULTS_WIDTH = 600
SETTINGS_WITH_RESULTS = 360
ERROR = "<span style='color:#d03030'>{}</span>"

# Saves a result (into the library, or to the path given) and switches the app to it;
# returns None, or why it could not.
Keeper = Callable[[SessionResult, Path | None], str | None]


class TrainingForm(QGroupBox):
    """Epochs, batch size, learning rate, optimizer, augmentation, data size, seed, name:
    the editable part of a run's settings, over a base (a bundled recipe's, or
    fine-tuning's) that gives the rest (schedule, validation share)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Training", parent)
        self.base = dialog_recipe(None)
        self._before_fine_tuning: tuple[TrainConfig, tuple] | None = None
        form = QFormLayout(self)
        self.epochs = QSpinBox(minimum=1, maximum=100, value=2)
        self.batch_size = QSpinBox(minimum=1, maximum=1024, value=64)
        self.learning_rate = QDoubleSpinBox(
            decimals=5, minimum=0.00001, maximum=1.0, singleStep=0.0005, value=0.001
        )
        self.optimizer = QComboBox()
        self.optimizer.addItems(list(OPTIMIZERS))
        # Short enough for the settings' column with its scroll bar (the tooltip says more).
        self.augment = QCheckBox("shift, rotate, scale, slant, warp, thickness")
        self.augment.setChecked(True)
        self.images = QComboBox()
        for count in IMAGE_CHOICES:
            self.images.addItem(f"{count:,}", count)
        self.images.setCurrentIndex(len(IMAGE_CHOICES) - 1)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.name = QLineEdit()
        self.name.setPlaceholderText("a name for the new model")
        for label, widget, tip in (
            ("Epochs", self.epochs, "Passes over the training images"),
            ("Batch size", self.batch_size, "Images per gradient step"),
            ("Learning rate", self.learning_rate, "Step size (cosine-decayed to zero)"),
            ("Optimizer", self.optimizer, "Adam, or SGD with momentum 0.9"),
            (
                "Augmentation",
                self.augment,
                "Random distortions like those of mouse drawing: shifts, rotations, scaling, "
                "slant, elastic distortion and thinner or thicker strokes",
            ),
            ("Training images", self.images, "How much of MNIST's 60,000 to use"),
            ("Seed", self.seed, "The same seed and settings give the same model"),
            ("Name", self.name, "Shown in the Model menu"),
        ):
            widget.setToolTip(tip)
            widget.setObjectName(label.lower().replace(" ", "_"))
            form.addRow(label, widget)
        self._apply(self.base)

    def use_recipe(self, base: TrainConfig) -> list[str]:
        """A new network's settings: its recipe's (``dialog_recipe``), except the epochs and
        images the user typed over the last base's (a new architecture must not silently
        throw away what was set); returns what was kept ("1 epoch", "1,000 images")."""
        epochs, images = self.epochs.value(), self.images.currentData()
        before_epochs, before_images = self._base_epochs_and_images()
        self.base = base
        self._apply(base)
        kept = []
        if epochs != before_epochs:
            self.epochs.setValue(epochs)
            kept.append(f"{epochs} epoch{'' if epochs == 1 else 's'}")
        if images != before_images:
            self.images.setCurrentIndex(IMAGE_CHOICES.index(images))
            kept.append(f"{images:,} images")
        return kept

    def _base_epochs_and_images(self) -> tuple[int, int]:
        """The epochs and the training images the base gives (as ``_apply`` shows them)."""
        limit = self.base.limit
        images = min((c for c in IMAGE_CHOICES if c >= (limit or 0)), default=None)
        return self.base.epochs, images if limit is not None else IMAGE_CHOICES[-1]

    def use_fine_tuning(self, source: ModelRecord) -> None:
        """The settings of ``digitpad train --from``, exactly (``fine_tune_config``): few
        epochs, a lower rate, 6,000 MNIST digits, augmented only if the model in use learned
        from augmented digits. The settings they replace come back with
        ``use_new_network``."""
        if self._before_fine_tuning is None:
            self._before_fine_tuning = (self.base, self._settings())
        self.base = fine_tune_config(source)
        self._apply(self.base)

    def use_new_network(self) -> None:
        """The settings as they were before ``use_fine_tuning``."""
        if self._before_fine_tuning is not None:
            self.base, settings = self._before_fine_tuning
            self._before_fine_tuning = None
            self._set(*settings)

    def _settings(self) -> tuple[int, int, float, str, bool, int]:
        return (
            self.epochs.value(),
            self.batch_size.value(),
            self.learning_rate.value(),
            self.optimizer.currentText(),
            self.augment.isChecked(),
            self.images.currentData(),
        )

    def _apply(self, config: TrainConfig) -> None:
        images = min((c for c in IMAGE_CHOICES if c >= (config.limit or 0)), default=None)
        self._set(
            config.epochs,
            config.batch_size,
            config.learning_rate,
            config.optimizer,
            config.augment,
            images if config.limit is not None else IMAGE_CHOICES[-1],
        )

    def _set(
        self,
        epochs: int,
        batch_size: int,
        learning_rate: float,
        optimizer: str,
        augment: bool,
        images: int,
    ) -> None:
        self.epochs.setValue(epochs)
        self.batch_size.setValue(batch_size)
        self.learning_rate.setValue(learning_rate)
        self.optimizer.setCurrentText(optimizer)
        self.augment.setChecked(augment)
        self.images.setCurrentIndex(IMAGE_CHOICES.index(images))

    def config(self, samples_ratio: float = 0.0) -> TrainConfig:
        """The base settings with the form's in their place. Raises ValueError for
        settings that do not fit together."""
        count = self.images.currentData()
        return replace(
            self.base,
            samples_ratio=samples_ratio,
            epochs=self.epochs.value(),
            batch_size=self.batch_size.value(),
            learning_rate=self.learning_rate.value(),
            optimizer=self.optimizer.currentText(),
            augment=self.augment.isChecked(),
            limit=None if count >= IMAGE_CHOICES[-1] else count,
            seed=self.seed.value(),
        )


def dialog_recipe(arch: str | None) -> TrainConfig:
    """A new network's settings in the dialog: a bundled architecture's own recipe (before
    any is chosen, ``default``'s), run for the recipe's quick epochs (a
    minute or two here) on MNIST alone, a tenth of it held out for the validation curve."""
    recipe = RECIPES.get(arch or "", RECIPES["default"])
    return replace(
        recipe.config, epochs=recipe.quick_epochs, validation_fraction=0.1, pen_ratio=0.0
    )


class SamplesBox(QGroupBox):
    """Whether the user's own samples join the run, and whether it fine-tunes the model in
    use rather than training a new network."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Your handwriting", parent)
        self.include = QCheckBox("Include my samples")
        self.include.setObjectName("include_samples")
        self.include.setToolTip(
            "The digits you kept (Samples menu) become a quarter of every batch, so a few "
            "hundred count beside 60,000; about one in five is held out to score the result"
        )
        self.fine_tune = QCheckBox("Fine-tune the model in use instead of a new network")
        self.fine_tune.setObjectName("fine_tune")
        self.fine_tune.setToolTip(
            "Start from the current model's weights: 3 epochs at a lower learning rate on "
            "6,000 MNIST digits (so it keeps what it knew) beside your samples"
        )
        self.note = QLabel()
        self.note.setWordWrap(True)
        # Samples kept as "not a digit" that the network to train cannot learn: said, not
        # refused (the digits are learned all the same).
        self.left_out = QLabel()
        self.left_out.setObjectName("samples_left_out")
        self.left_out.setWordWrap(True)
        self.left_out.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.include)
        layout.addWidget(self.fine_tune)
        layout.addWidget(self.note)
        layout.addWidget(self.left_out)

    def show_count(
        self, personal: PersonalSet | None, problem: str | None, knows_non_digits: bool = True
    ) -> None:
        """How many samples there are to include (or why none can be read): for a network
        without the "not a digit" output, those it can learn, as the run counts them
        (session.py leaves the others out; ``left_out`` says how many)."""
        left_out = False
        if personal is not None and not knows_non_digits:
            digits = personal.labels != NOT_A_DIGIT
            left_out = not digits.all()
            personal = PersonalSet(
                personal.ids[digits],
                personal.inputs[digits],
                personal.labels[digits],
                personal.held_out[digits],
            )
        count = len(personal) if personal is not None else 0
        taught = int((~personal.held_out).sum()) if personal is not None else 0
        self.include.setEnabled(taught > 0)
        if taught == 0:
            self.include.setChecked(False)
        if problem is not None:
            self.note.setText(ERROR.format(html.escape(problem)))
        elif count == 0 and left_out:
            self.note.setText("No digit samples yet: draw a digit, then press the digit it is.")
        elif count == 0:
            self.note.setText("No samples yet: draw a digit, then press the digit it is.")
        else:
            self.note.setText(
                f"{n_samples(count)}: {taught:,} to learn from, {count - taught:,} held out to "
                "score the result before and after"
            )


class TrainDialog(QDialog):
    """``idle`` is emitted whenever the last running worker (training or download) ends."""

    idle = Signal()
    watching = Signal(object)  # the network in training, twice a second; None when it ends

    def __init__(
        self,
        model_in_use: Callable[[], Model | None],
        keep: Keeper,
        settings: AppSettings,
        personal_samples: Callable[[], PersonalSet] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Retrain")
        self.setObjectName("train_dialog")
        self.model_in_use = model_in_use
        self.personal_samples = personal_samples
        self.personal: PersonalSet | None = None
        self._samples_problem: str | None = None  # why the samples could not be read
        self.keep = keep
        self.training: Background | None = None
        self.result: SessionResult | None = None
        self._include_before_fine_tuning: bool | None = None
        # Another model came into use while a download ran: followed once it ends (a
        # training run's own settings stay after it, so that Train runs them again).
        self._model_changed_while_busy = False
        # While the main window shows the network learning, the dialog gives way to a bar
        # under the window's panels (``collapse``); it expands again when the run ends.
        self.bar: QToolBar | None = None
        self.collapsed = False
        self._bar_style: StyleFollower | None = None  # the bar takes the panels' type
        self._create_views(settings)
        self.model_changed()

    def _create_views(self, settings: AppSettings) -> None:
        self.network_box = ArchitectureEditor()
        self.network_box.changed.connect(self._update_buttons)
        self.network_box.architecture.currentTextChanged.connect(
            self._on_network_box_architecture_changed
        )
        # In the network box's place while fine-tuning: why there is no network to choose.
        # The two share a stack as tall as the taller, so nothing below them moves (the
        # Fine-tune box just clicked least of all).
        self.fine_tune_note = QLabel()
        self.fine_tune_note.setObjectName("fine_tune_note")
        self.fine_tune_note.setWordWrap(True)
        self.fine_tune_note.setAlignment(Qt.AlignmentFlag.AlignTop)
        note_box = QGroupBox("Network")
        QVBoxLayout(note_box).addWidget(self.fine_tune_note)
        # The editor alone sets the stack's height: the note fits in what it leaves.
        note_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.network_stack = QStackedWidget()
        self.network_stack.addWidget(self.network_box)
        self.network_stack.addWidget(note_box)
        self.form = TrainingForm()
        self.form.epochs.valueChanged.connect(self._on_form_epochs_changed)
        self.samples = SamplesBox()
        self.samples.fine_tune.toggled.connect(self._on_samples_fine_tune_toggled)
        self.samples.include.toggled.connect(self._update_buttons)
        self.data = DataSource(settings)
        self.data.changed.connect(self._on_background_done)
        self.train_button = QPushButton("Train")
        self.train_button.setObjectName("train")
        self.train_button.setDefault(True)
        self.train_button.clicked.connect(self._on_train_button_clicked)
        self.cancel_button = QPushButton("Cancel Training")
        self.cancel_button.setObjectName("cancel")
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self.follow = QCheckBox("Show it learning in the main window")
        self.follow.setObjectName("follow_training")
        self.follow.setChecked(True)
        self.follow.setToolTip(
            "While it trains, the main window shows this network's current weights on your "
            "drawing, twice a second, instead of the model in use"
        )
        self.follow.toggled.connect(self._on_follow_toggled)
        self.collapse_button = QPushButton("Collapse to Bar")
        self.collapse_button.setObjectName("collapse")
        self.collapse_button.setToolTip(
            "Make room for the main window, which shows the network learning: the run goes "
            "on in a bar under its panels"
        )
        self.collapse_button.clicked.connect(self._on_collapse_button_clicked)
        run_row = QHBoxLayout()
        run_row.addWidget(self.train_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.collapse_button)
        # Why Train is greyed, under it (the reason's box may be out of view in the
        # scrolled settings: the link brings it into view).
        self.train_why = QLabel()
        self.train_why.setObjectName("train_why")
        self.train_why.setWordWrap(True)
        self.train_why.setTextFormat(Qt.TextFormat.RichText)
        self.train_why.setVisible(False)
        self.train_why.linkActivated.connect(self._on_train_why_link_activated)
        settings_column = QWidget()
        boxes = QVBoxLayout(settings_column)
        boxes.setContentsMargins(0, 0, 0, 0)
        for box in (self.network_stack, self.form, self.samples, self.data):
            boxes.addWidget(box)
        boxes.addStretch(1)
        # The settings scroll within their column on a small screen (a custom network's
        # wide rows scroll across), and the buttons that start a run stay below them.
        self.settings_scroll = QScrollArea()
        self.settings_scroll.setObjectName("settings_scroll")
        self.settings_scroll.setWidget(settings_column)
        self.settings_scroll.setWidgetResizable(True)
        self.settings_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.settings_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.settings_scroll.setMinimumHeight(120)
        left_column = QWidget()
        left_column.setFixedWidth(SETTINGS_WIDTH)
        self.left_column = left_column
        left = QVBoxLayout(left_column)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.settings_scroll, 1)
        left.addLayout(run_row)
        left.addWidget(self.train_why)
        left.addWidget(self.follow)

        self.live = ProgressView()
        self.live.compact.stop_button.clicked.connect(self._on_cancel_button_clicked)
        self.live.compact.expand_button.clicked.connect(self._on_compact_expand_clicked)
        self.results = ResultsView()
        self.results.setVisible(False)
        self.results.installEventFilter(self)  # shown or hidden: the columns' widths follow
        self.results.use_requested.connect(self._on_results_use_requested)
        self.results.save_as_requested.connect(self._on_results_save_as_requested)
        self.results.discard_requested.connect(self._on_results_discard_requested)
        # The curves over the results; the user may move the line between them, and
        # neither closes (the results' buttons must stay in view).
        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right.setObjectName("curves_and_results")
        self.right.setChildrenCollapsible(False)
        self.right.addWidget(self.live)
        self.right.addWidget(self.results)
        layout = QHBoxLayout(self)
        layout.addWidget(left_column)
        layout.addWidget(self.right, 1)
        # The main window's size; it stays a window of its own.
        self.resize(fitted_size(self, 1180, 720))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.results and event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
            self._fit_columns()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """With results shown on a narrow screen (1024 px), the settings give the results
        width: side by side, three panels in what is left of 1024 cut the last matrix off
        (a newcomer saw its column 9 half missing); the settings, done with, scroll."""
        width = SETTINGS_WIDTH
        if self.results.isVisibleTo(self):
            room = self.width() - RESULTS_WIDTH - 3 * self.layout().spacing()
            width = max(SETTINGS_WITH_RESULTS, min(SETTINGS_WIDTH, room))
        if self.left_column.width() != width:
            self.left_column.setFixedWidth(width)

    def _show_results(self) -> None:
        """The results under the curves, with two thirds of the height: the matrices need it
        more than the curves, which have done their work."""
        self.results.setVisible(True)
        total = sum(self.right.sizes())
        self.right.setSizes([total // 3, total - total // 3])

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.collapsed:  # shown again (Model > Retrain…) while it was a bar
            self._remove_bar()
        self.read_samples()
        if self.data.folder is None and not self.busy():
            self.show_box(self.data)  # the first thing to do: get MNIST

    def read_samples(self) -> None:
        """Count the user's samples now: some may have been kept since it last opened
        (not during a run: its results are shown with the samples it started with)."""
        if self.training is not None:
            return
        self._samples_problem = None
        self.personal = None
        if self.personal_samples is not None:
            try:
                self.personal = self.personal_samples()
            except SampleError as exc:
                self._samples_problem = str(exc)
        self._update_buttons()

    def prepare(self) -> None:
        """Opened again with nothing running or waiting: start from a clean page."""
        if not self.busy() and self.result is None:
            self.live.reset(self.form.epochs.value())
            self.live.status.setText("Ready.")
            self.results.setVisible(False)

    # -- state -----------------------------------------------------------------------------

    def busy(self) -> bool:
        return self.training is not None or self.data.busy()

    def stop(self) -> None:
        """Ask every worker to stop; returns at once (``idle`` follows)."""
        if self.training is not None:
            self.training.stop()
        self.data.stop()

    def wait(self, timeout_ms: int) -> None:
        """Block until the workers have ended: only once the app's event loop is over."""
        for background in (self.training, self.data.download):
            if background is not None:
                background.wait(timeout_ms)

    def has_unsaved_result(self) -> bool:
        return self.result is not None

    def _update_buttons(self) -> None:
        training = self.training is not None
        fine_tune = self.samples.fine_tune.isChecked()
        if fine_tune and self.model_in_use() is None:  # no model in use to start from
            self.samples.fine_tune.setChecked(False)
            return  # the toggle comes back here
        self.samples.setEnabled(not training)
        self.network_box.setEnabled(not training)
        # Fine-tuning keeps the network in use: choosing another one would mean nothing.
        self.network_stack.setCurrentIndex(1 if fine_tune else 0)
        if fine_tune:
            model = self.model_in_use()
            record = ModelRecord.of(model.metadata) if model is not None else None
            name = record.name if record is not None and record.name else "the model in use"
            self.fine_tune_note.setText(
                f"The model in use, <b>{html.escape(name)}</b>, trained further from its "
                "weights. Untick <i>Fine-tune</i> to train a new network instead."
            )
        self._show_left_out(fine_tune)
        self.train_button.setEnabled(
            not self.busy()
            and self.data.folder is not None
            and (fine_tune or self.network_box.spec_error is None)
        )
        self._show_why_not(fine_tune)
        self.cancel_button.setEnabled(training)
        self.collapse_button.setEnabled(
            training and self.follow.isChecked() and self._window() is not None
        )
        self.data.set_enabled(not training)

    def _show_why_not(self, fine_tune: bool) -> None:
        """Say beside Train why it is greyed (nothing while a run goes on: that is plain),
        with a link to the box that says more."""
        why = None
        if self.training is not None:
            why = None
        elif self.data.busy():
            why = "Downloading MNIST: Train once it is here (see <a href='data'>Data</a>)."
        elif self.data.folder is None:
            why = "MNIST not found: see <a href='data'>Data below</a> to download it."
        elif not fine_tune and self.network_box.spec_error is not None:
            why = "This network cannot be built: see <a href='network'>Network above</a>."
        self.train_why.setText(ERROR.format(why) if why else "")
        self.train_why.setVisible(why is not None)

    def _on_train_why_link_activated(self, link: str) -> None:
        self.show_box(self.data if link == "data" else self.network_stack)

    def show_box(self, box: QWidget) -> None:
        """Scroll the settings so that ``box`` is in view."""
        self.settings_scroll.ensureWidgetVisible(box, 0, 0)

    def _show_left_out(self, fine_tune: bool) -> None:
        """The samples counted as the network to train can learn them, and one line when
        some kept as "not a digit" are left out, as it has no such output."""
        model = self.model_in_use()
        if fine_tune and model is not None:
            knows, name = model.network.knows_non_digits, model.metadata.name
        elif self.network_box.spec_error is None:
            start = NewNetwork(self.network_box.arch(), self.network_box.spec())
            # "a new default network": the bundled default has the output, a new one not.
            knows, name = start.knows_non_digits, f"a new {start.arch} network"
        else:
            knows, name = True, ""
        self.samples.show_count(self.personal, self._samples_problem, knows)
        line = None
        if self.samples.include.isChecked() and self.personal is not None and not knows:
            line = not_a_digit_left_out(self.personal.labels, name or "this network")
        self.samples.left_out.setText(line or "")
        self.samples.left_out.setVisible(line is not None)

    def _on_background_done(self) -> None:
        if self.training is not None and not self.training.is_running():
            self.training.deleteLater()  # its thread, worker and request go with it
            self.training = None
            self.watching.emit(None)  # the main window goes back to the model in use
            self.expand()  # with the results, or why the run stopped
            # Stopped or failed, the form keeps the settings that ran (not the model in
            # use's): Train again runs the same.
            self._model_changed_while_busy = False
        if not self.busy() and self.result is None and self._model_changed_while_busy:
            self.model_changed()  # the model in use changed during the download
        self._update_buttons()
        if not self.busy():
            self.idle.emit()

    # -- a run -------------------------------------------------------------------------------

    def _on_train_button_clicked(self) -> None:
        if self.busy() or self.data.folder is None:
            return
        try:
            request = self._request()
        except ValueError as exc:  # settings that are fine alone but not together
            self.live.status.setText(ERROR.format(html.escape(f"Cannot train: {exc}")))
            return
        worker = TrainWorker(request)
        worker.step.connect(self._on_worker_step)
        worker.batch_progress.connect(self._on_worker_batch_progress)
        worker.epoch_finished.connect(self._on_worker_epoch_finished)
        worker.snapshot.connect(self._on_worker_snapshot)
        worker.succeeded.connect(self._on_worker_succeeded)
        worker.failed.connect(self._on_worker_failed)
        worker.cancelled.connect(self._on_worker_cancelled)
        self.result = None
        self.results.setVisible(False)
        self.live.reset(request.config.epochs, request.validation_note)
        self.live.status.setText("Starting…")
        self.training = Background(worker, self)
        self.training.done.connect(self._on_background_done)
        self._update_buttons()
        self.training.start()
        if self.follow.isChecked():
            self.collapse()

    def _request(self) -> SessionRequest:
        """The session the form describes, started from the model in use now (a copy: the
        window may switch models meanwhile), which the result is compared with."""
        model = self.model_in_use()
        fine_tune = self.samples.fine_tune.isChecked() and model is not None
        include = self.samples.include.isChecked() and self.personal is not None
        config = self.form.config(SAMPLES_RATIO if include else 0.0)
        current = model.network.copy() if model is not None else None
        if fine_tune:
            start = FineTune(replace(model, network=current))
            default_name = "fine-tuned" + (" on my samples" if include else "")
        else:
            start = NewNetwork(self.network_box.arch(), self.network_box.spec())
            # With the "not a digit" output, letters and doodles as default's second run
            # mixed them in; without it, the digits alone.
            ratio = NOT_A_DIGIT_RATIO if start.knows_non_digits else 0.0
            config = replace(config, outlier_ratio=ratio)
            default_name = f"{start.arch} {config.epochs} epoch{'s' if config.epochs != 1 else ''}"
        return SessionRequest(
            start=start,
            config=config,
            mnist_dir=self.data.folder,
            name=self.form.name.text().strip() or default_name,
            personal=self.personal if include else None,
            compare_with=current,
            # What is not a digit: doodles, and the pen letters where the environment
            # names them, as digitpad train finds them (README: Not a digit).
            letters_dir=uji.letters_dir() if config.outlier_ratio else None,
        )

    def _on_cancel_button_clicked(self) -> None:
        if self.training is not None:
            self.live.status.setText("Cancelling…")
            self.training.stop()

    def _on_worker_batch_progress(self, event) -> None:
        self.live.show_batch(event)

    def _on_worker_epoch_finished(self, event) -> None:
        self.live.show_epoch(event)

    def _on_worker_snapshot(self, network) -> None:
        self.live.show_filters(network, "during this epoch")
        if self.follow.isChecked():
            self.watching.emit(network)

    def _on_follow_toggled(self, checked: bool) -> None:
        if not checked:
            self.watching.emit(None)
        self._update_buttons()

    def _on_worker_step(self, text: str) -> None:
        self.live.compact.epoch.setText(text)
        if text.startswith("Scoring"):
            text += " (Cancel stops it)"
        self.live.status.setText(html.escape(text))

    def _on_form_epochs_changed(self, epochs: int) -> None:
        if not self.busy() and self.result is None and not self.live.loss_x:
            self.live.reset(epochs)  # the empty plots' epoch axes follow the setting

    def _on_samples_fine_tune_toggled(self, checked: bool) -> None:
        # Fine-tuning is how a model learns one's handwriting: the samples come with it
        # (untick them to fine-tune on MNIST alone); unticking gives back what was there.
        if checked:
            self._include_before_fine_tuning = self.samples.include.isChecked()
            if self.samples.include.isEnabled():
                self.samples.include.setChecked(True)
            self._use_fine_tuning()
        else:
            if self._include_before_fine_tuning is not None:
                include = self._include_before_fine_tuning and self.samples.include.isEnabled()
                self.samples.include.setChecked(include)
                self._include_before_fine_tuning = None
            # What the user had comes back as it was, network included, even if another
            # model came into use meanwhile: those were their choices.
            self.form.use_new_network()
        self._update_buttons()

    def _use_fine_tuning(self) -> None:
        model = self.model_in_use()
        if model is not None:
            self.form.use_fine_tuning(ModelRecord.of(model.metadata))

    def _on_network_box_architecture_changed(self, arch: str) -> None:
        # A bundled architecture brings its own recipe; a custom network keeps the
        # settings there are (it has no recipe of its own).
        if arch in RECIPES and not self.samples.fine_tune.isChecked():
            recipe = dialog_recipe(arch)
            kept = self.form.use_recipe(recipe)
            self._on_form_epochs_changed(self.form.epochs.value())
            if not self.busy() and self.result is None:
                what = (
                    f"learning rate {recipe.learning_rate:g}, "
                    f"{'with' if recipe.augment else 'no'} augmentation"
                )
                if kept:
                    what += f"; kept your {' and '.join(kept)}"
                self.live.status.setText(f"{html.escape(arch)}'s recipe: {what}.")

    def model_changed(self) -> None:
        """Another model is in use: a fine-tune waiting to start takes that model's settings
        (and says its name); otherwise the network box offers its architecture, with that
        architecture's recipe, unless the user is building a custom one."""
        self._model_changed_while_busy = self.busy()
        self._show_not_a_digit()  # a result waiting: beside the model it would replace now
        if not self.busy() and self.result is None:
            if self.samples.fine_tune.isChecked():
                self._use_fine_tuning()
            else:
                self._follow_model_in_use()
        self._update_buttons()

    def _follow_model_in_use(self) -> None:
        model = self.model_in_use()
        arch = ModelRecord.of(model.metadata).arch if model is not None else None
        if arch in RECIPES and self.network_box.arch() != CUSTOM:
            self.network_box.architecture.setCurrentText(arch)
        # A new network learns "not a digit" when the model it would replace can say it.
        knows = model is not None and model.network.knows_non_digits
        self.network_box.not_a_digit.setChecked(knows)

    def _on_worker_succeeded(self, result: SessionResult) -> None:
        self.result = result
        self.results.show_result(
            result.evaluation, result.baseline_evaluation, result.personal, self.personal
        )
        self._show_not_a_digit()
        self._show_results()
        self.live.status.setText("Done. Keep the new model or discard it.")

    def _show_not_a_digit(self) -> None:
        """The result's line on "not a digit", beside the model in use now (the one Use
        This Model would replace)."""
        if self.result is None:
            return
        model = self.model_in_use()
        self.results.show_not_a_digit(
            self.result.network.knows_non_digits,
            model is not None and model.network.knows_non_digits,
            self.result.metadata.training.get(NON_DIGITS_KEY),
        )

    def _on_worker_failed(self, message: str) -> None:
        self.live.stopped(ERROR.format("Training stopped: ") + html.escape(message))

    def _on_worker_cancelled(self) -> None:
        self.live.stopped("Cancelled: nothing was saved and the current model is unchanged.")

    # -- giving way to the main window ----------------------------------------------------

    def _window(self) -> QMainWindow | None:
        parent = self.parentWidget()
        return parent if isinstance(parent, QMainWindow) else None

    def collapse(self) -> None:
        """Give way to the main window while it shows the network learning: the dialog
        hides and the run goes on in a bar (progress, epoch, Stop, Expand) along the
        bottom of the window, under its panels. The window makes room for the bar in its
        own layout, so the bar covers neither the canvas nor a panel, at any size, in
        full screen and in presentation mode."""
        window = self._window()
        if window is None or self.training is None or self.collapsed:
            return
        if self.bar is None:
            self.bar = QToolBar("Retrain", window)
            self.bar.setObjectName("retrain_bar")
            self.bar.setMovable(False)
            self.bar.setFloatable(False)
            self.bar.toggleViewAction().setVisible(False)  # not one of the window's own bars
            self.bar.addWidget(self.live.compact)
            # The bar's type and colours follow the window's panels (zoom, presentation),
            # from now on, whether the bar is shown or not.
            if window.centralWidget() is not None:
                self._bar_style = StyleFollower(window.centralWidget(), self.bar)
        window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.bar)
        self.bar.show()
        self.collapsed = True
        self.hide()

    def expand(self) -> None:
        """The whole dialog again, where it was (the end of a run shows its results)."""
        if not self.collapsed:
            return
        self._remove_bar()
        window = self._window()
        if window is not None and window.isVisible():  # not while the app is closing
            self.show()
            self.raise_()
            self.activateWindow()

    def _remove_bar(self) -> None:
        self.collapsed = False
        window = self._window()
        if self.bar is not None and window is not None:
            window.removeToolBar(self.bar)

    def _on_collapse_button_clicked(self) -> None:
        self.collapse()

    def _on_compact_expand_clicked(self) -> None:
        self.expand()

    # -- the result --------------------------------------------------------------------------

    def _keep(self, path: Path | None) -> None:
        """Save the result and switch to it; only a saved result leaves the dialog."""
        if self.result is None:
            return
        problem = self.keep(self.result, path)
        if problem is not None:
            self.results.show_save_problem(problem)
            return
        name = self.result.metadata.name
        self.result = None
        self.model_changed()
        self.results.show_kept()  # the comparison stays to read; only the choice is made
        self.live.status.setText(f"Saved “{html.escape(name)}” and switched to it.")

    def _on_results_use_requested(self) -> None:
        self._keep(None)

    def _on_results_save_as_requested(self) -> None:
        if self.result is None:
            return
        target, _ = file_dialogs.save_file(
            self,
            file_dialogs.Files.MODELS,
            "Save model",
            f"{self.result.metadata.name}.npz",
            "digitpad models (*.npz)",
        )
        if target:
            self._keep(Path(target))

    def _on_results_discard_requested(self) -> None:
        self.result = None
        self.results.setVisible(False)
        # A clean page for the next run: the discarded run's curves would otherwise stay on
        # axes the next settings no longer fit.
        self.model_changed()
        self.live.reset(self.form.epochs.value())
        self.live.status.setText("Discarded: the current model is unchanged.")

    def closeEvent(self, event: QCloseEvent) -> None:
        # Closing never waits: the run is asked to stop and ends on its own thread.
        self.stop()
        super().closeEvent(event)

    def reject(self) -> None:
        """Esc: the same as closing the dialog (Qt's reject() alone skips closeEvent)."""
        self.stop()
        super().reject()

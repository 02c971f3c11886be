"""Samples > My Samples…: the user's samples as thumbnails grouped by digit (those kept as
not a digit last), to filter, relabel (a digit key, or N), delete (with undo), open on the
canvas, export and import.

A view of ``core.sample_browser.SampleBrowser``: it holds the rows and the undo stack;
this dialog shows them and writes the user's choices back."""

from __future__ import annotations

import contextlib
import functools
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QIcon,
    QImage,
    QKeySequence,
    QPalette,
    QPixmap,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from digitpad.core.network import NOT_A_DIGIT
from digitpad.core.sample_browser import SampleBrowser, group_name
from digitpad.core.samples import (
    IDX_IMAGES,
    Sample,
    SampleError,
    SampleFilter,
    export_idx,
    export_npz,
    label_text,
    read_export,
)
from digitpad.core.teaching import n_samples
from digitpad.gui import file_dialogs
from digitpad.gui.messages import Messages

THUMBNAIL = 56  # pixels: two per input pixel
# The labels in the order of the filter's and the relabel box's entries after the first.
LABELS = (*range(10), NOT_A_DIGIT)


def heading_text(label: int) -> str:
    """A group's name at its head: "7", or "Not a digit"."""
    return "Not a digit" if label == NOT_A_DIGIT else str(label)


def tile_text(label: int, predicted: int | None) -> str:
    """Under a thumbnail: its label, and what the model read when it was not that."""
    text = "not a digit" if label == NOT_A_DIGIT else str(label)
    if predicted is None or predicted == label:
        return text
    return text + (" (read none)" if predicted == NOT_A_DIGIT else f" (read {predicted})")


NPZ_FILTER = "Samples archive (*.npz)"
IDX_FILTER = "MNIST-style IDX files (a folder)"


@contextlib.contextmanager
def waiting() -> Iterator[None]:
    """The busy cursor while the window cannot answer (an import or export in progress)."""
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()


def thumbnail(network_input: np.ndarray) -> QIcon:
    """The 28x28 input as the network sees it, white on black, enlarged without blur."""
    pixels = np.ascontiguousarray(np.round(network_input * 255).astype(np.uint8))
    image = QImage(pixels.data, 28, 28, 28, QImage.Format.Format_Grayscale8).copy()
    return QIcon(QPixmap.fromImage(image.scaled(THUMBNAIL, THUMBNAIL)))


def thumbnail_list(name: str, selection: QAbstractItemView.SelectionMode) -> QListWidget:
    """A grid of digits as the network sees them, each with a line of text under it."""
    view = QListWidget()
    view.setObjectName(name)
    view.setViewMode(QListWidget.ViewMode.IconMode)
    view.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
    view.setGridSize(QSize(THUMBNAIL + 36, THUMBNAIL + 34))
    view.setResizeMode(QListWidget.ResizeMode.Adjust)
    view.setMovement(QListWidget.Movement.Static)
    view.setWordWrap(True)  # "not a digit (read 4)" in two lines, not cut
    view.setSelectionMode(selection)
    return view


class SamplesDialog(QDialog):
    def __init__(
        self,
        browser: SampleBrowser,
        open_sample: Callable[[Sample], None],
        messages: Messages,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("My Samples")
        self.setObjectName("samples_dialog")
        self.browser, self.open_sample, self.messages = browser, open_sample, messages
        self._create_widgets()
        self.resize(720, 520)
        browser.changed.connect(self._on_browser_changed)

    def _create_widgets(self) -> None:
        self.digit_filter = QComboBox()
        self.digit_filter.addItems(
            ["All samples", *(f"Only {d}s" for d in range(10)), "Only 'not a digit'"]
        )
        self.digit_filter.currentIndexChanged.connect(self._on_filter_changed)
        self.misread_only = QCheckBox("Only those it misread")
        self.misread_only.toggled.connect(self._on_filter_changed)
        self.summary = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.digit_filter)
        top.addWidget(self.misread_only)
        top.addStretch(1)
        top.addWidget(self.summary)

        self.list = thumbnail_list(
            "samples_list", QAbstractItemView.SelectionMode.ExtendedSelection
        )
        # Each item sized on its own, not by a grid: a digit's heading is a line as wide as
        # the list ("7 — 12 samples" is wider than a tile), so its samples start a row.
        self.tile = self.list.gridSize()
        self.list.setGridSize(QSize())
        self.list.setToolTip(
            "Your samples. Select some, then press a digit key (or N, not a digit) to relabel "
            "them, Delete to delete them; double-click one to open it on the canvas."
        )
        self.list.itemDoubleClicked.connect(self._on_list_item_double_clicked)
        self.list.viewport().installEventFilter(self)
        self.list.itemSelectionChanged.connect(self._on_selection_changed)
        # In the list's place when the filter shows nothing: why, and how to get some.
        self.empty_note = QLabel()
        self.empty_note.setObjectName("empty_note")
        self.empty_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_note.setWordWrap(True)
        self.empty_note.setFrameShape(QFrame.Shape.StyledPanel)  # framed as the list is
        self.empty_note.setBackgroundRole(QPalette.ColorRole.Base)
        self.empty_note.setAutoFillBackground(True)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.list)
        self.pages.addWidget(self.empty_note)

        self.open_button = QPushButton("Open on Canvas")
        self.open_button.clicked.connect(self._on_open_clicked)
        self.relabel_box = QComboBox()
        self.relabel_box.addItems(["Relabel as…", *(str(d) for d in range(10)), "Not a digit"])
        self.relabel_box.activated.connect(self._on_relabel_activated)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.undo_button = QPushButton("Undo")
        self.undo_button.clicked.connect(self._on_undo_clicked)
        self.export_button = QPushButton("Export…")
        self.export_button.clicked.connect(self._on_export_clicked)
        self.import_button = QPushButton("Import…")
        self.import_button.clicked.connect(self._on_import_clicked)
        buttons = QHBoxLayout()
        for widget in (self.open_button, self.relabel_box, self.delete_button, self.undo_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.export_button)
        QShortcut(QKeySequence.StandardKey.Undo, self, self._on_undo_clicked)
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self, self._on_delete_clicked)
        QShortcut(QKeySequence(Qt.Key.Key_Backspace), self, self._on_delete_clicked)
        # Before the list's own type-to-find: a digit key (or N) relabels the selection.
        for label in LABELS:
            key = QKeySequence("N" if label == NOT_A_DIGIT else str(label))
            QShortcut(key, self, functools.partial(self._on_digit_key, label))

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.pages, 1)
        layout.addLayout(buttons)

    # -- the browser model ---------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the samples (the database may have changed since)."""
        try:
            self.browser.refresh()
        except SampleError as exc:
            self.messages.complain("warning", "My Samples", str(exc))

    def _on_browser_changed(self) -> None:
        selected = set(self.selected_ids())
        scrolled = self.list.verticalScrollBar().value()
        self.list.clear()
        shown = Counter(row.label for row in self.browser.rows)
        heading_font = self.list.font()
        heading_font.setPointSizeF(heading_font.pointSizeF() * 1.4)
        heading_font.setBold(True)
        group = None
        for row in self.browser.rows:
            if row.label != group:  # each label's samples start a row, under a line naming them
                group = row.label
                count = shown[group]
                heading = QListWidgetItem(f"{heading_text(group)} — {n_samples(count)}")
                heading.setFont(heading_font)
                heading.setFlags(Qt.ItemFlag.ItemIsEnabled)  # not selectable: no sample
                heading.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                heading.setToolTip(f"{n_samples(count)} labelled {label_text(group)} shown")
                heading.setSizeHint(self._heading_size(heading_font))
                self.list.addItem(heading)
            item = QListWidgetItem(
                thumbnail(row.network_input), tile_text(row.label, row.predicted)
            )
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            item.setSizeHint(self.tile)
            item.setToolTip(f"sample {row.id}, kept {row.created}")
            self.list.addItem(item)
            item.setSelected(row.id in selected)
        counts = self.browser.totals
        total = sum(counts)
        per_digit = ", ".join(f"{label_text(d)}: {n}" for d, n in enumerate(counts) if n)
        # With none at all, the note in the list's place says so (and how to keep some).
        self.summary.setText(f"{n_samples(total)} ({per_digit})" if total else "")
        self.list.verticalScrollBar().setValue(scrolled)
        self.empty_note.setText(self.browser.empty_text)
        self.pages.setCurrentWidget(self.list if self.browser.rows else self.empty_note)
        self.export_button.setEnabled(bool(self.browser.rows))
        self.undo_button.setEnabled(self.browser.can_undo)
        self.undo_button.setText(self.browser.undo_text)
        self._on_selection_changed()

    def _heading_size(self, font: QFont) -> QSize:
        """A heading's size: a line of ``font``, as wide as the list shows."""
        height = QFontMetrics(font).height() + 12
        return QSize(max(self.tile.width(), self.list.viewport().width() - 1), height)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The list's own viewport: it narrows with the dialog and when a scroll bar comes,
        # and the headings must stay a line each. The list lays its items out again after
        # a resize by itself (ResizeMode.Adjust), with these sizes.
        if event.type() == QEvent.Type.Resize:
            for index in range(self.list.count()):
                item = self.list.item(index)
                if item.data(Qt.ItemDataRole.UserRole) is None:
                    item.setSizeHint(self._heading_size(item.font()))
        return super().eventFilter(watched, event)

    def selected_ids(self) -> list[int]:
        return [
            item.data(Qt.ItemDataRole.UserRole)
            for item in self.list.selectedItems()
            if item.data(Qt.ItemDataRole.UserRole) is not None
        ]

    def _on_selection_changed(self) -> None:
        count = len(self.list.selectedItems())
        self.open_button.setEnabled(count == 1)
        self.relabel_box.setEnabled(count > 0)
        self.delete_button.setEnabled(count > 0)

    # -- user input ----------------------------------------------------------------------

    def _on_filter_changed(self) -> None:
        index = self.digit_filter.currentIndex()
        self.browser.shown = SampleFilter(
            None if index == 0 else LABELS[index - 1], self.misread_only.isChecked()
        )
        self.refresh()

    def _on_digit_key(self, label: int) -> None:
        if self.selected_ids():
            self._relabel(label)

    def _relabel(self, label: int) -> None:
        try:
            self.browser.relabel(self.selected_ids(), label)
        except SampleError as exc:
            self.messages.complain("warning", "Relabel", str(exc))

    def _on_relabel_activated(self, index: int) -> None:
        if index > 0:
            self._relabel(LABELS[index - 1])
        self.relabel_box.setCurrentIndex(0)

    def _on_delete_clicked(self) -> None:
        if not self.selected_ids():
            return
        try:
            self.browser.delete(self.selected_ids())
        except SampleError as exc:
            self.messages.complain("warning", "Delete", str(exc))

    def _on_undo_clicked(self) -> None:
        what = self.browser.undo_text
        if not self.browser.can_undo:
            return
        try:
            touched = self.browser.undo()
        except SampleError as exc:
            self.messages.complain("warning", what, str(exc))
            return
        if not touched:  # deleted, then imported back: already there
            self.summary.setText(f"{what}: those samples are stored again already")

    def _on_list_item_double_clicked(self, item: QListWidgetItem) -> None:
        sample_id = item.data(Qt.ItemDataRole.UserRole)
        if sample_id is not None:  # not a digit's heading
            self._open(sample_id)

    def _on_open_clicked(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            self._open(ids[0])

    def _open(self, sample_id: int) -> None:
        try:
            sample = self.browser.store.get(sample_id)
        except SampleError as exc:
            self.messages.complain("warning", "Open on Canvas", str(exc))
            return
        self.open_sample(sample)

    def _on_export_clicked(self) -> None:
        """Exports the samples shown: all of them, or those the filter shows."""
        shown = self.browser.shown
        count = len(self.browser.rows)
        which = "" if shown.takes_all else f" ({self._filter_text()} shown)"
        path, chosen = file_dialogs.save_file(
            self,
            file_dialogs.Files.SAMPLES,
            f"Export {n_samples(count)}{which}",
            "my-samples.npz"
            if shown.label is None
            else "my-not-a-digit.npz"
            if shown.label == NOT_A_DIGIT
            else f"my-{shown.label}s.npz",
            f"{NPZ_FILTER};;{IDX_FILTER}",
        )
        if not path:
            return
        try:
            with waiting():
                if chosen == IDX_FILTER:
                    paths, count = export_idx(self.browser.store, Path(path).with_suffix(""), shown)
                    written = paths[0].parent
                else:
                    target = Path(path).with_suffix(".npz")
                    written, count = export_npz(self.browser.store, target, shown)
        except SampleError as exc:
            self.messages.complain("warning", "Export Samples", str(exc))
            return
        except OSError as exc:
            self.messages.complain("warning", "Export Samples", f"{path}: {exc.strerror or exc}")
            return
        self.summary.setText(f"Exported {n_samples(count)}{which} to {written}")

    def _filter_text(self) -> str:
        """The samples the filter shows, in words: "the 7s", "the misread 7s", "the misread"."""
        shown = self.browser.shown
        digits = "" if shown.label is None else f" {group_name(shown.label)}"
        return "the" + (" misread" if shown.misread_only else "") + (digits or " ones")

    def _on_import_clicked(self) -> None:
        path, _ = file_dialogs.open_file(
            self,
            file_dialogs.Files.SAMPLES,
            "Import Samples",
            f"{NPZ_FILTER};;Exported IDX images ({IDX_IMAGES} {IDX_IMAGES}.gz)",
        )
        if not path:
            return
        source = Path(path)
        if source.suffix != ".npz":
            source = source.parent  # an IDX file stands for the folder holding the pair
        try:
            samples = read_export(source)
            # Thousands take seconds (about 1 ms each): say what is under way meanwhile.
            self.summary.setText(f"Importing {n_samples(len(samples))} from {source}…")
            self.summary.repaint()
            with waiting():
                ids, skipped = self.browser.store.add_many(samples)
        except SampleError as exc:
            self.messages.complain("warning", "Import Samples", str(exc))
            return
        self.refresh()
        self.summary.setText(
            f"Imported {n_samples(len(ids))}"
            + (
                f"; {skipped:,} {'was' if skipped == 1 else 'were'} already there"
                if skipped
                else ""
            )
        )

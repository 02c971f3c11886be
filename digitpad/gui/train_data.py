"""The retrain dialog's Data box: where MNIST is, or a verified download of it."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from digitpad.core.data import (
    DOWNLOAD_SIZE_MB,
    ENV_VAR,
    DatasetError,
    default_mnist_dir,
    find_mnist_dir,
    has_mnist,
)
from digitpad.gui import file_dialogs
from digitpad.gui.settings import AppSettings
from digitpad.gui.workers import Background, DownloadWorker

ERROR = "<span style='color:#d03030'>{}</span>"
DOWNLOAD_TEXT = f"Download MNIST ({DOWNLOAD_SIZE_MB} MB)"


class DataSource(QGroupBox):
    """``changed`` when the folder or the busy state changes; ``folder`` is MNIST's, or None."""

    changed = Signal()

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__("Data", parent)
        self.settings = settings
        self.folder: Path | None = None
        self.download: Background | None = None
        self.mirrors: tuple[str, ...] | None = None  # None: the public MNIST mirrors
        self.timeout = 10.0  # seconds per connection
        self.status = QLabel()
        self.status.setObjectName("data_status")
        self.status.setWordWrap(True)
        self.download_button = QPushButton(DOWNLOAD_TEXT)
        self.download_button.setObjectName("download")
        self.download_button.clicked.connect(self._on_download_button_clicked)
        self.folder_button = QPushButton("Choose Folder…")
        self.folder_button.setObjectName("choose_folder")
        self.folder_button.clicked.connect(self._on_folder_button_clicked)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.folder_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        self.refresh()

    def busy(self) -> bool:
        return self.download is not None

    def set_enabled(self, enabled: bool) -> None:
        """Buttons follow what can be done now (not while training or downloading; while
        downloading, the download button cancels it)."""
        busy = self.busy()
        self.download_button.setText("Cancel Download" if busy else DOWNLOAD_TEXT)
        self.download_button.setEnabled(busy or (enabled and self.folder is None))
        self.folder_button.setEnabled(enabled and not busy)

    def stop(self) -> None:
        if self.download is not None:
            self.download.stop()

    def refresh(self) -> None:
        remembered = self.settings.data_folder()
        self.folder = None
        if remembered is not None and has_mnist(remembered):
            self.folder = remembered
        else:
            try:
                self.folder = find_mnist_dir()
            except DatasetError:
                self.folder = None
        if self.folder is not None:
            self.status.setText(f"MNIST found in {html.escape(str(self.folder))}")
        else:
            self.status.setText(
                f"MNIST was not found (looked in ${ENV_VAR} and "
                f"{html.escape(str(default_mnist_dir()))}). Download it (about "
                f"{DOWNLOAD_SIZE_MB} MB, verified by SHA-256) or choose a folder that holds "
                "the four IDX files."
            )
        self.changed.emit()

    def _use(self, folder: Path) -> None:
        self.settings.save_data_folder(folder)
        self.refresh()

    def _on_folder_button_clicked(self) -> None:
        chosen = file_dialogs.folder(self, file_dialogs.Files.DATA, "Folder with the MNIST files")
        if not chosen:
            return
        if not has_mnist(Path(chosen)):
            self.status.setText(
                ERROR.format(
                    f"{html.escape(chosen)} does not hold the four MNIST IDX files "
                    "(train-images-idx3-ubyte.gz and the others)."
                )
            )
            return
        self._use(Path(chosen))

    def _on_download_button_clicked(self) -> None:
        if self.download is not None:  # it reads "Cancel Download" now
            self.status.setText("Cancelling the download…")
            self.download.stop()
            return
        worker = DownloadWorker(default_mnist_dir(), self.mirrors, self.timeout)
        worker.progress.connect(self._on_worker_progress)
        worker.succeeded.connect(self._on_worker_succeeded)
        worker.failed.connect(self._on_worker_failed)
        worker.cancelled.connect(self._on_worker_cancelled)
        self.download = Background(worker, self)
        self.download.done.connect(self._on_download_done)
        self.progress.setVisible(True)
        self.progress.setValue(0)
        self.status.setText("Downloading MNIST…")
        self.changed.emit()
        self.download.start()

    def _on_worker_progress(self, name: str, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        self.progress.setFormat(f"{name}: {done / 1e6:.1f} MB")

    def _on_worker_succeeded(self, folder: str) -> None:
        self._use(Path(folder))

    def _on_worker_failed(self, message: str) -> None:
        self.status.setText(ERROR.format("Download failed: ") + html.escape(message))

    def _on_worker_cancelled(self) -> None:
        self.status.setText("Download cancelled; nothing was kept.")

    def _on_download_done(self) -> None:
        self.progress.setVisible(False)
        if self.download is not None:
            self.download.deleteLater()
        self.download = None
        self.changed.emit()

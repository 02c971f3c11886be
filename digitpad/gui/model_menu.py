"""The Model menu: the bundled models and the user's own, switching between them, the
library's operations (export, rename, delete, revert) and retraining."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QInputDialog, QMenu, QMessageBox, QWidget

from digitpad.core.bundled import DEFAULT, RECIPES, bundled_name, resolve_model
from digitpad.core.library import Library, LibraryError, export_model
from digitpad.core.model_io import Model, ModelFormatError, load_model, save_model
from digitpad.core.samples import PersonalSet, SampleError, SampleStore
from digitpad.core.session import SessionResult
from digitpad.core.viewer import ViewerModel
from digitpad.gui import file_dialogs
from digitpad.gui.actions import connect_actions, menu_actions
from digitpad.gui.describe import model_info_html
from digitpad.gui.evaluate_dialog import EvaluateDialog
from digitpad.gui.messages import Messages
from digitpad.gui.settings import AppSettings
from digitpad.gui.train_dialog import TrainDialog

MODEL_FILTER = "digitpad models (*.npz)"


def status_text(model: Model | None, training: bool = False) -> str:
    if training:
        return "Showing the network being trained (its weights of half a second ago)"
    if model is None:
        return "No model"
    name = model.metadata.name or (model.path.stem if model.path else "model")
    accuracy = model.metadata.metrics.get("test_accuracy")
    return f"Model: {name}" + (f" · MNIST test accuracy {accuracy:.2%}" if accuracy else "")


def menu_label(text: str) -> str:
    """'&' would make a keyboard mnemonic in a menu; '&&' shows one '&'."""
    return text.replace("&", "&&")


class ModelMenu(QObject):
    """Owns the Model menu; every switch goes through ``load`` into the viewer model."""

    status = Signal(str, int)  # a status-bar message and how long to show it (ms)
    idle = Signal()  # no training or download runs any more
    open_input = Signal(object)  # a (28, 28) digit from Evaluate, to put on the canvas

    def __init__(
        self,
        menu: QMenu,
        actions: dict[str, QAction],
        viewer: ViewerModel,
        library: Library,
        settings: AppSettings,
        messages: Messages,
        window: QWidget,
        samples_store: Callable[[], SampleStore] | None = None,
    ) -> None:
        super().__init__(window)
        # The user's samples, read when the retrain dialog opens (None: it offers none).
        self.samples_store = samples_store
        self.evaluate_dialog: EvaluateDialog | None = None
        self.menu, self.actions, self.viewer = menu, actions, viewer
        self.library, self.settings, self.messages, self.window = (
            library,
            settings,
            messages,
            window,
        )
        self.train_dialog: TrainDialog | None = None
        self.group = QActionGroup(self)
        self.bundled_actions: dict[str, QAction] = {}
        for name, recipe in RECIPES.items():
            self.bundled_actions[name] = self._model_action(f"Bundled: {name}", recipe.path)
        self.library_actions: dict[Path, QAction] = {}
        self.menu.setToolTipsVisible(True)
        connect_actions(
            actions,
            {
                "open_model": self.open_file,
                "model_info": self.show_info,
                "export_model": self.export,
                "rename_model": self.rename,
                "delete_model": self.delete,
                "revert": self.revert,
                "retrain": self.retrain,
                "evaluate": self.evaluate,
            },
        )
        viewer.model_in_use_changed.connect(self._on_viewer_model_in_use_changed)
        self.rebuild()

    # -- the menu --------------------------------------------------------------------------

    def _model_action(self, text: str, path: Path) -> QAction:
        action = QAction(text, self, checkable=True)
        action.setData(str(path))
        action.triggered.connect(self._on_model_action_triggered)
        self.group.addAction(action)
        return action

    def rebuild(self) -> None:
        """Bundled models, then the user's own (broken ones greyed out with the reason)."""
        self.menu.clear()
        for action in self.library_actions.values():
            self.group.removeAction(action)
            action.deleteLater()
        self.library_actions = {}
        for action in self.bundled_actions.values():
            self.menu.addAction(action)
        entries = self.library.entries()
        if entries:
            self.menu.addSeparator()
            self.menu.addAction("Your models").setEnabled(False)
        for entry in entries:
            if entry.problem is None:
                accuracy = entry.metadata.metrics.get("test_accuracy")
                text = menu_label(entry.name) + (
                    f" ({accuracy:.2%})" if accuracy is not None else ""
                )
                action = self._model_action(text, entry.path)
            else:
                action = QAction(f"{menu_label(entry.path.name)} (broken)", self)
                action.setEnabled(False)
                # Tooltips are rich text when they look like it: escape the file's words.
                action.setToolTip(html.escape(entry.problem))
                action.setStatusTip(entry.problem)
            self.menu.addAction(action)
            self.library_actions[entry.path] = action
        self.menu.addSeparator()
        for action in menu_actions(self.actions, "Model"):
            if action is self.actions["retrain"]:
                self.menu.addSeparator()
            self.menu.addAction(action)
        self._check_current()

    def _in_library(self) -> bool:
        model = self.viewer.model_in_use
        return bool(
            model and model.path and model.path.parent.resolve() == self.library.folder.resolve()
        )

    def _check_current(self) -> None:
        model = self.viewer.model_in_use
        path = model.path.resolve() if model and model.path else None
        self.group.setExclusive(False)
        for action in self.group.actions():
            action.setChecked(path is not None and Path(action.data()).resolve() == path)
        self.group.setExclusive(True)
        own = self._in_library()
        self.actions["rename_model"].setEnabled(own)
        self.actions["delete_model"].setEnabled(own)
        self.actions["export_model"].setEnabled(path is not None)
        self.actions["model_info"].setEnabled(model is not None)

    def _on_viewer_model_in_use_changed(self) -> None:
        self._check_current()
        if self.train_dialog is not None:
            self.train_dialog.model_changed()

    # -- switching -------------------------------------------------------------------------

    def load(self, path: Path) -> bool:
        """Switch to the model at ``path``; on a bad file, say why and keep the current one."""
        try:
            model = load_model(path)
        except ModelFormatError as exc:
            self.messages.complain("critical", "Cannot open model", str(exc))
            self._check_current()
            return False
        self._use(model)
        return True

    def _use(self, model: Model) -> None:
        self.viewer.use_model(model)
        # A bundled model is remembered by name: an upgrade or a new venv moves its file.
        self.settings.save_model(bundled_name(model.path) or str(model.path.absolute()))

    def load_initial(self, requested: Path | None) -> str | None:
        """The model asked for, else the one used last time, else the bundled default.

        Returns the problem with the requested model, if there was one.
        """
        candidates = [requested] if requested else []
        remembered = self.settings.model()
        if remembered:
            candidates.append(resolve_model(remembered))
        candidates.append(DEFAULT.path)
        problem = None
        for index, candidate in enumerate(candidates):
            try:
                self._use(load_model(candidate))
                return problem
            except ModelFormatError as exc:
                if requested is not None and index == 0:
                    problem = str(exc)
                    self.messages.complain("critical", "Cannot open model", problem)
                else:
                    self.status.emit(f"Skipped a model: {exc}", 10000)
        self.viewer.use_model(None)
        return problem

    def _on_model_action_triggered(self) -> None:
        self.load(Path(self.sender().data()))

    # -- the menu's commands ---------------------------------------------------------------

    def open_file(self) -> None:
        path, _ = file_dialogs.open_file(
            self.window, file_dialogs.Files.MODELS, "Open model", MODEL_FILTER
        )
        if path:
            self.load(Path(path))

    def show_info(self) -> None:
        QMessageBox.information(
            self.window, "Model Info", model_info_html(self.viewer.model_in_use)
        )

    def revert(self) -> None:
        self.load(DEFAULT.path)

    def export(self) -> None:
        model = self.viewer.model_in_use
        if not (model and model.path):
            return
        target, _ = file_dialogs.save_file(
            self.window, file_dialogs.Files.MODELS, "Export model", model.path.name, MODEL_FILTER
        )
        if not target:
            return
        try:
            path = export_model(model.path, Path(target))
        except LibraryError as exc:
            self.messages.complain("warning", "Cannot export", str(exc))
            return
        self.status.emit(f"Exported {path}", 4000)

    def rename(self) -> None:
        if not self._in_library():
            return
        model = self.viewer.model_in_use
        old = model.metadata.name or model.path.stem
        name, ok = QInputDialog.getText(self.window, "Rename model", "New name:", text=old)
        if not ok or not name.strip():
            return
        try:
            path = self.library.rename(model.path, name)
        except LibraryError as exc:
            self.messages.complain("warning", "Cannot rename", str(exc))
            return
        self.rebuild()
        self.load(path)

    def delete(self) -> None:
        if not self._in_library():
            return
        model = self.viewer.model_in_use
        name = model.metadata.name or model.path.name
        # Only the model in use can be deleted (the action follows it), so the window
        # always switches: said before, in the question, and after, in the status bar.
        question = (
            f"Delete {name}? This cannot be undone; the window will switch to the bundled "
            "default model."
        )
        if not self.messages.confirm("Delete model", question, default_yes=False):
            return
        try:
            self.library.delete(model.path)
        except LibraryError as exc:
            self.messages.complain("warning", "Cannot delete", str(exc))
            return
        self.rebuild()
        if self.load(DEFAULT.path):
            self.status.emit(f"Deleted {name}; the window uses the bundled default model", 8000)

    # -- retraining ------------------------------------------------------------------------

    def retrain(self) -> None:
        if self.train_dialog is None:
            self.train_dialog = TrainDialog(
                self._model_in_use,
                self.keep_trained,
                self.settings,
                self._personal_samples,
                self.window,
            )
            self.train_dialog.idle.connect(self._on_train_dialog_idle)
            self.train_dialog.watching.connect(self._on_train_dialog_watching)
        else:
            self.train_dialog.prepare()
        self.train_dialog.show()
        self.train_dialog.raise_()
        self.train_dialog.activateWindow()

    def _personal_samples(self) -> PersonalSet:
        if self.samples_store is None:
            raise SampleError("no samples database in use")
        return self.samples_store().training_set()

    def _store(self) -> SampleStore:
        if self.samples_store is None:
            raise SampleError("no samples database in use")
        return self.samples_store()

    def evaluate(self) -> None:
        if self.evaluate_dialog is None:
            self.evaluate_dialog = EvaluateDialog(
                self._model_in_use, self._store, self.settings, self.window
            )
            self.evaluate_dialog.idle.connect(self._on_train_dialog_idle)
            self.evaluate_dialog.open_input.connect(self._on_evaluate_dialog_open_input)
        self.evaluate_dialog.show()
        self.evaluate_dialog.raise_()
        self.evaluate_dialog.activateWindow()

    def _on_evaluate_dialog_open_input(self, network_input) -> None:
        self.open_input.emit(network_input)

    # Evaluate and Retrain (its comparison and its fine-tune source) speak of the model in
    # use, never of the network shown: that is a training run's while one is watched.

    def _model_in_use(self) -> Model | None:
        return self.viewer.model_in_use

    def keep_trained(self, result: SessionResult, path: Path | None) -> str | None:
        """Save a new model (in the library, or at ``path``) and switch to it.

        Returns None, or why it could not be saved: the caller keeps the result then."""
        try:
            if path is None:
                saved = self.library.add(result.network, result.metadata)
            else:
                saved = save_model(path, result.network, result.metadata)
        except LibraryError as exc:
            return str(exc)
        except OSError as exc:
            return f"{path}: {exc.strerror or exc}"
        self.rebuild()
        if not self.load(saved):
            # Take the unusable file back out, so that a retry does not leave a second.
            saved.unlink(missing_ok=True)
            self.rebuild()
            return f"{saved} was written but cannot be opened"
        self.status.emit(f"Saved and using {saved}", 6000)
        return None

    def busy(self) -> bool:
        return any(
            dialog is not None and dialog.busy()
            for dialog in (self.train_dialog, self.evaluate_dialog)
        )

    def stop_work(self) -> None:
        """Ask training, evaluation and downloads to stop; ``idle`` follows when they have."""
        for dialog in (self.train_dialog, self.evaluate_dialog):
            if dialog is not None:
                dialog.stop()
                dialog.hide()

    def _on_train_dialog_idle(self) -> None:
        if not self.busy():
            self.idle.emit()

    def _on_train_dialog_watching(self, network) -> None:
        if network is not None or self.viewer.training_shown:
            self.viewer.show_training(network)

    def wait_for_work(self, timeout_ms: int = 15000) -> None:
        """After the event loop has ended: let running threads finish before exit."""
        for dialog in (self.train_dialog, self.evaluate_dialog):
            if dialog is not None:
                dialog.stop()
                dialog.wait(timeout_ms)

    def has_unsaved_model(self) -> bool:
        return self.train_dialog is not None and self.train_dialog.has_unsaved_result()

    def show_trained(self) -> None:
        if self.train_dialog is not None:
            self.train_dialog.show()
            self.train_dialog.raise_()

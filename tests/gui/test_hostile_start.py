"""The app starts whatever its library and settings hold (issue 10, class 1)."""

from __future__ import annotations

import numpy as np

from digitpad.core.bundled import CLASSIC
from digitpad.core.library import Library
from digitpad.core.model_io import ModelMetadata
from digitpad.core.network import Network

from ..core.test_hostile_models import archive, member_bytes, npy_bytes
from .conftest import open_window


def test_bad_library_files_and_a_bad_remembered_model_do_not_stop_the_start(
    qtbot, settings, dialogs, library_folder, tmp_path
):
    library = Library(library_folder)
    library.add(Network(CLASSIC.spec()), ModelMetadata(name="good one"))
    (library_folder / "dangling.npz").symlink_to(tmp_path / "nowhere.npz")
    bomb = library_folder / "bomb.npz"
    archive(bomb, {"header.npy": npy_bytes((10**12,), "|u1")})
    deep = library_folder / "deep.npz"
    text = '{"format": "digitpad-model", "format_version": 1, "x": ' + "[" * 5000 + "]" * 5000 + "}"
    archive(deep, {"header.npy": member_bytes(np.frombuffer(text.encode(), dtype=np.uint8))})
    settings.setValue("model/path", str(bomb))  # remembered from a run that opened it
    window = open_window(qtbot, settings, library_folder, model=None)
    model = window.viewer.model_in_use
    assert model is not None and model.metadata.name  # default
    labels = [action.text() for action in window.model_menu.menu.actions()]
    assert any(label.startswith("good one") for label in labels)
    for name in ("dangling.npz", "bomb.npz", "deep.npz"):
        assert f"{name} (broken)" in labels, (name, labels)
    assert not dialogs  # the start says nothing modal about files it was not asked to open

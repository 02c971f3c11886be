"""The user's model folder: add, list (broken ones too), rename, delete, export, clean up."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from digitpad.core.atomic import LEFTOVER_AGE_S
from digitpad.core.bundled import CLASSIC
from digitpad.core.library import Library, LibraryError, export_model
from digitpad.core.model_io import ModelMetadata, load_model
from digitpad.core.network import Network


@pytest.fixture
def library(tmp_path):
    return Library(tmp_path / "models")


def small_network(seed=0):
    return Network(CLASSIC.spec(), np.random.default_rng(seed))


def test_empty_and_missing_folder(library):
    assert library.entries() == []
    assert library.clean_leftovers() == []


def test_add_and_list(library):
    first = library.add(small_network(), ModelMetadata(name="My first model"))
    second = library.add(small_network(1), ModelMetadata(name="My first model"))
    assert first.name == "My-first-model.npz"
    assert second.name == "My-first-model-2.npz"  # never overwrites
    entries = library.entries()
    assert [e.name for e in entries] == ["My first model", "My first model"]
    assert all(e.problem is None for e in entries)


def test_broken_files_are_listed_with_the_reason(library):
    library.add(small_network(), ModelMetadata(name="good"))
    (library.folder / "hand-edited.npz").write_bytes(b"PK\x03\x04garbage")
    entries = {e.path.name: e for e in library.entries()}
    assert entries["good.npz"].metadata is not None
    broken = entries["hand-edited.npz"]
    assert broken.metadata is None and "hand-edited.npz" in broken.problem


def test_rename_changes_name_and_file(library):
    path = library.add(small_network(), ModelMetadata(name="old", metrics={"test_accuracy": 0.9}))
    renamed = library.rename(path, "Shiny new name")
    assert not path.exists() and renamed.name == "Shiny-new-name.npz"
    model = load_model(renamed)
    assert model.metadata.name == "Shiny new name"
    assert model.metadata.metrics == {"test_accuracy": 0.9}
    with pytest.raises(LibraryError, match="non-empty"):
        library.rename(renamed, "  ")


def test_rename_and_delete_refuse_files_outside(library, tmp_path):
    outside = tmp_path / "elsewhere.npz"
    outside.write_bytes(b"x")
    with pytest.raises(LibraryError, match="elsewhere.npz"):
        library.delete(outside)
    assert outside.exists()


def test_delete(library):
    path = library.add(small_network(), ModelMetadata(name="gone"))
    library.delete(path)
    assert library.entries() == []


def test_export_copies_atomically(library, tmp_path):
    path = library.add(small_network(), ModelMetadata(name="x"))
    target = export_model(path, tmp_path / "copy")
    assert target.name == "copy.npz"
    assert target.read_bytes() == path.read_bytes()
    assert not list(tmp_path.glob(".*.tmp"))
    with pytest.raises(LibraryError, match="cannot export"):
        export_model(path, tmp_path / "no" / "such" / "dir" / "m.npz")


def test_leftovers_of_a_killed_save_are_cleaned(library):
    library.add(small_network(), ModelMetadata(name="kept"))
    leftover = library.folder / ".kept.npz.abc123.tmp"
    leftover.write_bytes(b"half a model")
    old = time.time() - LEFTOVER_AGE_S - 60
    os.utime(leftover, (old, old))
    # Another running instance's save in progress: young, so it is left alone.
    in_progress = library.folder / ".other.npz.def456.tmp"
    in_progress.write_bytes(b"being written")
    assert library.clean_leftovers() == [leftover]
    assert not leftover.exists() and in_progress.exists()
    assert [e.name for e in library.entries()] == ["kept"]


def test_a_save_killed_midway_leaves_no_model(tmp_path):
    """A real SIGKILL in the middle of writing: no file that looks like a model remains."""
    import signal
    import subprocess
    import sys

    folder = tmp_path / "models"
    folder.mkdir()
    code = f"""
import os, signal
import numpy as np
from digitpad.core import model_io
from digitpad.core.bundled import CLASSIC
from digitpad.core.network import Network

def write_half_then_die(out, **arrays):
    out.write(b"PK\\x03\\x04 half of an archive")
    out.flush()
    os.kill(os.getpid(), signal.SIGKILL)

np.savez = write_half_then_die
model_io.save_model({str(folder / "m.npz")!r}, Network(CLASSIC.spec()), model_io.ModelMetadata())
"""
    result = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert result.returncode == -signal.SIGKILL
    assert not (folder / "m.npz").exists()
    library = Library(folder)
    assert library.entries() == []
    (leftover,) = folder.iterdir()
    old = time.time() - LEFTOVER_AGE_S - 60
    os.utime(leftover, (old, old))  # hours later
    assert library.clean_leftovers() == [leftover]
    assert list(folder.iterdir()) == []

"""Atomic, exclusive writes: a crash, a full disk or another process loses nothing."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from digitpad.core import atomic
from digitpad.core.atomic import LEFTOVER_AGE_S, atomic_file, remove_leftovers
from digitpad.core.library import Library, LibraryError
from digitpad.core.model_io import ModelMetadata, load_model

from ..conftest import ROOT
from .test_library import small_network


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_file(target) as out:
        out.write(b"half")
        raise RuntimeError("the disk filled up")
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("hard_links", [True, False])
def test_an_exclusive_write_never_overwrites(tmp_path, monkeypatch, hard_links):
    if not hard_links:  # FAT, some network shares: claimed by an exclusive create instead

        def no_link(*args):
            raise OSError(errno.EPERM, "Operation not permitted")

        monkeypatch.setattr(atomic.os, "link", no_link)
    target = tmp_path / "f.bin"
    with atomic_file(target, exclusive=True) as out:
        out.write(b"first")
    with pytest.raises(FileExistsError), atomic_file(target, exclusive=True) as out:
        out.write(b"second")
    assert target.read_bytes() == b"first" and list(tmp_path.iterdir()) == [target]
    assert (target.stat().st_mode & 0o777) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_only_old_leftovers_are_removed_and_an_unremovable_one_is_kept(tmp_path, monkeypatch):
    old, young = tmp_path / ".a.npz.1.tmp", tmp_path / ".b.npz.2.tmp"
    for path in (old, young):
        path.write_bytes(b"x")
    stale = time.time() - LEFTOVER_AGE_S - 1
    os.utime(old, (stale, stale))
    assert remove_leftovers(tmp_path, ".*.npz.*.tmp") == [old]
    assert young.exists()
    os.utime(young, (stale, stale))

    def read_only(self, missing_ok=False):
        raise PermissionError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "unlink", read_only)
    assert remove_leftovers(tmp_path, ".*.npz.*.tmp") == []  # kept, quietly


def _leftover(target: Path, age: float, suffix: str = atomic.TEMP_SUFFIX) -> Path:
    """A temporary as a writer of ``target`` killed ``age`` seconds ago left it (named as
    ``atomic.temporary_beside`` names them, without calling it: it cleans up)."""
    handle, name = tempfile.mkstemp(
        prefix=f".{target.name[:120]}.", suffix=suffix, dir=target.parent
    )
    os.close(handle)
    path = Path(name)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


@pytest.mark.parametrize("name", ["model.npz", "odd [1] *?.npz", "n" * 250 + ".npz"])
def test_a_write_removes_its_targets_stale_leftovers_and_keeps_a_running_writers(tmp_path, name):
    target = tmp_path / name
    stale = _leftover(target, LEFTOVER_AGE_S + 60)  # a `train --out` killed while saving
    fresh = _leftover(target, 5)  # another process saving there now
    other = _leftover(tmp_path / "other.npz", LEFTOVER_AGE_S + 60)  # not this target's
    download = _leftover(target, LEFTOVER_AGE_S + 60, ".part")  # another kind of writer's
    with atomic_file(target) as out:
        out.write(b"data")
    assert not stale.exists()
    assert fresh.exists() and other.exists() and download.exists()
    assert target.read_bytes() == b"data"


def test_a_save_to_the_same_path_cleans_what_a_killed_save_left(tmp_path):
    from digitpad.core.model_io import save_model

    target = tmp_path / "m.npz"
    stale = _leftover(target, LEFTOVER_AGE_S + 1)
    save_model(target, small_network(), ModelMetadata(name="again"))
    assert sorted(tmp_path.iterdir()) == [target]
    assert not stale.exists()


def test_a_read_only_library_says_why_it_cannot_rename_or_delete(tmp_path, monkeypatch):
    library = Library(tmp_path / "lib")
    path = library.add(small_network(), ModelMetadata(name="mine"))

    def read_only(self, missing_ok=False):
        raise PermissionError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "unlink", read_only)
    with pytest.raises(LibraryError, match="cannot delete .Read-only file system"):
        library.delete(path)
    with pytest.raises(LibraryError, match="cannot rename .Read-only file system"):
        library.rename(path, "another name")


SAVER = """
import sys
from pathlib import Path
import numpy as np
from digitpad.core.bundled import CLASSIC
from digitpad.core.library import Library
from digitpad.core.model_io import ModelMetadata
from digitpad.core.network import Network
library = Library(Path(sys.argv[1]))
network = Network(CLASSIC.spec(), np.random.default_rng(int(sys.argv[2])))
sys.stdin.readline()  # both start together
for number in range(int(sys.argv[3])):
    library.add(network, ModelMetadata(name="same name", metrics={"test_accuracy": number / 100}))
"""


def test_two_processes_saving_the_same_name_lose_nothing(tmp_path):
    folder, saves = tmp_path / "lib", 80
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SAVER, str(folder), str(seed), str(saves)],
            stdin=subprocess.PIPE,
            cwd=ROOT,
        )
        for seed in (1, 2)
    ]
    for process in processes:
        process.stdin.write(b"go\n")
        process.stdin.flush()
    assert [process.wait(timeout=120) for process in processes] == [0, 0]
    files = sorted(folder.glob("*.npz"))
    assert len(files) == 2 * saves  # none overwritten
    seeds = sorted(float(load_model(f).network.layers[0].params["weight"].sum()) for f in files)
    assert len(set(seeds)) == 2 and seeds.count(seeds[0]) == saves  # 80 of each, whole
    assert not list(folder.glob(".*"))  # no temporary files left behind


def test_a_name_near_the_systems_limit_is_written(tmp_path):
    target = tmp_path / ("n" * 250 + ".npz")  # the temporary's name must not be longer
    with atomic_file(target) as out:
        out.write(b"data")
    assert target.read_bytes() == b"data" and len(list(tmp_path.iterdir())) == 1

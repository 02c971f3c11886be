"""Model files built to hurt: each is refused with a ModelFormatError naming the file,
before it can allocate much memory, and a library holding it still lists (issue 10)."""

from __future__ import annotations

import io
import json
import os
import pickle
import tracemalloc
import zipfile

import numpy as np
import pytest

from digitpad.core.bundled import CLASSIC
from digitpad.core.library import Library
from digitpad.core.model_io import ModelFormatError, ModelMetadata, load_model, save_model
from digitpad.core.network import Network

from .test_model_io import arrays_of, header_of

# Allocating more than this while refusing one file is a failure: a few hundred MB at most,
# never the gigabytes a header can declare (real models are under 2 MB).
MEMORY_CEILING = 256 * 1024 * 1024


@pytest.fixture
def saved(tmp_path):
    net = Network(CLASSIC.spec(), np.random.default_rng(5))
    return save_model(tmp_path / "m.npz", net, ModelMetadata(name="m"))


def npy_bytes(shape, dtype="<f4", body=b"") -> bytes:
    """An .npy member that declares ``shape`` whatever it holds."""
    header = repr({"descr": dtype, "fortran_order": False, "shape": tuple(shape)}).encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + body


def archive(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as out:
        for name, data in members.items():
            out.writestr(name, data)


def member_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def refused(path, match: str) -> str:
    tracemalloc.start()
    try:
        with pytest.raises(ModelFormatError, match=match) as info:
            load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_CEILING, f"{peak:,} bytes allocated to refuse {path.name}"
    assert str(path) in str(info.value)
    return str(info.value)


def header_member(header: dict) -> bytes:
    return member_bytes(np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))


def test_a_header_declaring_a_trillion_values_is_not_allocated(tmp_path):
    path = tmp_path / "huge.npz"
    archive(path, {"header.npy": npy_bytes((10**12,), "|u1")})
    refused(path, "at most")


def test_a_weight_declaring_a_huge_shape_is_not_allocated(saved):
    members = {f"{k}.npy": member_bytes(v) for k, v in arrays_of(saved).items()}
    members["0.weight.npy"] = npy_bytes((8, 1, 30000, 30000))
    archive(saved, members)
    refused(saved, r"0.weight has shape \(8, 1, 30000, 30000\)")


def test_a_raw_pickle_member_is_refused_unread(saved, tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (marker.write_text, ("x",))

    members = {f"{k}.npy": member_bytes(v) for k, v in arrays_of(saved).items()}
    members["0.weight.npy"] = pickle.dumps(Evil())
    archive(saved, members)
    refused(saved, "0.weight is not a NumPy array")
    assert not marker.exists()


def test_an_array_stored_twice_is_refused(saved):
    members = [(f"{k}.npy", member_bytes(v)) for k, v in arrays_of(saved).items()]
    with zipfile.ZipFile(saved, "w") as out:
        for name, data in members:
            out.writestr(name, data)
        with pytest.warns(UserWarning, match="Duplicate name"):
            out.writestr(*members[1])  # numpy would have read this copy alone
    refused(saved, "stored twice")


def test_a_header_nested_thousands_deep_is_refused(saved):
    text = json.dumps(header_of(saved))
    deep = text[:-1] + ', "deep": ' + "[" * 5000 + "0" + "]" * 5000 + "}"
    arrays = arrays_of(saved)
    arrays["header"] = np.frombuffer(deep.encode(), dtype=np.uint8)
    archive(saved, {f"{k}.npy": member_bytes(v) for k, v in arrays.items()})
    refused(saved, "nested too deeply")


@pytest.mark.parametrize(
    "layers,message",
    [
        # 60 dense layers of 16 M weights each (3.8 GB): refused before the second.
        (
            [{"type": "flatten"}]
            + [{"type": "dense", "units": 20_000}, {"type": "dense", "units": 784}] * 30
            + [{"type": "dense", "units": 10}],
            "layer 2 \\(dense\\) takes the network past 20,000,000 parameters",
        ),
        # One layer of a billion weights: refused by itself, before it exists.
        ([{"type": "conv2d", "filters": 4000, "kernel": 500}], "would have 1,000,000,000"),
        ([{"type": "relu"}] * 1000, "at most 64 layers"),
        # kernel 4000 with same padding: im2col of 12 billion values per image.
        ([{"type": "conv2d", "filters": 1, "kernel": 4000, "padding": "same"}], "intermediate"),
        # 1.6 M filters: a billion values per image.
        ([{"type": "conv2d", "filters": 1_600_000}], "intermediate"),
    ],
)
def test_networks_too_costly_to_run_are_refused_before_allocating(saved, layers, message):
    header = header_of(saved)
    header["spec"] = {"input_shape": [1, 28, 28], "layers": layers}
    archive(saved, {"header.npy": header_member(header)})
    refused(saved, message)


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_folder_or_pipe_is_named_for_what_it_is(tmp_path, kind):
    path = tmp_path / "model.npz"
    if kind == "folder":
        path.mkdir()
        refused(path, "a folder, not a file")
    else:
        os.mkfifo(path)
        refused(path, "not a regular file")


def test_a_library_of_bad_files_still_lists_and_reads_headers_only(tmp_path):
    library = Library(tmp_path / "lib")
    good = library.add(Network(CLASSIC.spec()), ModelMetadata(name="good"))
    (library.folder / "dangling.npz").symlink_to(tmp_path / "nowhere.npz")
    archive(library.folder / "bomb.npz", {"header.npy": npy_bytes((10**12,), "|u1")})
    header = header_of(good)
    header["name"] = "header fine, weights gone"
    archive(library.folder / "half.npz", {"header.npy": header_member(header)})
    entries = {entry.path.name: entry for entry in library.entries()}
    assert entries["good.npz"].problem is None and entries["good.npz"].name == "good"
    assert "dangling.npz" in entries["dangling.npz"].problem
    assert "bomb.npz" in entries["bomb.npz"].problem
    # Listing reads the header only: the missing weights are found when it is opened.
    assert entries["half.npz"].problem is None
    assert entries["half.npz"].name == "header fine, weights gone"
    with pytest.raises(ModelFormatError, match="missing"):
        load_model(library.folder / "half.npz")


def test_finite_but_enormous_weights_are_refused(saved):
    arrays = arrays_of(saved)
    arrays["0.weight"] = np.full_like(arrays["0.weight"], 3e38)  # finite, yet NaN predictions
    archive(saved, {f"{k}.npy": member_bytes(v) for k, v in arrays.items()})
    refused(saved, "0.weight holds a weight of 3e\\+38")

"""Model files: round trip, and hostile files all refused with ModelFormatError."""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest

from digitpad.core.bundled import CLASSIC
from digitpad.core.model_io import (
    ModelFormatError,
    ModelMetadata,
    load_model,
    save_model,
)
from digitpad.core.network import Network


@pytest.fixture
def saved(tmp_path):
    net = Network(CLASSIC.spec(), np.random.default_rng(5))
    path = save_model(
        tmp_path / "m.npz", net, ModelMetadata(name="m", metrics={"test_accuracy": 0.5})
    )
    return path, net


def rewrite(path, arrays):
    with open(path, "wb") as out:
        np.savez(out, **arrays)


def arrays_of(path):
    with np.load(path) as archive:
        return {name: archive[name] for name in archive.files}


def header_of(path):
    return json.loads(arrays_of(path)["header"].tobytes())


def with_header(arrays, header):
    arrays = dict(arrays)
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    return arrays


def test_round_trip(saved):
    path, net = saved
    model = load_model(path)
    for name, value in net.named_params().items():
        np.testing.assert_array_equal(model.network.named_params()[name], value)
    assert model.metadata.name == "m"
    assert model.metadata.metrics == {"test_accuracy": 0.5}
    assert model.metadata.created
    x = np.random.default_rng(0).random((3, 28, 28))
    np.testing.assert_allclose(model.network.predict(x), net.predict(x))


def test_save_leaves_no_temporary_files(saved, tmp_path):
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_failed_save_keeps_the_old_file(saved, monkeypatch):
    path, net = saved
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError):
        save_model(path, net, ModelMetadata())
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["m.npz"]


def test_missing_file(tmp_path):
    with pytest.raises(ModelFormatError, match="no such model file"):
        load_model(tmp_path / "nope.npz")


def test_not_a_zip(tmp_path):
    path = tmp_path / "text.npz"
    path.write_text("hello")
    with pytest.raises(ModelFormatError, match="text.npz.*not an .npz"):
        load_model(path)


def test_truncated(saved):
    path, _ = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFormatError, match="m.npz"):
        load_model(path)


def test_flipped_bytes_are_caught(saved):
    path, _ = saved
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFormatError, match="m.npz"):
        load_model(path)


def test_wrong_shape(saved):
    path, _ = saved
    arrays = arrays_of(path)
    arrays["0.weight"] = np.zeros((8, 1, 5, 5), np.float32)
    rewrite(path, arrays)
    with pytest.raises(ModelFormatError, match=r"0.weight has shape \(8, 1, 5, 5\)"):
        load_model(path)


def test_wrong_dtype(saved):
    path, _ = saved
    arrays = arrays_of(path)
    arrays["3.bias"] = arrays["3.bias"].astype(np.float64)
    rewrite(path, arrays)
    with pytest.raises(ModelFormatError, match="3.bias is float64"):
        load_model(path)


def test_nan_filled(saved):
    path, _ = saved
    arrays = arrays_of(path)
    arrays["3.weight"][0, 0] = np.nan
    rewrite(path, arrays)
    with pytest.raises(ModelFormatError, match="3.weight holds NaN"):
        load_model(path)


def test_missing_and_extra_arrays(saved):
    path, _ = saved
    arrays = arrays_of(path)
    del arrays["0.bias"]
    arrays["9.weight"] = np.zeros(3, np.float32)
    rewrite(path, arrays)
    with pytest.raises(ModelFormatError, match=r"missing \[0.bias\].*9.weight"):
        load_model(path)


def test_thousands_of_extra_arrays_give_a_short_message(saved):
    path, _ = saved
    arrays = arrays_of(path)
    arrays.update({f"junk{i}": np.zeros(1, np.float32) for i in range(3000)})
    rewrite(path, arrays)
    with pytest.raises(ModelFormatError, match="and 2995 more") as info:
        load_model(path)
    assert len(str(info.value)) < 400


def test_pickle_bearing_file_is_refused_without_running_it(saved, tmp_path):
    path, _ = saved
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (marker.write_text, ("x",))

    arrays = arrays_of(path)
    arrays["0.weight"] = np.array([Evil()], dtype=object)
    with open(path, "wb") as out:
        np.savez(out, **arrays)
    with pytest.raises(ModelFormatError, match="m.npz"):
        load_model(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "change,message",
    [
        ({"format": "other"}, "not a digitpad model"),
        ({"format_version": 99}, "format version 99"),
        ({"spec": {"layers": [{"type": "conv9"}]}}, "invalid network spec"),
        ({"spec": "nonsense"}, "invalid network spec"),
        (  # a spec that would allocate terabytes is refused before any allocation
            {"spec": {"layers": [{"type": "flatten"}, {"type": "dense", "units": 10**9}]}},
            "would have 784,000,000,000 weights",
        ),
        ({"metrics": [1, 2]}, "metrics"),
        ({"metrics": {"test_accuracy": "high"}}, "metric 'test_accuracy' must be a finite"),
        ({"metrics": {"test_accuracy": 7.5}}, "between 0 and 1"),
        ({"metrics": {"per_class_accuracy": [0.5, None]}}, "per_class_accuracy"),
        ({"metrics": {"test_loss": True}}, "test_loss"),
        ({"training": {"config": [1, 2]}}, "'config' must be an object"),
        ({"training": {"images": "many"}}, "'images' must be an integer"),
    ],
)
def test_bad_headers(saved, change, message):
    path, _ = saved
    header = header_of(path)
    header.update(change)
    rewrite(path, with_header(arrays_of(path), header))
    with pytest.raises(ModelFormatError, match=message):
        load_model(path)


def test_header_not_json(saved):
    path, _ = saved
    arrays = arrays_of(path)
    arrays["header"] = np.frombuffer(b"\xff\xfe{", dtype=np.uint8)
    rewrite(path, arrays)
    with pytest.raises(ModelFormatError, match="not valid JSON"):
        load_model(path)


def test_zip_bomb_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.npz"
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("0.weight.npy", "w", force_zip64=True) as member,
    ):
        chunk = b"\0" * (1 << 20)
        for _ in range(300):
            member.write(chunk)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ModelFormatError, match="inflate"):
        load_model(path)


def test_saved_file_gets_the_usual_permissions(tmp_path):
    previous = os.umask(0o022)
    try:
        path = save_model(tmp_path / "p.npz", Network(CLASSIC.spec()), ModelMetadata())
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_conv_layer_without_kernel_takes_the_default(saved):
    path, _ = saved
    header = header_of(path)
    del header["spec"]["layers"][0]["kernel"]
    rewrite(path, with_header(arrays_of(path), header))
    model = load_model(path)
    assert model.network.layers[0].kernel == 3
    assert model.network.layers[0].describe().startswith("conv 3×3")

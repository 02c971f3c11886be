"""The samples store: what goes in comes out, bad samples are refused by name, a damaged
database is moved aside, and a process killed at any moment loses nothing acknowledged."""

from __future__ import annotations

import contextlib
import io
import os
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from digitpad.core.preprocess import to_mnist
from digitpad.core.samples import SCHEMA_VERSION, Sample, SampleError, SampleStore
from digitpad.core.strokes import Stroke, render

from ..conftest import ROOT


def npy(array: np.ndarray) -> bytes:
    raw = io.BytesIO()
    np.save(raw, array)
    return raw.getvalue()


def drawing(seed: int, label: int = 7, **extra) -> Sample:
    """A real drawing: a zigzag of random points, rendered and preprocessed as the canvas does."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(40, 240, (6, 2))
    strokes = (Stroke(points, 22.0), Stroke(points[:2] + 5, 10.0, erase=True))
    canvas = render(strokes)
    return Sample(strokes, canvas, to_mnist(canvas), label, **extra)


def many_samples(count: int, start: int = 0) -> Iterator[Sample]:
    """``count`` distinct samples, made cheaply: one drawing's strokes shifted by 1/100 px
    per sample and its input marked with the sample's number in binary (so neither its
    strokes nor its input repeat), on a canvas of one ink square (quick to compress)."""
    base = drawing(0)
    bits = 1 << np.arange(20)
    canvas = np.zeros((280, 280), np.float32)
    canvas[100:180, 120:160] = 1
    for index in range(start, start + count):
        marked = base.network_input.copy()
        marked[0, :20] = (index & bits) > 0
        shift = np.array([index % 1000, index // 1000]) * 0.01
        strokes = tuple(Stroke(s.points + shift, s.width, s.erase) for s in base.strokes)
        yield Sample(strokes, canvas, marked, index % 10, predicted=(index + 1) % 10)


def declare_size(path, member: str, size: int) -> None:
    """Make the zip archive at ``path`` declare ``size`` bytes for ``member`` uncompressed
    (in its local header and its central directory), whatever its data holds."""
    raw = bytearray(path.read_bytes())
    name = member.encode()
    for signature, field in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.find(signature)
        while at >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if raw[name_at : name_at + len(name)] == name:
                raw[at + field : at + field + 4] = size.to_bytes(4, "little")
            at = raw.find(signature, at + 4)
    path.write_bytes(bytes(raw))


def test_a_sample_comes_back_as_it_went_in(tmp_path):
    probabilities = np.linspace(0, 1, 10, dtype=np.float32)
    sample = drawing(
        0, 3, predicted=5, probabilities=probabilities, model_name="default", model_sha256="ab" * 32
    )
    with SampleStore(tmp_path / "s.sqlite") as store:
        sample_id = store.add(sample)
        back = store.get(sample_id)
    assert back.id == sample_id and back.label == 3 and back.predicted == 5 and back.misread
    assert back.model_name == "default" and back.model_sha256 == "ab" * 32
    assert back.created == sample.created
    np.testing.assert_array_equal(back.probabilities, probabilities)
    np.testing.assert_array_equal(back.network_input, sample.network_input)
    np.testing.assert_allclose(back.canvas, sample.canvas, atol=1 / 255)
    assert len(back.strokes) == 2 and back.strokes[1].erase and not back.strokes[0].erase
    np.testing.assert_allclose(back.strokes[0].points, sample.strokes[0].points, atol=0.005)
    assert back.strokes[0].width == 22.0
    assert back.digest == sample.digest


@pytest.mark.parametrize(
    "change,message",
    [
        ({"label": 11}, "label must be a digit from 0 to 9 or 10 \\(not a digit\\), got 11"),
        ({"label": -1}, "got -1"),
        ({"label": True}, "got True"),
        ({"label": "7"}, "got '7'"),
        (
            {"predicted": 12},
            "predicted label must be a digit from 0 to 9 or 10 \\(not a digit\\), got 12",
        ),
        ({"network_input": np.zeros((28, 28))}, "an empty drawing is no sample"),
        ({"canvas": np.zeros((28, 28))}, "canvas image must be 280x280"),
        ({"probabilities": np.ones(3)}, "probabilities must be 10 numbers"),
    ],
)
def test_a_bad_sample_is_refused_naming_the_value(change, message):
    good = drawing(1)
    values = {
        "strokes": good.strokes,
        "canvas": good.canvas,
        "network_input": good.network_input,
        "label": good.label,
        **change,
    }
    with pytest.raises(SampleError, match=message):
        Sample(**values)


def test_the_same_drawing_is_refused_twice_even_under_another_label(tmp_path):
    with SampleStore(tmp_path / "s.sqlite") as store:
        first = store.add(drawing(2, 4))
        with pytest.raises(SampleError, match=f"already stored \\(sample {first}, labelled 4\\)"):
            store.add(drawing(2, 9))
        store.add(drawing(3, 4))
        assert store.count() == 2


def test_relabel_delete_and_undo(tmp_path):
    with SampleStore(tmp_path / "s.sqlite") as store:
        ids = [store.add(drawing(seed, seed % 10, predicted=1)) for seed in range(5)]
        assert store.relabel(ids[2], 8) == 2
        assert store.get(ids[2]).label == 8
        with pytest.raises(SampleError, match="label must be a digit"):
            store.relabel(ids[2], 11)
        with pytest.raises(SampleError, match="there is no sample 999"):
            store.relabel(999, 1)
        removed = store.delete(ids[3])
        assert store.count() == 4
        with pytest.raises(SampleError, match=f"there is no sample {ids[3]}"):
            store.get(ids[3])
        assert store.add(removed) == ids[3]  # undo: back under its own id
        assert [s.id for s in store.summaries()] == ids
        assert [s.id for s in store.summaries(label=8)] == [ids[2]]
        # Predicted 1 throughout: all but the one labelled 1 were misread.
        assert [s.id for s in store.summaries(misread_only=True)] == [
            i for i, seed in zip(ids, range(5), strict=True) if seed != 1
        ]
        personal = store.training_set()
        assert personal.ids.tolist() == ids and personal.inputs.shape == (5, 28, 28)
        assert personal.labels.tolist() == [0, 1, 8, 3, 4]
        assert not personal.held_out.any()  # one sample of each digit: all taught


def test_a_damaged_database_is_moved_aside_and_a_fresh_one_started(tmp_path):
    path = tmp_path / "s.sqlite"
    with SampleStore(path) as store:
        for seed in range(20):
            store.add(drawing(seed))
    raw = bytearray(path.read_bytes())
    raw[4096 : 3 * 4096] = os.urandom(2 * 4096)  # the schema's and a table's pages
    path.write_bytes(bytes(raw))
    with SampleStore(path) as store:
        assert store.recovered_from is not None and store.recovered_from.exists()
        assert "damaged" in store.recovered_from.name
        assert store.count() == 0
        store.add(drawing(1))
    assert path.exists() and store.recovered_from.read_bytes() == bytes(raw)
    (tmp_path / "junk.sqlite").write_bytes(b"this is not a database at all" * 100)
    with SampleStore(tmp_path / "junk.sqlite") as store:
        assert store.recovered_from is not None and store.count() == 0


def test_a_database_from_a_newer_digitpad_is_refused_untouched(tmp_path):
    path = tmp_path / "s.sqlite"
    SampleStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.commit()
    db.close()  # all of it in the main file: nothing left in a WAL to hide a write
    before = path.read_bytes()
    with pytest.raises(SampleError, match="written by a newer digitpad"):
        SampleStore(path)
    assert path.read_bytes() == before


WRITER = """
import sys
from tests.core.test_samples import drawing
from digitpad.core.samples import SampleStore
store = SampleStore(sys.argv[1])
for seed in range(int(sys.argv[2]), int(sys.argv[2]) + 100_000):
    sample_id = store.add(drawing(seed))
    print(sample_id, flush=True)  # acknowledged: add returned
"""


def test_a_writer_killed_at_any_moment_loses_nothing_acknowledged(tmp_path):
    """Each add is one transaction: a process killed anywhere leaves every acknowledged
    sample stored and the database whole. (Power loss is ``synchronous=FULL``'s part: a
    killed process keeps what the system already holds, so this cannot test that.)"""
    path = tmp_path / "s.sqlite"
    rng = np.random.default_rng(0)
    acknowledged: set[int] = set()
    for run in range(20):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(run * 100_000)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Wait for its first sample, so every kill lands among the writes (a minute at
        # most: a writer that stalls fails the test rather than hanging it).
        ready, _, _ = select.select([child.stdout], [], [], 60)
        if not ready:
            child.kill()
        first = child.stdout.readline()
        assert first.strip(), f"the writer stored nothing: {child.communicate()[1][-2000:]}"
        acknowledged.add(int(first))
        time.sleep(rng.uniform(0.0, 0.3))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=60)  # its stderr: empty unless it failed
        # Lines the child printed before it died were acknowledged; a cut-off last
        # line was not (the number might be partial).
        lines = out.split("\n")
        acknowledged.update(int(line) for line in lines[:-1] if line.strip())
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with SampleStore(path) as store:
        assert store.recovered_from is None
        stored = {s.id for s in store.summaries()}
    assert acknowledged <= stored
    assert len(acknowledged) > 20


# -- export and import -------------------------------------------------------------------


def test_an_npz_export_imports_back_whole_and_a_second_import_adds_nothing(tmp_path):
    from digitpad.core.samples import export_npz, read_export

    with SampleStore(tmp_path / "a.sqlite") as store:
        for seed in range(6):
            store.add(drawing(seed, seed, predicted=(seed + 1) % 10 if seed % 2 else None))
        originals = store.all()
        path, count = export_npz(store, tmp_path / "mine.npz")
    assert count == 6
    with SampleStore(tmp_path / "b.sqlite") as other:
        ids, skipped = other.add_many(read_export(path))
        assert len(ids) == 6 and skipped == 0
        again, skipped = other.add_many(read_export(path))
        assert again == [] and skipped == 6
        back = other.all()
    for before, after in zip(originals, back, strict=True):
        assert (after.label, after.predicted, after.created) == (
            before.label,
            before.predicted,
            before.created,
        )
        assert after.digest == before.digest
        np.testing.assert_array_equal(after.network_input, before.network_input)
        np.testing.assert_array_equal(after.canvas, before.canvas)


def test_an_idx_export_is_mnist_shaped_and_imports_back_once(tmp_path):
    from digitpad.core.data import read_images, read_labels
    from digitpad.core.samples import export_idx, read_export

    samples = [drawing(seed, seed % 10) for seed in range(4)]
    with SampleStore(tmp_path / "a.sqlite") as store:
        store.add_many(samples)
        (images_path, labels_path), count = export_idx(store, tmp_path / "idx")
    assert count == 4
    images, labels = read_images(images_path), read_labels(labels_path)
    assert images.shape == (4, 28, 28) and labels.tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(images / 255, [s.network_input for s in samples], atol=0.5 / 255)
    with SampleStore(tmp_path / "s.sqlite") as store:
        assert len(store.add_many(read_export(tmp_path / "idx"))[0]) == 4
        assert store.add_many(read_export(tmp_path / "idx")) == ([], 4)
        assert all(sample.strokes == () for sample in store.all())
    # Imported back where they came from: the same digits, though without strokes now.
    with SampleStore(tmp_path / "a.sqlite") as store:
        assert store.add_many(read_export(tmp_path / "idx")) == ([], 4)


@pytest.mark.parametrize(
    "arrays,message",
    [
        ({"labels": np.zeros(2, int)}, "no inputs array"),
        ({"inputs": np.zeros((2, 28, 28), np.float32), "labels": np.array([1, 12])}, "digits 0-9"),
        ({"inputs": np.zeros((3, 28, 28), np.float32), "labels": np.array([1, 2])}, "2 samples"),
        (
            {"inputs": np.full((1, 28, 28), np.nan, np.float32), "labels": np.array([1])},
            "numbers from 0 to 1",
        ),
        (
            {
                "inputs": np.ones((1, 28, 28), np.float32),
                "labels": np.array([1]),
                "strokes_utf8": np.frombuffer(b"{not json", np.uint8),
                "strokes_offsets": np.array([0, 9]),
            },
            "stored strokes are unreadable",
        ),
        (
            {
                "inputs": np.ones((1, 28, 28), np.float32),
                "labels": np.array([1]),
                "strokes_utf8": np.frombuffer(b"[]", np.uint8),
                "strokes_offsets": np.array([0, 90]),
            },
            "strokes_offsets do not cut",
        ),
        (
            {"inputs": np.array([[object()]], dtype=object), "labels": np.array([1])},
            "inputs holds object",
        ),
        (
            {"inputs": np.zeros((1, 28, 28), np.float32), "labels": np.array(["1"])},
            "labels holds <U1",
        ),
        (
            {"inputs": np.zeros((1, 28, 28), np.float32), "labels": np.array([1])},
            "sample 1: an empty drawing",
        ),
    ],
)
def test_a_bad_export_is_refused_naming_the_file_and_the_fault(tmp_path, arrays, message):
    from digitpad.core.samples import read_export

    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(SampleError, match=message) as caught:
        list(read_export(path))  # some faults are found only while the samples are read
    assert str(path) in str(caught.value)
    # A header declaring 11 TB of data: refused from the header, before any allocation.
    huge = tmp_path / "huge.npz"
    with zipfile.ZipFile(huge, "w") as archive:
        header = np.lib.format.header_data_from_array_1_0(np.zeros((1, 28, 28), np.float32))
        header["shape"] = (4_000_000_000, 28, 28)
        raw = io.BytesIO()
        np.lib.format.write_array_header_1_0(raw, header)
        archive.writestr("inputs.npy", raw.getvalue())
        archive.writestr("labels.npy", npy(np.arange(1)))
    with pytest.raises(SampleError, match="inputs holds 3,136,000,000,000 values"):
        read_export(huge)
    (tmp_path / "junk.npz").write_bytes(b"PK junk")
    with pytest.raises(SampleError, match="junk.npz: not a readable samples export"):
        read_export(tmp_path / "junk.npz")
    with pytest.raises(SampleError, match="holds no samples-images-idx3-ubyte"):
        read_export(tmp_path)


MANY = 6_000  # more than the 5,000 an import once took


@pytest.fixture(scope="module")
def many_stored(tmp_path_factory):
    path = tmp_path_factory.mktemp("many") / "many.sqlite"
    with SampleStore(path) as store:
        store.add_many(many_samples(MANY))
    return path


@pytest.mark.parametrize("kind", ["npz", "idx"])
def test_thousands_of_samples_go_out_and_come_back_once(tmp_path, many_stored, kind):
    from digitpad.core.samples import CHUNK_SAMPLES, export_idx, export_npz, read_export

    with SampleStore(many_stored) as store:
        if kind == "npz":
            path, count = export_npz(store, tmp_path / "all.npz")
        else:
            path, count = export_idx(store, tmp_path / "idx")[0][0].parent, MANY
        last = store.get(store.summaries()[-1].id)
    assert count == MANY
    if kind == "npz":  # a plain .npz, as np.savez_compressed wrote before
        with np.load(path) as arrays:
            assert arrays["inputs"].shape == (MANY, 28, 28) and arrays["inputs"].dtype == "<f4"
            assert arrays["canvas"].shape == (MANY, 280, 280)
            assert arrays["labels"].tolist() == [i % 10 for i in range(MANY)]
            assert arrays["created"].dtype == "<U64" and len(arrays["strokes_offsets"]) == MANY + 1
            assert all(
                info.compress_type == zipfile.ZIP_DEFLATED
                for info in zipfile.ZipFile(path).infolist()
            )
    exported = read_export(path)
    assert len(exported) == MANY and MANY > 20 * CHUNK_SAMPLES
    with SampleStore(tmp_path / "into.sqlite") as store:
        ids, skipped = store.add_many(exported)
        assert len(ids) == MANY and skipped == 0
        back = store.get(ids[-1])
        assert store.add_many(read_export(path)) == ([], MANY)
        assert store.count() == MANY
    assert back.label == last.label
    np.testing.assert_allclose(back.network_input, last.network_input, atol=0.5 / 255)
    if kind == "npz":
        assert back.digest == last.digest and back.created == last.created
        assert back.predicted == last.predicted
        np.testing.assert_array_equal(back.canvas, last.canvas)


def without_drawings(count: int, **faults) -> dict[str, np.ndarray]:
    """The arrays of an export of ``count`` distinct inputs, with strokes that are all
    empty drawings ("[]"): for files larger than the 5,000 samples an import once took."""
    inputs = np.zeros((count, 28, 28), np.float32)
    inputs[:, 10:18, 12:16] = 1
    inputs[:, 0, :16] = (np.arange(count)[:, None] >> np.arange(16)) & 1
    texts = [b"[]"] * count
    for index, text in faults.get("strokes", {}).items():
        texts[index] = text
    for index, value in faults.get("inputs", {}).items():
        inputs[index, 20, 20] = value
    return {
        "inputs": inputs,
        "labels": np.arange(count) % 10,
        "strokes_utf8": np.frombuffer(b"".join(texts), np.uint8),
        "strokes_offsets": np.cumsum([0, *(len(text) for text in texts)]),
    }


@pytest.mark.parametrize(
    "faults,message",
    [
        ({"inputs": {5_899: 2.0}}, "sample 5900: inputs must be numbers from 0 to 1"),
        ({"inputs": {5_999: np.nan}}, "sample 6000: inputs must be numbers from 0 to 1"),
        ({"strokes": {5_999: b"{not json"}}, "sample 6000: stored strokes are unreadable"),
        ({"strokes": {5_950: b"[\xff]"}}, "sample 5951: 'utf-8' codec can't decode"),
    ],
)
def test_a_fault_late_in_a_large_import_stores_none_of_it(tmp_path, faults, message):
    from digitpad.core.samples import read_export

    path = tmp_path / "late.npz"
    np.savez(path, **without_drawings(6_000, **faults))
    exported = read_export(path)  # nothing wrong in the headers and small arrays
    assert len(exported) == 6_000
    with SampleStore(tmp_path / "s.sqlite") as store:
        before = store.add_many(many_samples(30, start=10_000))[0]
        with pytest.raises(SampleError, match=message) as caught:
            store.add_many(exported)
        assert str(path) in str(caught.value)
        assert [s.id for s in store.summaries()] == before
    with SampleStore(tmp_path / "s.sqlite") as store:  # and so on disk
        assert store.count() == 30


def test_an_export_written_by_savez_compressed_imports(tmp_path):
    """What export_npz wrote before it streamed: the same arrays by np.savez_compressed."""
    from digitpad.core.samples import export_npz, read_export

    with SampleStore(tmp_path / "a.sqlite") as store:
        store.add_many(many_samples(300))
        originals = store.all()
        new = export_npz(store, tmp_path / "new.npz")[0]
    with np.load(new) as arrays:
        np.savez_compressed(tmp_path / "old.npz", **{name: arrays[name] for name in arrays.files})
    with SampleStore(tmp_path / "b.sqlite") as store:
        assert len(store.add_many(read_export(tmp_path / "old.npz"))[0]) == 300
        back = store.all()
        assert store.add_many(read_export(new)) == ([], 300)
    for before, after in zip(originals, back, strict=True):
        assert (after.label, after.predicted, after.created, after.digest) == (
            before.label,
            before.predicted,
            before.created,
            before.digest,
        )
        np.testing.assert_array_equal(after.canvas, before.canvas)


@pytest.mark.parametrize(
    "member,declared,message",
    [
        # A size consistent with the header, but the data stops sooner: found while reading.
        ("inputs.npy", 128 + 40 * 784 * 4, "inputs is cut short at sample 21"),
        ("labels.npy", 128 + 40 * 8, "labels is cut short or too long"),
        ("inputs.npy", 128 + 10 * 784 * 4, "inputs is cut short or too long"),
    ],
)
def test_an_archive_lying_about_a_members_size_is_refused(tmp_path, member, declared, message):
    from digitpad.core.samples import read_export

    path = tmp_path / "lies.npz"
    arrays = without_drawings(20)
    header = np.lib.format.header_data_from_array_1_0(arrays["inputs"])
    if member == "inputs.npy" and declared == 128 + 40 * 784 * 4:  # the header lies as well
        header["shape"] = (40, 28, 28)
        arrays["labels"] = np.arange(40) % 10
        del arrays["strokes_utf8"], arrays["strokes_offsets"]
    with zipfile.ZipFile(path, "w") as archive:
        raw = io.BytesIO()
        np.lib.format.write_array_header_1_0(raw, header)
        archive.writestr("inputs.npy", raw.getvalue() + arrays.pop("inputs").tobytes())
        for name, array in arrays.items():
            archive.writestr(name + ".npy", npy(array))
    declare_size(path, member, declared)
    with SampleStore(tmp_path / "s.sqlite") as store:
        with pytest.raises(SampleError, match=message) as caught:
            store.add_many(read_export(path))
        assert store.count() == 0
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    "arrays,message",
    [
        # 100,000 dates of a million characters: 400 GB from a header.
        ({"created": ("<U1000000", (100_000,))}, "created holds <U1000000"),
        ({"labels": ("<i8", (-5,))}, "labels has a negative size"),
        ({"canvas": ("<u2", (1, 280, 280))}, "canvas holds uint16"),
    ],
)
def test_a_header_asking_for_too_much_is_refused_before_its_data(tmp_path, arrays, message):
    from digitpad.core.samples import read_export

    path = tmp_path / "wide.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("inputs.npy", npy(np.ones((1, 28, 28), np.float32)))
        if "labels" not in arrays:
            archive.writestr("labels.npy", npy(np.array([1])))
        for name, (dtype, shape) in arrays.items():
            header = {"descr": dtype, "fortran_order": False, "shape": shape}
            raw = io.BytesIO()
            np.lib.format.write_array_header_1_0(raw, header)
            archive.writestr(name + ".npy", raw.getvalue())
    with pytest.raises(SampleError, match=message):
        read_export(path)


def test_one_sample_in_five_of_each_digit_is_held_out_and_stays_so(tmp_path):
    with SampleStore(tmp_path / "s.sqlite") as store:
        for seed in range(40):
            store.add(drawing(seed, seed % 2))  # 20 of each of two digits
        personal = store.training_set()
        for digit in (0, 1):
            mine = personal.held_out[personal.labels == digit]
            # The 3rd, 8th, 13th and 18th of each digit.
            assert np.flatnonzero(mine).tolist() == [2, 7, 12, 17]
        before = dict(zip(personal.ids.tolist(), personal.held_out.tolist(), strict=True))
        # Deleting, relabelling and adding never move a sample to the other side.
        store.delete_many([1, 2, 3])
        store.relabel(10, 5)
        store.add_many([drawing(seed, 0) for seed in range(100, 110)])
        after = store.training_set()
        for sample_id, held in zip(after.ids.tolist(), after.held_out.tolist(), strict=True):
            assert before.get(sample_id, held) == held
        deleted = store.delete_many([15, 16])  # the 8th 0 and the 8th 1
        assert [s.held_out for s in deleted] == [True, True]
        store.add_many(deleted)  # undo: back on their side
        again = store.training_set()
        assert again.held_out[np.isin(again.ids, [15, 16])].all()


def test_a_file_that_is_not_ours_is_refused_and_left_alone(tmp_path):
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE samples (x)")
    db.commit()
    db.close()
    before = other.read_bytes()
    with pytest.raises(SampleError, match="another program's database"):
        SampleStore(other)
    assert other.read_bytes() == before and not list(tmp_path.glob("*damaged*"))
    with pytest.raises(SampleError, match="a folder, not a samples database"):
        SampleStore(tmp_path)
    with pytest.raises(SampleError, match="no samples database there"):
        SampleStore(tmp_path / "absent.sqlite", create=False)
    assert not (tmp_path / "absent.sqlite").exists()


def test_a_database_another_process_is_writing_is_not_moved_aside(tmp_path, monkeypatch):
    import digitpad.core.samples.store as store_module

    path = tmp_path / "s.sqlite"
    SampleStore(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another instance in the middle of a write
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.1)
    try:
        with SampleStore(path) as store:  # reading is fine meanwhile (WAL)
            assert store.recovered_from is None
            with pytest.raises(SampleError, match="cannot write .*locked"):
                store.add(drawing(1))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not list(tmp_path.glob("*damaged*"))
    with SampleStore(path) as store:
        store.add(drawing(1))
        assert store.count() == 1


def test_a_long_date_survives_an_export_and_import(tmp_path):
    from digitpad.core.samples import export_npz, read_export

    created = "2026-11-26T10:00:00+00:00 (kept on the classroom laptop)"  # 56 characters
    with SampleStore(tmp_path / "a.sqlite") as store:
        store.add(drawing(1, 3, created=created))
        path, _ = export_npz(store, tmp_path / "mine.npz")
    with SampleStore(tmp_path / "b.sqlite") as other:
        other.add_many(read_export(path))
        assert other.all()[0].created == created


# -- identity: ids and held-out choices that never shift --------------------------------


def test_ids_are_never_reused_not_even_the_newest_deleted_ones(tmp_path):
    with SampleStore(tmp_path / "s.sqlite") as store:
        ids = [store.add(drawing(seed, 3)) for seed in range(3)]
        store.delete(ids[-1])  # the newest: SQLite would hand its id out again
        new = store.add(drawing(10, 7))
        assert new > ids[-1]
        store.delete_many([ids[1], new])
    with SampleStore(tmp_path / "s.sqlite") as store:  # nor after reopening
        assert store.add(drawing(11, 7)) > new


def test_deleting_a_sample_never_shifts_which_later_ones_are_held_out(tmp_path):
    with SampleStore(tmp_path / "s.sqlite") as store:
        first, *_ = [store.add(drawing(seed, 7)) for seed in range(3)]  # the 3rd held out
        store.delete(first)
        store.add(drawing(3, 7))  # the 4th seven kept: not held out, whatever was deleted
        assert store.training_set().held_out.tolist() == [False, True, False]
        # Relabelling keeps a sample on its side, and counts for neither digit.
        third = store.summaries()[1].id
        store.relabel(third, 1)
        assert store.get(third).held_out
        store.add(drawing(4, 7))  # the 5th seven
        store.add(drawing(5, 1))  # the 1st one
        assert store.training_set().held_out.tolist() == [False, True, False, False, False]


FIXTURE_V1 = Path(__file__).resolve().parent / "samples_v1" / "samples-v1.sqlite"
# What make_store.py left in it: (id, label, held out); ids 2 and 5 deleted, 11 reused.
FIXTURE_V1_SAMPLES = [
    (1, 7, False),
    (3, 3, False),
    (4, 7, True),
    (6, 7, False),
    (7, 1, False),
    (8, 7, False),
    (9, 8, True),  # a 3, relabelled
    (10, 1, False),
    (11, 0, False),
    (12, 7, False),
    (13, 1, True),  # an image opened from a file: no strokes
]
COLUMNS = (
    "id, label, predicted, probabilities, strokes, canvas, network_input, model_name, "
    "model_sha256, created, digest, input_digest, held_out"
)


def rows_of(path: Path) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute(f"SELECT {COLUMNS} FROM samples ORDER BY id").fetchall()


def test_a_store_written_by_schema_1_opens_migrated_and_loses_nothing(tmp_path):
    path = tmp_path / "s.sqlite"
    shutil.copy(FIXTURE_V1, path)
    before = rows_of(path)
    assert [(row[0], row[1], bool(row[12])) for row in before] == FIXTURE_V1_SAMPLES
    with SampleStore(path) as store:
        assert store.recovered_from is None
        samples = store.all()
        assert [(s.id, s.label, s.held_out) for s in samples] == FIXTURE_V1_SAMPLES
        for sample, row in zip(samples, before, strict=True):
            assert sample.created == row[9] and sample.predicted == row[2]
            assert sample.digest == row[10] and sample.input_digest == row[11]
            assert bool(sample.strokes) == (sample.id != 13) and sample.network_input.any()
            assert (sample.canvas > 0.5).sum() > 500  # its ink
        assert samples[0].model_name == "default" and samples[0].probabilities.argmax() == 7
        new = store.add(drawing(0, 7))
        assert new == 14  # above every id make_store.py ever used (13)
    assert rows_of(path)[:-1] == before  # every column of every sample, to the byte
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    with SampleStore(path) as store:  # a second time: nothing to migrate, nothing changed
        assert [(s.id, s.label, s.held_out) for s in store.all()][:-1] == FIXTURE_V1_SAMPLES
        store.delete(new)
        assert store.add(drawing(1, 7)) == 15
    assert rows_of(path)[:-1] == before


def test_a_schema_1_store_is_migrated_by_commands_that_only_read(tmp_path, capsys):
    from digitpad.cli import main

    path = tmp_path / "s.sqlite"
    shutil.copy(FIXTURE_V1, path)
    before = rows_of(path)
    with SampleStore(path, create=False) as store:
        assert store.count() == len(FIXTURE_V1_SAMPLES)
    shutil.copy(FIXTURE_V1, path)
    assert main(["samples", "list", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"11 samples in {path} (0: 1, 1: 3, 3: 1, 7: 5, 8: 1)")
    assert "      9  8  read as 3  2026-11-20T10:08:00+00:00" in out
    assert rows_of(path) == before
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_an_export_can_take_only_the_samples_a_filter_takes(tmp_path):
    from digitpad.core.samples import SampleFilter, export_idx, export_npz, read_export

    with SampleStore(tmp_path / "a.sqlite") as store:
        for seed, (label, predicted) in enumerate([(5, 5), (2, 7), (5, 3), (0, 0)]):
            store.add(drawing(seed, label, predicted=predicted))
        path, count = export_npz(store, tmp_path / "fives.npz", SampleFilter(5))
        assert count == 2
        misread = export_idx(store, tmp_path / "idx", SampleFilter(misread_only=True))[1]
        assert misread == 2
        fives = [store.get(1), store.get(3)]
    with SampleStore(tmp_path / "b.sqlite") as other:
        other.add_many(read_export(path))
        assert [(s.label, s.predicted, s.digest) for s in other.all()] == [
            (5, 5, fives[0].digest),
            (5, 3, fives[1].digest),
        ]
        other.add_many(read_export(tmp_path / "idx"))
        assert [s.label for s in other.all()] == [5, 5, 2]  # the misread 5 was there already
    with pytest.raises(SampleError, match="label must be a digit from 0 to 9 or 10"):
        SampleFilter(11)


def test_a_migration_that_fails_midway_leaves_the_old_store_as_it_was(tmp_path, monkeypatch):
    import digitpad.core.samples.store as store_module

    path = tmp_path / "s.sqlite"
    shutil.copy(FIXTURE_V1, path)
    before = rows_of(path)
    failing = (*store_module._MIGRATIONS[1], "SELECT no_such_function()")  # after the rebuild
    monkeypatch.setattr(store_module, "_MIGRATIONS", (store_module._MIGRATIONS[0], failing))
    with pytest.raises(SampleError, match=f"{path}: cannot open the samples database"):
        SampleStore(path)
    assert rows_of(path) == before and not list(tmp_path.glob("*damaged*"))
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        assert "samples_v2" not in tables and "kept" not in tables
    monkeypatch.undo()
    with SampleStore(path) as store:  # and the next opening migrates it
        assert [(s.id, s.label, s.held_out) for s in store.all()] == FIXTURE_V1_SAMPLES


FIXTURE_V2 = Path(__file__).resolve().parent / "samples_v2" / "samples-v2.sqlite"
# What make_store.py left in it: (id, label, held out); ids 2 and 6 deleted, and 12, the
# newest, too (schema 2 never gives it again).
FIXTURE_V2_SAMPLES = [
    (1, 4, False),
    (3, 2, False),
    (4, 4, True),
    (5, 2, False),
    (7, 4, False),
    (8, 5, True),  # a 2, relabelled
    (9, 9, False),
    (10, 1, False),  # an image opened from a file: no strokes
    (11, 0, False),
]
FIXTURE_V2_KEPT = [(0, 1), (1, 1), (2, 3), (4, 4), (7, 1), (9, 2)]


def tables_of(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table of the store, every column, to the byte."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return {
            "samples": db.execute(f"SELECT {COLUMNS} FROM samples ORDER BY id").fetchall(),
            "kept": db.execute("SELECT label, count FROM kept ORDER BY label").fetchall(),
            "sequence": db.execute("SELECT name, seq FROM sqlite_sequence").fetchall(),
        }


def test_a_store_written_by_schema_2_opens_migrated_and_keeps_everything(tmp_path):
    from digitpad.core.network import NOT_A_DIGIT

    path = tmp_path / "s.sqlite"
    shutil.copy(FIXTURE_V2, path)
    before = tables_of(path)
    assert [(row[0], row[1], bool(row[12])) for row in before["samples"]] == FIXTURE_V2_SAMPLES
    assert before["kept"] == FIXTURE_V2_KEPT and before["sequence"] == [("samples", 12)]
    with SampleStore(path) as store:
        assert store.recovered_from is None
        samples = store.all()
        assert [(s.id, s.label, s.held_out) for s in samples] == FIXTURE_V2_SAMPLES
        assert samples[0].model_name == "default" and samples[0].probabilities.argmax() == 4
    assert tables_of(path) == before  # every column of every row, the counts, the sequence
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with SampleStore(path) as store:
        # Not a digit, stored as a label of its own; ids go on above the newest deleted (12).
        new = [store.add(drawing(seed, NOT_A_DIGIT, predicted=NOT_A_DIGIT)) for seed in range(3)]
        assert new == [13, 14, 15]
        assert [store.get(i).held_out for i in new] == [False, False, True]  # its 3rd
        assert store.add(drawing(9, 4)) == 16 and not store.get(16).held_out  # the 5th 4
        assert store.counts() == [1, 1, 2, 0, 4, 1, 0, 0, 0, 1, 3]
        assert store.relabel(16, NOT_A_DIGIT) == 4 and store.get(16).label == NOT_A_DIGIT
        assert store.relabel(13, 2) == NOT_A_DIGIT
    after = tables_of(path)
    assert after["samples"][: len(before["samples"])] == before["samples"]


def test_a_migration_to_schema_3_that_fails_midway_leaves_the_store_as_it_was(
    tmp_path, monkeypatch
):
    import digitpad.core.samples.store as store_module

    path = tmp_path / "s.sqlite"
    shutil.copy(FIXTURE_V2, path)
    before = tables_of(path)
    *done, last = store_module._MIGRATIONS
    failing = (*last, "SELECT no_such_function()")  # after both tables were rebuilt
    monkeypatch.setattr(store_module, "_MIGRATIONS", (*done, failing))
    with pytest.raises(SampleError, match=f"{path}: cannot open the samples database"):
        SampleStore(path)
    assert tables_of(path) == before and not list(tmp_path.glob("*damaged*"))
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    monkeypatch.undo()
    with SampleStore(path) as store:
        assert [(s.id, s.label, s.held_out) for s in store.all()] == FIXTURE_V2_SAMPLES


def test_not_a_digit_samples_go_out_and_come_back_as_such(tmp_path):
    from digitpad.core.network import NOT_A_DIGIT
    from digitpad.core.samples import SampleFilter, export_idx, export_npz, read_export

    with SampleStore(tmp_path / "a.sqlite") as store:
        for seed, (label, predicted) in enumerate(
            [(NOT_A_DIGIT, 4), (3, 3), (NOT_A_DIGIT, NOT_A_DIGIT), (1, NOT_A_DIGIT)]
        ):
            store.add(drawing(seed, label, predicted=predicted))
        mine = [(s.label, s.predicted, s.digest, s.created) for s in store.all()]
        npz, count = export_npz(store, tmp_path / "all.npz")
        assert count == 4
        assert export_npz(store, tmp_path / "none.npz", SampleFilter(NOT_A_DIGIT))[1] == 2
        export_idx(store, tmp_path / "idx")
    with SampleStore(tmp_path / "b.sqlite") as other:
        assert other.add_many(read_export(npz)) == ([1, 2, 3, 4], 0)
        assert [(s.label, s.predicted, s.digest, s.created) for s in other.all()] == mine
        assert other.counts()[NOT_A_DIGIT] == 2
    with SampleStore(tmp_path / "c.sqlite") as other:
        other.add_many(read_export(tmp_path / "none.npz"))
        assert [s.label for s in other.all()] == [NOT_A_DIGIT, NOT_A_DIGIT]
    with SampleStore(tmp_path / "d.sqlite") as other:  # the inputs and labels alone
        other.add_many(read_export(tmp_path / "idx"))
        assert [s.label for s in other.all()] == [NOT_A_DIGIT, 3, NOT_A_DIGIT, 1]


def test_an_export_written_before_not_a_digit_still_imports(tmp_path):
    from digitpad.core.samples import read_export

    with SampleStore(tmp_path / "s.sqlite") as store:
        ids, skipped = store.add_many(read_export(FIXTURE_V2.with_suffix(".npz")))
        assert (len(ids), skipped) == (len(FIXTURE_V2_SAMPLES), 0)
        assert [s.label for s in store.all()] == [label for _, label, _ in FIXTURE_V2_SAMPLES]
    shutil.copy(FIXTURE_V2, tmp_path / "v2.sqlite")
    with SampleStore(tmp_path / "s.sqlite") as store, SampleStore(tmp_path / "v2.sqlite") as old:
        assert [(s.digest, s.label, s.predicted, s.created) for s in store.all()] == [
            (s.digest, s.label, s.predicted, s.created) for s in old.all()
        ]


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"labels": [11]}, "labels must be digits 0-9 or 10 \\(not a digit\\)"),
        ({"predicted": [11]}, "predicted must be digits 0-9 or 10 \\(not a digit\\), or -1"),
    ],
)
def test_a_label_beyond_not_a_digit_is_refused_on_import(tmp_path, arrays, message):
    from digitpad.core.samples import read_export

    sample = drawing(0)
    columns = {
        "inputs": sample.network_input[None],
        "labels": np.array([7]),
        "predicted": np.array([-1]),
    }
    columns.update((name, np.array(values)) for name, values in arrays.items())
    np.savez_compressed(tmp_path / "bad.npz", **columns)
    with pytest.raises(SampleError, match=message):
        read_export(tmp_path / "bad.npz")

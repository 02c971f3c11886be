"""Writing the samples out: an .npz with all of each sample, or MNIST-style IDX files."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from digitpad.core.atomic import atomic_file
from digitpad.core.preprocess import SIZE
from digitpad.core.samples.sample import SampleError
from digitpad.core.samples.store import SampleFilter, SampleStore
from digitpad.core.strokes import CANVAS_SIZE

IDX_IMAGES, IDX_LABELS = "samples-images-idx3-ubyte", "samples-labels-idx1-ubyte"
# Exports and imports move the large arrays (inputs, canvases, strokes) this many samples at
# a time, so their memory does not grow with the number of samples (a chunk of canvases is
# 5 MB as bytes; larger chunks were no faster).
CHUNK_SAMPLES = 64


def export_npz(
    store: SampleStore, path: Path, only: SampleFilter | None = None
) -> tuple[Path, int]:
    """Write the samples ``only`` takes (all by default) to ``path`` (.npz, compressed, no
    pickle, as ``np.savez_compressed`` writes), with all needed to import them back: (the
    path, how many). The large arrays go into the archive a chunk at a time; the file
    appears whole or not at all.

    Its arrays: the network inputs and labels (enough to train on), then what makes a
    sample whole again; each sample's strokes are JSON text, all of them one UTF-8 byte
    array (strokes_utf8) cut at ``strokes_offsets`` (N + 1)."""
    with store.snapshot():
        columns = store.export_columns(only)
        count = len(columns["labels"])
        offsets = columns["strokes_offsets"]
        with (
            atomic_file(path) as out,
            # Level 1, as in the database: deflating the canvases is most of an export's time.
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        ):
            _write_npy(
                archive,
                "inputs",
                "<f4",
                (count, SIZE, SIZE),
                store.export_chunks("network_input", CHUNK_SAMPLES, only),
            )
            _write_npy(archive, "labels", "<i8", (count,), [columns["labels"]])
            _write_npy(archive, "predicted", "<i8", (count,), [columns["predicted"]])
            _write_npy(
                archive,
                "canvas",
                np.uint8,
                (count, CANVAS_SIZE, CANVAS_SIZE),
                store.export_chunks("canvas", CHUNK_SAMPLES, only),
            )
            _write_npy(
                archive,
                "strokes_utf8",
                np.uint8,
                (int(offsets[-1]),),
                (b"".join(texts) for texts in store.export_chunks("strokes", CHUNK_SAMPLES, only)),
            )
            _write_npy(archive, "strokes_offsets", "<i8", (count + 1,), [offsets])
            _write_npy(archive, "created", "<U64", (count,), [columns["created"]])
    return path, count


def _write_npy(
    archive: zipfile.ZipFile,
    name: str,
    dtype: np.typing.DTypeLike,
    shape: tuple[int, ...],
    chunks: Iterable[np.ndarray | bytes],
) -> None:
    """One .npy member, its header first (as ``np.save`` writes it), then its data as it
    comes; SampleError if the data is not the size the header declared."""
    dtype = np.dtype(dtype)
    header = {
        "descr": np.lib.format.dtype_to_descr(dtype),
        "fortran_order": False,
        "shape": shape,
    }
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    written = 0
    # zip64 whatever the size: the size is not known to zipfile before the data is written.
    with archive.open(name + ".npy", "w", force_zip64=True) as member:
        np.lib.format.write_array_header_1_0(member, header)
        for chunk in chunks:
            if not isinstance(chunk, bytes):  # its bytes as they are, not a copy
                chunk = memoryview(np.ascontiguousarray(chunk, dtype)).cast("B")
            member.write(chunk)
            written += len(chunk)
    if written != expected:  # cannot happen in one snapshot of the database; never a short file
        raise SampleError(f"{name}: {written:,} bytes written where {expected:,} were declared")


def export_idx(
    store: SampleStore, folder: Path, only: SampleFilter | None = None
) -> tuple[tuple[Path, Path], int]:
    """Write the network inputs and labels of the samples ``only`` takes (all by default)
    as MNIST-style IDX files in ``folder``, the inputs a chunk at a time."""
    from digitpad.core.data import IMAGES_MAGIC, LABELS_MAGIC

    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / IDX_IMAGES, folder / IDX_LABELS
    with store.snapshot():
        labels = store.export_columns(only)["labels"].astype(np.uint8)
        count = len(labels)
        with atomic_file(paths[0]) as out:
            out.write(_idx_header(IMAGES_MAGIC, (count, SIZE, SIZE)))
            for inputs in store.export_chunks("network_input", CHUNK_SAMPLES, only):
                out.write(np.round(inputs * 255).astype(np.uint8).tobytes())
        with atomic_file(paths[1]) as out:
            out.write(_idx_header(LABELS_MAGIC, (count,)) + labels.tobytes())
    return paths, count


def _idx_header(magic: int, shape: tuple[int, ...]) -> bytes:
    return magic.to_bytes(4, "big") + b"".join(int(n).to_bytes(4, "big") for n in shape)

"""Reading an export back (.npz or IDX files): every header and small array checked before
a sample is made, the large arrays read a chunk at a time."""

from __future__ import annotations

import contextlib
import gzip
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from digitpad.core.network import NOT_A_DIGIT
from digitpad.core.preprocess import SIZE, fit_to_canvas
from digitpad.core.samples.export import CHUNK_SAMPLES, IDX_IMAGES, IDX_LABELS
from digitpad.core.samples.sample import MAX_POINTS, Sample, SampleError, strokes_from_json
from digitpad.core.strokes import CANVAS_SIZE

# An import holds at most this many samples (MNIST's 70,000 digits fit). It bounds what a
# hostile file can make us hold whole before the first sample is stored (labels, dates and
# stroke offsets, about 150 bytes a sample) and how long it keeps the database locked.
MAX_IMPORT_SAMPLES = 100_000
# Strokes are streamed too; these bound the JSON a file can make us parse: one drawing's is
# a few KB (MAX_POINTS points at most), all of them about 10 KB a sample of the largest import.
MAX_SAMPLE_STROKES_BYTES = 64 * MAX_POINTS
MAX_STROKES_BYTES = 1024 * 1024 * 1024
# What each array of an export may be: its dtype kinds, its largest size in values and its
# widest value in bytes (a date of a million characters would be 4 MB a sample).
_LIMITS = {
    "inputs": ("f", MAX_IMPORT_SAMPLES * SIZE * SIZE, 8),
    "labels": ("iu", MAX_IMPORT_SAMPLES, 8),
    "predicted": ("iu", MAX_IMPORT_SAMPLES, 8),
    "canvas": ("u", MAX_IMPORT_SAMPLES * CANVAS_SIZE * CANVAS_SIZE, 1),
    "strokes_utf8": ("u", MAX_STROKES_BYTES, 1),
    "strokes_offsets": ("iu", MAX_IMPORT_SAMPLES + 1, 8),
    "created": ("U", MAX_IMPORT_SAMPLES, 4 * 64),
}
# Read a chunk at a time while importing; the others are read whole and checked first.
_STREAMED = ("inputs", "canvas", "strokes_utf8")
_IDX_IMAGE_HEADER = 16  # magic, count, rows, columns: 4 bytes each


@dataclass(frozen=True, eq=False)
class ExportedSamples:
    """The samples of an export, ``len()`` of them, their headers and small arrays checked.

    Iterating reads the file again and builds each ``Sample`` as it goes, the large arrays
    a chunk at a time; a fault found there (an input out of range, strokes that are not
    JSON, data cut short) is a SampleError naming the file and the sample, raised before
    that sample is yielded, so ``SampleStore.add_many`` stores none of them."""

    path: Path
    labels: np.ndarray  # (N,) digits, or NOT_A_DIGIT
    predicted: np.ndarray | None  # (N,) digits or NOT_A_DIGIT, -1 for none
    created: np.ndarray | None  # (N,) str

    def __len__(self) -> int:
        return len(self.labels)

    def __iter__(self) -> Iterator[Sample]:
        for chunk in self._chunks():
            inputs = chunk.inputs.reshape(len(chunk.inputs), -1)
            good = (np.isfinite(inputs) & (inputs >= 0) & (inputs <= 1)).all(axis=1)
            if not good.all():
                first = chunk.start + int(np.argmin(good)) + 1
                raise SampleError(
                    f"{self.path}: sample {first}: inputs must be numbers from 0 to 1"
                )
            for offset in range(len(chunk.inputs)):
                yield self._sample(chunk, offset)

    def _sample(self, chunk: _Chunk, offset: int) -> Sample:
        index = chunk.start + offset
        network_input = chunk.inputs[offset].copy()  # not a view keeping the chunk alive
        try:
            if chunk.canvas is not None:
                canvas = chunk.canvas[offset].astype(np.float32) / 255
            else:  # an input without its drawing: shown as the input, enlarged
                canvas = np.round(fit_to_canvas(network_input) * 255) / 255
            strokes = ()
            if chunk.strokes is not None:
                strokes = strokes_from_json(chunk.strokes[offset].decode("utf-8"))
            predicted = -1 if self.predicted is None else int(self.predicted[index])
            return Sample(
                strokes=strokes,
                canvas=canvas,
                network_input=network_input,
                label=int(self.labels[index]),
                predicted=None if predicted < 0 else predicted,
                **({} if self.created is None else {"created": str(self.created[index])}),
            )
        except (SampleError, UnicodeDecodeError) as exc:
            raise SampleError(f"{self.path}: sample {index + 1}: {exc}") from exc

    def _chunks(self) -> Iterator[_Chunk]:
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class _Chunk:
    """Samples ``start`` (0-based) on: inputs (k, 28, 28) float32, canvas (k, 280, 280)
    uint8 or None, strokes k UTF-8 texts or None."""

    start: int
    inputs: np.ndarray
    canvas: np.ndarray | None
    strokes: list[bytes] | None


@dataclass(frozen=True)
class _Member:
    """A .npy member of an export whose header was checked: where its data starts in the
    member, and the archive's CRC and size of it (to notice a file changed since)."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    start: int
    crc: int
    file_size: int

    @property
    def row_bytes(self) -> int:
        return int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize


@dataclass(frozen=True, eq=False)
class _NpzSamples(ExportedSamples):
    members: Mapping[str, _Member] = field(default_factory=dict)  # those of _STREAMED held
    strokes_offsets: np.ndarray | None = None

    def _chunks(self) -> Iterator[_Chunk]:
        count = len(self)
        try:
            with zipfile.ZipFile(self.path) as archive, contextlib.ExitStack() as stack:
                streams = {
                    name: stack.enter_context(self._open(archive, member))
                    for name, member in self.members.items()
                }
                for start in range(0, count, CHUNK_SAMPLES):
                    stop = min(count, start + CHUNK_SAMPLES)
                    rows = {
                        name: self._read(streams[name], member, start, stop)
                        for name, member in self.members.items()
                        if name != "strokes_utf8"
                    }
                    strokes = None
                    if "strokes_utf8" in streams:
                        lengths = np.diff(self.strokes_offsets[start : stop + 1])
                        member = self.members["strokes_utf8"]
                        strokes = [
                            self._read_bytes(streams["strokes_utf8"], member, int(n), start + i)
                            for i, n in enumerate(lengths)
                        ]
                    yield _Chunk(
                        start,
                        rows["inputs"].astype(np.float32),
                        rows.get("canvas"),
                        strokes,
                    )
                for name, stream in streams.items():
                    if stream.read(1):  # also has zipfile check the CRC of the whole member
                        raise SampleError(f"{self.path}: {name} is longer than its header says")
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, KeyError) as exc:
            raise SampleError(f"{self.path}: no longer a readable samples export ({exc})") from exc

    @contextlib.contextmanager
    def _open(self, archive: zipfile.ZipFile, member: _Member) -> Iterator[IO[bytes]]:
        """The member, past its header, refused if it is not the one checked."""
        info = archive.getinfo(member.name + ".npy")
        if (info.CRC, info.file_size) != (member.crc, member.file_size):
            raise SampleError(f"{self.path}: changed since it was checked; import it again")
        with archive.open(info) as stream:
            stream.read(member.start)
            yield stream

    def _read(self, stream: IO[bytes], member: _Member, start: int, stop: int) -> np.ndarray:
        size = (stop - start) * member.row_bytes
        data = self._read_bytes(stream, member, size, start, member.row_bytes)
        return np.frombuffer(data, member.dtype).reshape(stop - start, *member.shape[1:])

    def _read_bytes(
        self, stream: IO[bytes], member: _Member, size: int, index: int, row_bytes: int = 0
    ) -> bytes:
        """``size`` bytes of the member, from sample ``index`` on (``row_bytes`` a sample)."""
        try:
            data = stream.read(size)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            raise SampleError(
                f"{self.path}: {member.name} is unreadable from sample {index + 1} on ({exc})"
            ) from exc
        if len(data) != size:
            first = index + (len(data) // row_bytes if row_bytes else 0)
            raise SampleError(f"{self.path}: {member.name} is cut short at sample {first + 1}")
        return data


@dataclass(frozen=True, eq=False)
class _IdxSamples(ExportedSamples):
    images: Path = Path()

    def _chunks(self) -> Iterator[_Chunk]:
        count = len(self)
        try:
            with _idx_stream(self.images) as stream:
                stream.read(_IDX_IMAGE_HEADER)
                for start in range(0, count, CHUNK_SAMPLES):
                    stop = min(count, start + CHUNK_SAMPLES)
                    size = (stop - start) * SIZE * SIZE
                    data = stream.read(size)
                    if len(data) != size:
                        raise SampleError(f"{self.images}: cut short at sample {start + 1}")
                    images = np.frombuffer(data, np.uint8).reshape(stop - start, SIZE, SIZE)
                    yield _Chunk(start, images.astype(np.float32) / 255, None, None)
        except (OSError, EOFError, zlib.error) as exc:
            raise SampleError(f"{self.images}: no longer readable ({exc})") from exc


def read_export(path: Path) -> ExportedSamples:
    """The samples of an exported .npz or a folder of ``export_idx``'s IDX files, to be
    iterated (or given to ``SampleStore.add_many``): every header, size and small array
    checked now, SampleError naming the file and the fault."""
    if path.is_dir():
        return _read_idx(path)
    return _read_npz(path)


def _read_idx(folder: Path) -> _IdxSamples:
    from digitpad.core.data import IMAGES_MAGIC, DatasetError, read_labels

    images = _idx_file(folder, IDX_IMAGES)
    try:
        labels = read_labels(_idx_file(folder, IDX_LABELS), most=NOT_A_DIGIT)
    except DatasetError as exc:
        raise SampleError(str(exc)) from exc
    try:
        with _idx_stream(images) as stream:
            header = stream.read(_IDX_IMAGE_HEADER)
            dims = [int.from_bytes(header[i : i + 4], "big") for i in range(0, len(header), 4)]
            if len(dims) != 4 or dims[0] != IMAGES_MAGIC or dims[2:] != [SIZE, SIZE]:
                raise SampleError(f"{images}: not an IDX file of 28x28 images (header {dims})")
            count = dims[1]
            if count != len(labels):
                raise SampleError(f"{folder}: {count:,} images but {len(labels):,} labels")
            if count > MAX_IMPORT_SAMPLES:
                raise SampleError(
                    f"{folder}: {count:,} samples; an import takes at most {MAX_IMPORT_SAMPLES:,}"
                )
            # All of the data must be there: a file cut short is refused now, not midway.
            left = count * SIZE * SIZE
            while left > 0 and (block := stream.read(min(left, 1024 * 1024))):
                left -= len(block)
            if left or stream.read(1):
                raise SampleError(f"{images}: its header declares {count:,} images, its data not")
    except (OSError, EOFError, zlib.error) as exc:
        raise SampleError(f"{images}: not a readable IDX file ({exc})") from exc
    return _IdxSamples(folder, labels, None, None, images=images)


@contextlib.contextmanager
def _idx_stream(path: Path) -> Iterator[IO[bytes]]:
    """The IDX file's bytes, decompressed as they are read if it is gzipped."""
    with open(path, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
        handle.seek(0)
        if not gzipped:
            yield handle
            return
        with gzip.GzipFile(fileobj=handle) as inflating:
            yield inflating


def _idx_file(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise SampleError(f"{folder}: holds no {stem} (the IDX files an export writes)")


def _read_npz(path: Path) -> _NpzSamples:
    """The export's arrays: each header checked before its data, the small ones read whole
    and checked against the sample count; the large ones are read by iterating."""
    members: dict[str, _Member] = {}
    small: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            infos = {info.filename: info for info in archive.infolist()}
            for name, limits in _LIMITS.items():
                info = infos.get(name + ".npy")
                if info is None:
                    continue
                with archive.open(info) as stream:
                    member = _read_header(path, name, stream, info, *limits)
                    if name in _STREAMED:
                        members[name] = member
                    else:
                        small[name] = _read_data(path, member, stream)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as exc:
        raise SampleError(f"{path}: not a readable samples export ({exc})") from exc
    missing = {"inputs", "labels"} - {*members, *small}
    if missing:
        raise SampleError(f"{path}: not a samples export (no {', '.join(sorted(missing))} array)")
    labels = small["labels"]
    if labels.ndim != 1:
        raise SampleError(f"{path}: labels must be a list of at most {MAX_IMPORT_SAMPLES:,}")
    count = len(labels)
    expected = {
        "inputs": (count, SIZE, SIZE),
        "predicted": (count,),
        "canvas": (count, CANVAS_SIZE, CANVAS_SIZE),
        "strokes_offsets": (count + 1,),
        "created": (count,),
    }
    shapes = {name: member.shape for name, member in members.items()}
    shapes.update((name, array.shape) for name, array in small.items())
    for name, shape in expected.items():
        if name in shapes and shapes[name] != shape:
            raise SampleError(
                f"{path}: {name} has shape {shapes[name]}; {count} samples need {shape}"
            )
    if count and (labels.min() < 0 or labels.max() > NOT_A_DIGIT):
        raise SampleError(f"{path}: labels must be digits 0-9 or {NOT_A_DIGIT} (not a digit)")
    predicted = small.get("predicted")
    if count and predicted is not None and (predicted.min() < -1 or predicted.max() > NOT_A_DIGIT):
        raise SampleError(
            f"{path}: predicted must be digits 0-9 or {NOT_A_DIGIT} (not a digit), or -1 for none"
        )
    offsets = small.get("strokes_offsets")
    if ("strokes_utf8" in members) != (offsets is not None):
        raise SampleError(f"{path}: strokes_utf8 and strokes_offsets go together")
    if offsets is not None:
        if len(shapes["strokes_utf8"]) != 1:
            raise SampleError(f"{path}: strokes_utf8 must be a list of bytes")
        lengths = np.diff(offsets.astype(np.int64))
        if offsets[0] != 0 or offsets[-1] != shapes["strokes_utf8"][0] or (lengths < 0).any():
            raise SampleError(f"{path}: strokes_offsets do not cut strokes_utf8 into samples")
        if count and lengths.max() > MAX_SAMPLE_STROKES_BYTES:
            index = int(np.argmax(lengths))
            raise SampleError(
                f"{path}: sample {index + 1}: its strokes are {lengths[index]:,} bytes; a drawing "
                f"has at most {MAX_SAMPLE_STROKES_BYTES:,}"
            )
    return _NpzSamples(
        path,
        labels,
        predicted,
        small.get("created"),
        members=members,
        strokes_offsets=None if offsets is None else offsets.astype(np.int64),
    )


def _read_header(
    path: Path,
    name: str,
    stream: IO[bytes],
    info: zipfile.ZipInfo,
    kinds: str,
    most: int,
    widest: int,
) -> _Member:
    """A member's .npy header, checked against its limits and against the size the archive
    gives it, before any of its data is read."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise SampleError(f"{path}: {name} is in an unknown .npy version {version}")
    if dtype.hasobject or dtype.kind not in kinds or fortran or dtype.itemsize > widest:
        raise SampleError(f"{path}: {name} holds {dtype}, not the numbers an export holds")
    if any(n < 0 for n in shape):
        raise SampleError(f"{path}: {name} has a negative size {shape}")
    values = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if values > most:
        raise SampleError(f"{path}: {name} holds {values:,} values; an export has at most {most:,}")
    start = stream.tell()
    if info.file_size != start + values * dtype.itemsize:
        raise SampleError(f"{path}: {name} is cut short or too long")
    return _Member(name, tuple(shape), dtype, start, info.CRC, info.file_size)


def _read_data(path: Path, member: _Member, stream: IO[bytes]) -> np.ndarray:
    size = member.file_size - member.start
    data = stream.read(size + 1)
    if len(data) != size:  # the archive's sizes lie
        raise SampleError(f"{path}: {member.name} is cut short or too long")
    return np.frombuffer(data, dtype=member.dtype).reshape(member.shape)

"""The user's own digits: each drawing they confirmed or corrected, kept safely in SQLite.

A sample holds what is needed to learn from it and to show it again: the strokes (so it
reopens on the canvas stroke by stroke), the canvas image, the network's 28x28 input, the
true label, what the model said and which model said it, and when.

Durability: WAL journal with ``synchronous=FULL``, one transaction per change, so a
sample ``add`` returned is on disk whatever happens to the process next. A database that
SQLite finds damaged on opening is moved aside under a timestamped name (never deleted) and
a fresh one is started; ``SampleStore.recovered_from`` says where it went. Any other file
(a folder, another program's database, a locked one) is refused and left alone.

Which samples are held out to score a fine-tune is decided once, when a sample is stored:
the 3rd, 8th, 13th... sample of each digit (one in five, stratified by digit), recorded
with it so it never changes side.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import sqlite3
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import numpy as np

from digitpad.core.atomic import atomic_file
from digitpad.core.preprocess import SIZE, fit_to_canvas
from digitpad.core.strokes import CANVAS_SIZE, Stroke

SCHEMA_VERSION = 1
FILE_NAME = "samples.sqlite"
APPLICATION_ID = 0x64706164  # "dpad": marks the file as digitpad's samples database
# A drawing is a few hundred points; a stroke list this long is not one.
MAX_POINTS = 100_000
BUSY_TIMEOUT_S = 10.0

_SCHEMA = (
    """CREATE TABLE samples (
        id INTEGER PRIMARY KEY,
        label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
        predicted INTEGER CHECK (predicted BETWEEN 0 AND 9),
        probabilities BLOB,
        strokes TEXT NOT NULL,
        canvas BLOB NOT NULL,
        network_input BLOB NOT NULL,
        model_name TEXT NOT NULL DEFAULT '',
        model_sha256 TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL,
        digest TEXT NOT NULL UNIQUE,
        input_digest TEXT NOT NULL,
        held_out INTEGER NOT NULL DEFAULT 0 CHECK (held_out IN (0, 1))
    )""",
    "CREATE INDEX samples_by_input ON samples (input_digest)",
    "CREATE INDEX samples_by_label ON samples (label)",
)
# Each entry takes the schema from its index's version to the next one.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (_SCHEMA,)


class SampleError(Exception):
    """A sample that cannot be stored or a store that cannot be used; the message says
    which value or file is at fault."""


class AlreadyStored(SampleError):
    """The drawing is stored already (under some label): nothing is wrong, nothing kept."""


@dataclass(frozen=True, eq=False)
class Sample:
    """One labelled drawing.

    ``strokes`` in canvas pixels (empty for an image opened from a file); ``canvas``
    (280, 280) float32 in [0, 1], ink white; ``network_input`` (28, 28) float32;
    ``probabilities`` (10,) or None when no model was loaded. Equality is identity."""

    strokes: tuple[Stroke, ...]
    canvas: np.ndarray
    network_input: np.ndarray
    label: int
    predicted: int | None = None
    probabilities: np.ndarray | None = None
    model_name: str = ""
    model_sha256: str = ""
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    id: int | None = None
    held_out: bool | None = None  # decided when it is stored (None: not stored yet)

    def __post_init__(self) -> None:
        check_label(self.label)
        if self.predicted is not None:
            check_label(self.predicted, "predicted digit")
        if sum(len(stroke.points) for stroke in self.strokes) > MAX_POINTS:
            raise SampleError(f"a drawing of more than {MAX_POINTS:,} points is no digit")
        canvas = np.asarray(self.canvas, dtype=np.float32)
        if canvas.shape != (CANVAS_SIZE, CANVAS_SIZE):
            raise SampleError(f"the canvas image must be 280x280, got {canvas.shape}")
        network_input = np.asarray(self.network_input, dtype=np.float32)
        if network_input.shape != (SIZE, SIZE):
            raise SampleError(f"the network input must be 28x28, got {network_input.shape}")
        if not network_input.any():
            raise SampleError("an empty drawing is no sample: draw a digit first")
        object.__setattr__(self, "canvas", canvas)
        object.__setattr__(self, "network_input", network_input)
        if self.probabilities is not None:
            probabilities = np.asarray(self.probabilities, dtype=np.float32)
            if probabilities.shape != (10,):
                raise SampleError(f"probabilities must be 10 numbers, got {probabilities.shape}")
            object.__setattr__(self, "probabilities", probabilities)

    @property
    def misread(self) -> bool:
        """The model's answer was not the digit the user meant."""
        return self.predicted is not None and self.predicted != self.label

    @property
    def digest(self) -> str:
        """What makes two samples the same drawing, the label aside (so one drawing cannot
        be stored under two labels): its strokes, or for an image without strokes (an
        opened file) its canvas pixels."""
        if self.strokes:
            return hashlib.sha256(strokes_to_json(self.strokes).encode()).hexdigest()
        pixels = np.round(self.canvas * 255).astype(np.uint8)
        return hashlib.sha256(b"canvas:" + pixels.tobytes()).hexdigest()

    @property
    def input_digest(self) -> str:
        """The network input to 1/255: the same digit even without its strokes (an IDX
        export imported back) is the same sample."""
        return input_digest(self.network_input)


def input_digest(network_input: np.ndarray) -> str:
    pixels = np.round(np.asarray(network_input, dtype=np.float32) * 255).astype(np.uint8)
    return hashlib.sha256(b"input:" + pixels.tobytes()).hexdigest()


def check_label(value: object, what: str = "label") -> int:
    """A digit 0-9, or SampleError naming the value."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value <= 9:
        raise SampleError(f"{what} must be a digit from 0 to 9, got {value!r}")
    return int(value)


def strokes_to_json(strokes: Sequence[Stroke]) -> str:
    """The strokes as compact JSON: points rounded to 1/100 px, which the canvas never
    resolves finer (and which makes the digest of one drawing stable)."""
    return json.dumps(
        [
            {
                "points": np.round(stroke.points, 2).tolist(),
                "width": round(float(stroke.width), 2),
                "erase": bool(stroke.erase),
            }
            for stroke in strokes
        ],
        separators=(",", ":"),
    )


def strokes_from_json(text: str) -> tuple[Stroke, ...]:
    """The inverse of ``strokes_to_json``; SampleError for anything else."""
    try:
        data = json.loads(text)
        if not isinstance(data, list):
            raise TypeError("not a list")
        strokes = tuple(
            Stroke(
                np.asarray(item["points"], dtype=np.float64),
                float(item["width"]),
                bool(item.get("erase", False)),
            )
            for item in data
        )
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise SampleError(f"stored strokes are unreadable ({exc})") from exc
    return strokes


def _pack(array: np.ndarray, dtype: type) -> bytes:
    # Level 1: a canvas compresses 4x faster than at 6 for 20 % more bytes (4.5 KB, not
    # 3.8), which is most of the time an import of thousands of samples takes.
    return zlib.compress(np.ascontiguousarray(array, dtype=dtype).tobytes(), 1)


def _unpack(blob: bytes, dtype: type, shape: tuple[int, ...]) -> np.ndarray:
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    try:
        raw = zlib.decompressobj().decompress(blob, size + 1)
    except zlib.error as exc:
        raise SampleError(f"a stored array is corrupt ({exc})") from exc
    if len(raw) != size:
        raise SampleError(f"a stored array has {len(raw)} bytes, expected {size}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


@dataclass(frozen=True)
class Summary:
    """A stored sample as lists show it: without the strokes and the canvas."""

    id: int
    label: int
    predicted: int | None
    network_input: np.ndarray  # (28, 28) float32
    created: str

    @property
    def misread(self) -> bool:
        return self.predicted is not None and self.predicted != self.label


def default_path() -> Path:
    from digitpad.core.data import user_data_dir

    return user_data_dir() / FILE_NAME


class SampleStore:
    """The samples database at ``path``: created with its folder when missing (unless
    ``create`` is False, for commands that only read), refused with a SampleError when it
    is something else."""

    def __init__(self, path: Path | None = None, create: bool = True) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.recovered_from: Path | None = None
        if self.path.is_dir():
            raise SampleError(f"{self.path}: a folder, not a samples database")
        if not self.path.exists():
            if not create:
                raise SampleError(f"{self.path}: no samples database there")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SampleError(
                    f"cannot create the folder for samples {self.path.parent} "
                    f"({exc.strerror or exc})"
                ) from exc
        try:
            self._db = self._open_checked()
        except _Damaged as exc:
            self.recovered_from = self._move_aside(str(exc))
            try:
                self._db = self._open_checked()
            except (sqlite3.Error, _Damaged) as again:
                raise SampleError(
                    f"{self.path}: cannot start a samples database ({again})"
                ) from exc
        except sqlite3.Error as exc:  # locked, unreadable, read-only, not ours...
            raise SampleError(f"{self.path}: cannot open the samples database ({exc})") from exc

    # -- opening -------------------------------------------------------------------------

    def _open_checked(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            try:
                application = db.execute("PRAGMA application_id").fetchone()[0]
                version = db.execute("PRAGMA user_version").fetchone()[0]
                tables = db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
            except sqlite3.DatabaseError as exc:
                if _is_damage(exc):
                    raise _Damaged(str(exc)) from exc
                raise
            if application not in (0, APPLICATION_ID) or (
                application == 0 and (version != 0 or tables)
            ):
                raise SampleError(
                    f"{self.path}: another program's database, not digitpad's samples; "
                    "left as it is"
                )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            problems = [row[0] for row in db.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise _Damaged("; ".join(str(p) for p in problems[:3]))
            self._migrate(db)
        except sqlite3.DatabaseError as exc:
            db.close()
            if _is_damage(exc):
                raise _Damaged(str(exc)) from exc
            raise
        except BaseException:
            db.close()
            raise
        return db

    def _migrate(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise SampleError(
                f"{self.path}: written by a newer digitpad (samples schema {version}, this one "
                f"reads up to {SCHEMA_VERSION}); update digitpad"
            )
        if version == SCHEMA_VERSION:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated it while we waited for the lock.
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for steps in _MIGRATIONS[version:]:
                for statement in steps:
                    db.execute(statement)
            db.execute(f"PRAGMA application_id={APPLICATION_ID}")
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            raise

    def _move_aside(self, why: str) -> Path:
        """Rename the damaged database (and its WAL files) out of the way; its new name."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.stem}-damaged-{stamp}{self.path.suffix}")
        count = 1
        while target.exists():
            count += 1
            target = self.path.with_name(
                f"{self.path.stem}-damaged-{stamp}-{count}{self.path.suffix}"
            )
        try:
            self.path.rename(target)
            for extra in ("-wal", "-shm"):
                companion = self.path.with_name(self.path.name + extra)
                if companion.exists():
                    companion.rename(target.with_name(target.name + extra))
        except OSError as exc:
            raise SampleError(
                f"{self.path} is damaged ({why}) and cannot be moved aside ({exc.strerror or exc})"
            ) from exc
        return target

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SampleStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """SQLite's failures while reading, as a SampleError naming the file."""
        try:
            yield self._db
        except sqlite3.Error as exc:
            raise SampleError(f"{self.path}: cannot read ({exc})") from exc

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction: all of it is written, or none (SampleError saying why)."""
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):  # a full disk, a lock held too long...
                raise SampleError(f"{self.path}: cannot write ({exc})") from exc
            raise

    # -- changes -------------------------------------------------------------------------

    def _insert(self, db: sqlite3.Connection, sample: Sample, counts: dict[int, int]) -> int | None:
        """Insert in an open transaction; None when the drawing is already stored.
        ``counts``: how many of each digit are stored, kept up to date by this transaction's
        inserts (counted once per digit: counting before each insert made an import of N
        samples take time in N squared)."""
        known = db.execute(
            "SELECT id FROM samples WHERE digest = ? OR input_digest = ?",
            (sample.digest, sample.input_digest),
        ).fetchone()
        if known is not None:
            return None
        sample_id = sample.id
        if (
            sample_id is not None
            and db.execute("SELECT 1 FROM samples WHERE id = ?", (sample_id,)).fetchone()
        ):
            sample_id = None
        if sample.label not in counts:
            counts[sample.label] = db.execute(
                "SELECT COUNT(*) FROM samples WHERE label = ?", (sample.label,)
            ).fetchone()[0]
        held = sample.held_out
        if held is None:  # the 3rd, 8th, 13th... of its digit
            held = counts[sample.label] % HELD_OUT_EVERY == HELD_OUT_EVERY // 2
        cursor = db.execute(
            "INSERT INTO samples (id, label, predicted, probabilities, strokes, canvas, "
            "network_input, model_name, model_sha256, created, digest, input_digest, held_out) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sample_id, *_columns(sample), int(held)),
        )
        counts[sample.label] += 1
        return int(cursor.lastrowid)

    def add(self, sample: Sample) -> int:
        """Store ``sample`` (under its id when it has one that is free); its id. On return
        it is on disk. AlreadyStored for a drawing already stored (under any label)."""
        with self._transaction() as db:
            sample_id = self._insert(db, sample, {})
            if sample_id is None:
                known = db.execute(
                    "SELECT id, label FROM samples WHERE digest = ? OR input_digest = ?",
                    (sample.digest, sample.input_digest),
                ).fetchone()
                raise AlreadyStored(
                    f"this drawing is already stored (sample {known[0]}, labelled {known[1]})"
                )
            return sample_id

    def add_many(self, samples: Iterable[Sample]) -> tuple[list[int], int]:
        """Store several samples in one transaction (all or none), skipping drawings
        already stored or repeated among them: (the new ids, how many were skipped).

        ``samples`` may be any iterable, read once (an import's, read from its file as it
        goes): an exception it raises midway rolls back what was stored before."""
        ids: list[int] = []
        seen = 0
        counts: dict[int, int] = {}
        with self._transaction() as db:
            for sample in samples:
                seen += 1
                sample_id = self._insert(db, sample, counts)
                if sample_id is not None:
                    ids.append(sample_id)
        return ids, seen - len(ids)

    def relabel(self, sample_id: int, label: int) -> int:
        """Give a sample another label; the label it had."""
        return self.relabel_many({sample_id: label})[sample_id]

    def relabel_many(self, labels: Mapping[int, int], missing_ok: bool = False) -> dict[int, int]:
        """Give each sample id its label in one transaction (all or none); the labels they
        had, so the same call with those undoes it. An id no longer stored is a SampleError,
        or passed over with ``missing_ok`` (an undo of samples deleted since)."""
        labels = {int(sample_id): check_label(label) for sample_id, label in labels.items()}
        old: dict[int, int] = {}
        with self._transaction() as db:
            for sample_id, label in labels.items():
                row = db.execute("SELECT label FROM samples WHERE id = ?", (sample_id,)).fetchone()
                if row is None and missing_ok:
                    continue
                if row is None:
                    raise SampleError(f"there is no sample {sample_id}")
                old[sample_id] = int(row[0])
                db.execute("UPDATE samples SET label = ? WHERE id = ?", (label, sample_id))
        return old

    def delete_many(self, ids: Sequence[int]) -> list[Sample]:
        """Remove samples in one transaction (all or none); they are returned whole, so
        ``add_many`` can put them back (undo), under their ids and on their side."""
        removed = [self.get(sample_id) for sample_id in ids]
        with self._transaction() as db:
            for sample in removed:
                db.execute("DELETE FROM samples WHERE id = ?", (sample.id,))
        return removed

    def delete(self, sample_id: int) -> Sample:
        return self.delete_many([sample_id])[0]

    # -- reading -------------------------------------------------------------------------

    def count(self) -> int:
        with self._reading() as db:
            return int(db.execute("SELECT COUNT(*) FROM samples").fetchone()[0])

    def counts(self) -> list[int]:
        """How many samples of each digit."""
        totals = [0] * 10
        with self._reading() as db:
            for label, count in db.execute("SELECT label, COUNT(*) FROM samples GROUP BY label"):
                totals[label] = count
        return totals

    def summaries(self, label: int | None = None, misread_only: bool = False) -> list[Summary]:
        """The samples, oldest first, optionally of one label or only those misread."""
        query = "SELECT id, label, predicted, network_input, created FROM samples"
        conditions, values = [], []
        if label is not None:
            conditions.append("label = ?")
            values.append(check_label(label))
        if misread_only:
            conditions.append("predicted IS NOT NULL AND predicted != label")
        if conditions:
            query += " WHERE " + " AND ".join(conditions)
        with self._reading() as db:
            rows = db.execute(query + " ORDER BY id", values).fetchall()
        return [
            Summary(row[0], row[1], row[2], _unpack(row[3], "<f4", (SIZE, SIZE)), row[4])
            for row in rows
        ]

    def get(self, sample_id: int) -> Sample:
        with self._reading() as db:
            row = db.execute(
                "SELECT id, label, predicted, probabilities, strokes, canvas, network_input, "
                "model_name, model_sha256, created, held_out FROM samples WHERE id = ?",
                (sample_id,),
            ).fetchone()
        if row is None:
            raise SampleError(f"there is no sample {sample_id}")
        probabilities = None if row[3] is None else np.frombuffer(row[3], "<f4").copy()
        return Sample(
            strokes=strokes_from_json(row[4]),
            canvas=_unpack(row[5], np.uint8, (CANVAS_SIZE, CANVAS_SIZE)).astype(np.float32) / 255,
            network_input=_unpack(row[6], "<f4", (SIZE, SIZE)),
            label=row[1],
            predicted=row[2],
            probabilities=probabilities,
            model_name=row[7],
            model_sha256=row[8],
            created=row[9],
            id=row[0],
            held_out=bool(row[10]),
        )

    def all(self) -> list[Sample]:
        """Every sample, whole, oldest first."""
        with self._reading() as db:
            ids = [row[0] for row in db.execute("SELECT id FROM samples ORDER BY id")]
        return [self.get(sample_id) for sample_id in ids]

    def training_set(self) -> PersonalSet:
        """Every sample's network input and label, and which are held out."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT id, network_input, label, held_out FROM samples ORDER BY id"
            ).fetchall()
        return PersonalSet(
            np.array([row[0] for row in rows], dtype=np.int64),
            np.stack([_unpack(row[1], "<f4", (SIZE, SIZE)) for row in rows])
            if rows
            else np.zeros((0, SIZE, SIZE), np.float32),
            np.array([row[2] for row in rows], dtype=np.int64),
            np.array([bool(row[3]) for row in rows], dtype=bool),
        )

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read inside sees the samples as they were on entry (one read transaction),
        so the several passes of an export agree though another process adds meanwhile."""
        with self._reading() as db:
            db.execute("BEGIN DEFERRED")
            try:
                yield
            finally:
                if db.in_transaction:
                    db.execute("COMMIT")

    def export_columns(self) -> dict[str, np.ndarray]:
        """The small arrays of an export, oldest sample first: labels, predicted (-1 for
        none), created, and strokes_offsets (N + 1: where each sample's strokes, UTF-8 JSON,
        start and end in strokes_utf8)."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT label, predicted, created, length(CAST(strokes AS BLOB)) FROM samples "
                "ORDER BY id"
            ).fetchall()
        return {
            "labels": np.array([row[0] for row in rows], dtype=np.int64),
            "predicted": np.array([-1 if row[1] is None else row[1] for row in rows], np.int64),
            "created": np.array([row[2] for row in rows], dtype="U64"),
            "strokes_offsets": np.cumsum([0, *(row[3] for row in rows)]).astype(np.int64),
        }

    def export_chunks(self, column: str, size: int) -> Iterator[np.ndarray | list[bytes]]:
        """One large column of every sample, oldest first, ``size`` samples at a time:
        "network_input" (k, 28, 28) float32, "canvas" (k, 280, 280) uint8, or "strokes"
        (k UTF-8 JSON texts), so an export never holds all of them."""
        arrays = {"network_input": ("<f4", (SIZE, SIZE)), "canvas": (np.uint8, (CANVAS_SIZE,) * 2)}
        with self._reading() as db:
            cursor = db.execute(f"SELECT {column} FROM samples ORDER BY id")
            while rows := cursor.fetchmany(size):
                if column == "strokes":
                    yield [row[0].encode() for row in rows]
                    continue
                dtype, shape = arrays[column]
                chunk = np.empty((len(rows), *shape), dtype)
                for index, row in enumerate(rows):
                    chunk[index] = _unpack(row[0], dtype, shape)
                yield chunk


class _Damaged(Exception):
    """The file is a database SQLite finds damaged (or not a database at all)."""


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


# One sample in five is held out to measure what teaching did: of each digit the 3rd, 8th,
# 13th... kept (so one of each digit kept three times or more).
HELD_OUT_EVERY = 5


@dataclass(frozen=True, eq=False)
class PersonalSet:
    """The user's samples as training data: ids (N,), inputs (N, 28, 28) float32, labels
    (N,), and held_out (N,) bool: the ones kept out of training to score it on."""

    ids: np.ndarray
    inputs: np.ndarray
    labels: np.ndarray
    held_out: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def _columns(sample: Sample) -> tuple:
    """A sample's values in the order of the table's columns after ``id``."""
    probabilities = sample.probabilities
    return (
        sample.label,
        sample.predicted,
        None if probabilities is None else probabilities.astype("<f4").tobytes(),
        strokes_to_json(sample.strokes),
        _pack(np.round(sample.canvas * 255), np.uint8),
        _pack(sample.network_input, "<f4"),
        sample.model_name,
        sample.model_sha256,
        sample.created,
        sample.digest,
        sample.input_digest,
    )


# -- export and import ---------------------------------------------------------------------

# Arrays of an exported .npz: the network inputs and labels (enough to train on), then what
# makes a sample whole again. Each sample's strokes are JSON text, all of them one UTF-8
# byte array cut at ``strokes_offsets`` (N + 1).
EXPORT_ARRAYS = (
    "inputs",
    "labels",
    "predicted",
    "canvas",
    "strokes_utf8",
    "strokes_offsets",
    "created",
)
IDX_IMAGES, IDX_LABELS = "samples-images-idx3-ubyte", "samples-labels-idx1-ubyte"
# Exports and imports move the large arrays (inputs, canvases, strokes) this many samples at
# a time, so their memory does not grow with the number of samples (a chunk of canvases is
# 5 MB as bytes; larger chunks were no faster).
CHUNK_SAMPLES = 64
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


def export_npz(store: SampleStore, path: Path) -> tuple[Path, int]:
    """Write every sample to ``path`` (.npz, compressed, no pickle, as ``np.savez_compressed``
    writes), with all needed to import them back: (the path, how many). The large arrays go
    into the archive a chunk at a time; the file appears whole or not at all."""
    with store.snapshot():
        columns = store.export_columns()
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
                store.export_chunks("network_input", CHUNK_SAMPLES),
            )
            _write_npy(archive, "labels", "<i8", (count,), [columns["labels"]])
            _write_npy(archive, "predicted", "<i8", (count,), [columns["predicted"]])
            _write_npy(
                archive,
                "canvas",
                np.uint8,
                (count, CANVAS_SIZE, CANVAS_SIZE),
                store.export_chunks("canvas", CHUNK_SAMPLES),
            )
            _write_npy(
                archive,
                "strokes_utf8",
                np.uint8,
                (int(offsets[-1]),),
                (b"".join(texts) for texts in store.export_chunks("strokes", CHUNK_SAMPLES)),
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


def export_idx(store: SampleStore, folder: Path) -> tuple[tuple[Path, Path], int]:
    """Write the network inputs and labels as MNIST-style IDX files in ``folder``, the
    inputs a chunk at a time."""
    from digitpad.core.data import IMAGES_MAGIC, LABELS_MAGIC

    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / IDX_IMAGES, folder / IDX_LABELS
    with store.snapshot():
        labels = store.export_columns()["labels"].astype(np.uint8)
        count = len(labels)
        with atomic_file(paths[0]) as out:
            out.write(_idx_header(IMAGES_MAGIC, (count, SIZE, SIZE)))
            for inputs in store.export_chunks("network_input", CHUNK_SAMPLES):
                out.write(np.round(inputs * 255).astype(np.uint8).tobytes())
        with atomic_file(paths[1]) as out:
            out.write(_idx_header(LABELS_MAGIC, (count,)) + labels.tobytes())
    return paths, count


def _idx_header(magic: int, shape: tuple[int, ...]) -> bytes:
    return magic.to_bytes(4, "big") + b"".join(int(n).to_bytes(4, "big") for n in shape)


@dataclass(frozen=True, eq=False)
class ExportedSamples:
    """The samples of an export, ``len()`` of them, their headers and small arrays checked.

    Iterating reads the file again and builds each ``Sample`` as it goes, the large arrays
    a chunk at a time; a fault found there (an input out of range, strokes that are not
    JSON, data cut short) is a SampleError naming the file and the sample, raised before
    that sample is yielded, so ``SampleStore.add_many`` stores none of them."""

    path: Path
    labels: np.ndarray  # (N,) digits
    predicted: np.ndarray | None  # (N,) digits, -1 for none
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
        labels = read_labels(_idx_file(folder, IDX_LABELS))
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
    if count and (labels.min() < 0 or labels.max() > 9):
        raise SampleError(f"{path}: labels must be digits 0-9")
    predicted = small.get("predicted")
    if count and predicted is not None and (predicted.min() < -1 or predicted.max() > 9):
        raise SampleError(f"{path}: predicted must be digits 0-9 (or -1 for none)")
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

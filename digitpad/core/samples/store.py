"""The samples database: each drawing the user confirmed or corrected, kept safely in SQLite,
and which of them are held out to score what teaching did."""

from __future__ import annotations

import contextlib
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from digitpad.core.network import NOT_A_DIGIT
from digitpad.core.preprocess import SIZE
from digitpad.core.samples.sample import (
    AlreadyStored,
    Sample,
    SampleError,
    check_label,
    label_text,
    strokes_from_json,
    strokes_to_json,
)
from digitpad.core.strokes import CANVAS_SIZE

SCHEMA_VERSION = 3
FILE_NAME = "samples.sqlite"
APPLICATION_ID = 0x64706164  # "dpad": marks the file as digitpad's samples database
BUSY_TIMEOUT_S = 10.0


def _sample_columns(top: int) -> str:
    """The samples table's columns after ``id``, its labels 0 to ``top``: 9 before schema 3,
    ``NOT_A_DIGIT`` since."""
    return f"""
        label INTEGER NOT NULL CHECK (label BETWEEN 0 AND {top}),
        predicted INTEGER CHECK (predicted BETWEEN 0 AND {top}),
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
    )"""


def _kept_table(name: str, top: int) -> str:
    return f"""CREATE TABLE {name} (
        label INTEGER PRIMARY KEY CHECK (label BETWEEN 0 AND {top}),
        count INTEGER NOT NULL CHECK (count >= 0)
    )"""


_COLUMN_NAMES = (
    "id, label, predicted, probabilities, strokes, canvas, network_input, model_name, "
    "model_sha256, created, digest, input_digest, held_out"
)
_INDEXES = (
    "CREATE INDEX samples_by_input ON samples (input_digest)",
    "CREATE INDEX samples_by_label ON samples (label)",
)
# Schema 1: ids were SQLite's rowids, so a new sample took the id of the newest one deleted,
# and an undo holding that id (My Samples') changed the new sample instead.
_SCHEMA_1 = (
    "CREATE TABLE samples (id INTEGER PRIMARY KEY," + _sample_columns(9),
    *_INDEXES,
)
# Schema 2: ids are never reused (AUTOINCREMENT), and ``kept`` counts the samples ever kept
# of each digit, which decides the held-out ones (counting those stored now, deletions
# shifted it). The table is rebuilt with every row as it was; SQLite's sequence starts
# above the highest id stored (a schema 1 file does not record higher ones deleted since),
# and each digit's count at the samples of it stored, which is what schema 1 counted next.
_SCHEMA_2 = (
    "CREATE TABLE samples_v2 (id INTEGER PRIMARY KEY AUTOINCREMENT," + _sample_columns(9),
    f"INSERT INTO samples_v2 ({_COLUMN_NAMES}) SELECT {_COLUMN_NAMES} FROM samples",
    "DROP TABLE samples",
    "ALTER TABLE samples_v2 RENAME TO samples",
    *_INDEXES,
    _kept_table("kept", 9),
    "INSERT INTO kept (label, count) SELECT label, COUNT(*) FROM samples GROUP BY label",
)
# Schema 3: a sample may be labelled (or read as) NOT_A_DIGIT, so both tables are rebuilt
# with the wider CHECKs (SQLite cannot change a CHECK in place), every row, id and column
# as it was. SQLite's sequence carries over: the newest ids deleted stay never given again.
_SCHEMA_3 = (
    "CREATE TABLE samples_v3 (id INTEGER PRIMARY KEY AUTOINCREMENT," + _sample_columns(NOT_A_DIGIT),
    f"INSERT INTO samples_v3 ({_COLUMN_NAMES}) SELECT {_COLUMN_NAMES} FROM samples",
    "DELETE FROM sqlite_sequence WHERE name = 'samples_v3'",
    "INSERT INTO sqlite_sequence (name, seq) "
    "SELECT 'samples_v3', seq FROM sqlite_sequence WHERE name = 'samples'",
    "DROP TABLE samples",
    "ALTER TABLE samples_v3 RENAME TO samples",
    *_INDEXES,
    _kept_table("kept_v3", NOT_A_DIGIT),
    "INSERT INTO kept_v3 (label, count) SELECT label, count FROM kept",
    "DROP TABLE kept",
    "ALTER TABLE kept_v3 RENAME TO kept",
)
# Each entry takes the schema from its index's version to the next one, in one transaction.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (_SCHEMA_1, _SCHEMA_2, _SCHEMA_3)


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


@dataclass(frozen=True)
class SampleFilter:
    """Which samples a list or an export takes: those of one label (a digit or
    ``NOT_A_DIGIT``, or None for every one), and perhaps only those the model misread."""

    label: int | None = None
    misread_only: bool = False

    def __post_init__(self) -> None:
        if self.label is not None:
            object.__setattr__(self, "label", check_label(self.label))

    @property
    def takes_all(self) -> bool:
        return self.label is None and not self.misread_only

    def where(self) -> tuple[str, list[int]]:
        """The SQL condition (" WHERE ...", or "" for all) and its values."""
        conditions, values = [], []
        if self.label is not None:
            conditions.append("label = ?")
            values.append(self.label)
        if self.misread_only:
            conditions.append("predicted IS NOT NULL AND predicted != label")
        return (" WHERE " + " AND ".join(conditions) if conditions else ""), values


def default_path() -> Path:
    from digitpad.core.data import user_data_dir

    return user_data_dir() / FILE_NAME


class SampleStore:
    """The samples database at ``path``: created with its folder when missing (unless
    ``create`` is False, for commands that only read), refused with a SampleError when it
    is something else; one written by an older digitpad is migrated on opening, whichever
    way it is opened.

    Durability: WAL journal with ``synchronous=FULL``, one transaction per change, so a
    sample ``add`` returned is on disk whatever happens to the process next. A database
    that SQLite finds damaged on opening is moved aside under a timestamped name (never
    deleted) and a fresh one is started; ``recovered_from`` says where it went. Any other
    file (a folder, another program's database, a locked one) is refused and left alone.
    Ids are never reused, so an id held (by an undo) names one sample for ever."""

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

    def _insert(self, db: sqlite3.Connection, sample: Sample) -> int | None:
        """Insert in an open transaction; None when the drawing is already stored. A new
        sample's side is decided here, and counted as kept; one stored before (an undone
        deletion) keeps its side and was counted then."""
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
        held = sample.held_out
        if held is None:  # the 3rd, 8th, 13th... of its digit ever kept
            row = db.execute("SELECT count FROM kept WHERE label = ?", (sample.label,)).fetchone()
            kept = 0 if row is None else row[0]
            held = kept % HELD_OUT_EVERY == HELD_OUT_EVERY // 2
            db.execute(
                "INSERT INTO kept (label, count) VALUES (?, 1) "
                "ON CONFLICT (label) DO UPDATE SET count = count + 1",
                (sample.label,),
            )
        cursor = db.execute(
            f"INSERT INTO samples ({_COLUMN_NAMES}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sample_id, *_columns(sample), int(held)),
        )
        return int(cursor.lastrowid)

    def add(self, sample: Sample) -> int:
        """Store ``sample`` (under its id when it has one that is free); its id. On return
        it is on disk. AlreadyStored for a drawing already stored (under any label)."""
        with self._transaction() as db:
            sample_id = self._insert(db, sample)
            if sample_id is None:
                known = db.execute(
                    "SELECT id, label FROM samples WHERE digest = ? OR input_digest = ?",
                    (sample.digest, sample.input_digest),
                ).fetchone()
                raise AlreadyStored(
                    f"this drawing is already stored (sample {known[0]}, labelled "
                    f"{label_text(known[1])})"
                )
            return sample_id

    def add_many(self, samples: Iterable[Sample]) -> tuple[list[int], int]:
        """Store several samples in one transaction (all or none), skipping drawings
        already stored or repeated among them: (the new ids, how many were skipped).

        ``samples`` may be any iterable, read once (an import's, read from its file as it
        goes): an exception it raises midway rolls back what was stored before."""
        ids: list[int] = []
        seen = 0
        with self._transaction() as db:
            for sample in samples:
                seen += 1
                sample_id = self._insert(db, sample)
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
        """How many samples of each label: the ten digits, then ``NOT_A_DIGIT``."""
        totals = [0] * (NOT_A_DIGIT + 1)
        with self._reading() as db:
            for label, count in db.execute("SELECT label, COUNT(*) FROM samples GROUP BY label"):
                totals[label] = count
        return totals

    def summaries(self, label: int | None = None, misread_only: bool = False) -> list[Summary]:
        """The samples, oldest first, optionally of one label or only those misread."""
        where, values = SampleFilter(label, misread_only).where()
        with self._reading() as db:
            rows = db.execute(
                f"SELECT id, label, predicted, network_input, created FROM samples{where} "
                "ORDER BY id",
                values,
            ).fetchall()
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

    def export_columns(self, only: SampleFilter | None = None) -> dict[str, np.ndarray]:
        """The small arrays of an export of the samples ``only`` takes (all by default),
        oldest first: labels, predicted (-1 for none), created, and strokes_offsets (N + 1:
        where each sample's strokes, UTF-8 JSON, start and end in strokes_utf8)."""
        where, values = (only or SampleFilter()).where()
        with self._reading() as db:
            rows = db.execute(
                "SELECT label, predicted, created, length(CAST(strokes AS BLOB)) FROM samples"
                f"{where} ORDER BY id",
                values,
            ).fetchall()
        return {
            "labels": np.array([row[0] for row in rows], dtype=np.int64),
            "predicted": np.array([-1 if row[1] is None else row[1] for row in rows], np.int64),
            "created": np.array([row[2] for row in rows], dtype="U64"),
            "strokes_offsets": np.cumsum([0, *(row[3] for row in rows)]).astype(np.int64),
        }

    def export_chunks(
        self, column: str, size: int, only: SampleFilter | None = None
    ) -> Iterator[np.ndarray | list[bytes]]:
        """One large column of the samples ``only`` takes (all by default), oldest first,
        ``size`` samples at a time: "network_input" (k, 28, 28) float32, "canvas"
        (k, 280, 280) uint8, or "strokes" (k UTF-8 JSON texts), so an export never holds all
        of them."""
        arrays = {"network_input": ("<f4", (SIZE, SIZE)), "canvas": (np.uint8, (CANVAS_SIZE,) * 2)}
        where, values = (only or SampleFilter()).where()
        with self._reading() as db:
            cursor = db.execute(f"SELECT {column} FROM samples{where} ORDER BY id", values)
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
# 13th... ever kept (so one of each digit kept three times or more). Decided when a sample
# is stored and never changed: deleting others does not shift it, and a relabelled sample
# stays on its side (it was chosen fairly among the digit it was kept as).
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

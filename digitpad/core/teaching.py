"""Teaching: the answer on screen confirmed or corrected becomes a kept sample.

What the window's digit buttons and keys do, without Qt: the drawing, what the model in use
said about it and the digit the user meant (or that it is none: ``NOT_A_DIGIT``) go into
the samples store (``samples/store.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.core.events import EventEmitter
from digitpad.core.network import NOT_A_DIGIT
from digitpad.core.samples import (
    Sample,
    SampleError,
    SampleStore,
    Summary,
    check_label,
    input_digest,
    label_text,
)
from digitpad.core.strokes import Stroke
from digitpad.core.viewer import ViewerModel


@dataclass(frozen=True)
class Kept:
    """A sample just stored: its id, the label meant (a digit or ``NOT_A_DIGIT``), what
    the model had said."""

    sample_id: int
    label: int
    predicted: int | None
    count: int  # samples stored in all, this one included

    def message(self, again: bool = False) -> str:
        """What the user is told; ``again`` when a sample taken back was kept again (Redo)."""
        said = (
            "it read it right"
            if self.predicted == self.label
            else f"it read {label_text(self.predicted)}"
            if self.predicted is not None
            else "no model read it"
        )
        kept = f"Kept sample {self.sample_id} again" if again else "Kept"
        return f"{kept} as {as_label(self.label)} ({said}): {self.count:,} of your samples"


def a_digit(digit: int) -> str:
    """'a 7', 'an 8': the digit with its article, as it is read aloud."""
    return f"{'an' if digit == 8 else 'a'} {digit}"


def as_label(label: int) -> str:
    """What "kept as" is followed by: 'a 7', or 'not a digit'."""
    return label_text(label) if label == NOT_A_DIGIT else a_digit(label)


def not_a_digit_left_out(labels: np.ndarray, network_name: str) -> str | None:
    """The line a training run on the user's samples says when its network has no "not a
    digit" output, so those kept as not a digit are left out (None when there are none)."""
    count = int((np.asarray(labels) == NOT_A_DIGIT).sum())
    if not count:
        return None
    return (
        f"{count:,} 'not a digit' sample{'' if count == 1 else 's'} left out: "
        f"{network_name} has no 'not a digit' output"
    )


def n_samples(count: int) -> str:
    """'1 sample', '2,000 samples'."""
    return f"{count:,} sample{'' if count == 1 else 's'}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Teacher:
    """Stores the drawing on screen with the digit the user says it is.

    The store opens on first use, so a broken or unwritable database costs nothing until
    the user teaches (and then says why). ``kept`` fires after every change made here to
    the samples (one kept, taken back, kept again or relabelled), so a view of them can
    follow."""

    def __init__(self, viewer: ViewerModel, store_path: Path | None = None) -> None:
        self.viewer = viewer
        self.store_path = store_path
        self._store: SampleStore | None = None
        self._hashes: dict[tuple[str, int, int], str] = {}
        self.kept = EventEmitter("kept")
        # The database was found damaged when it opened, and moved aside (``recovered_from``
        # of the store says where): whoever opened it, the window says so.
        self.recovered = EventEmitter("recovered")
        self.last: Kept | None = None

    @property
    def store(self) -> SampleStore:
        """The samples store, opened now if it was not yet (SampleError if it cannot be)."""
        if self._store is None:
            self._store = SampleStore(self.store_path)
            if self._store.recovered_from is not None:
                self.recovered.emit(self._store.recovered_from)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def can_teach(self) -> bool:
        """Whether there is an answer to confirm or correct: a drawing the model read."""
        return self.viewer.verdict is not None and self.viewer.input is not None

    def answer(self) -> int | None:
        """The answer on screen as a label: ``NOT_A_DIGIT`` when the network has that
        output and calls the drawing so (the window says "not a digit"), else its digit;
        None with no answer."""
        viewer = self.viewer
        if viewer.verdict is None:
            return None
        if viewer.knows_non_digits and viewer.unfamiliar:
            return NOT_A_DIGIT
        return viewer.verdict.digit

    def teach(self, label: int, strokes: Sequence[Stroke], canvas: np.ndarray) -> Kept:
        """Keep the drawing as a ``label`` (a digit or ``NOT_A_DIGIT``); SampleError (a
        message for the user) when it cannot be: nothing read yet, a bad label, a drawing
        already kept, a store that cannot be written."""
        label = check_label(label)
        if not self.can_teach():
            raise SampleError("draw a digit first: there is no answer to correct yet")
        viewer = self.viewer
        name, sha256 = self._model_identity()
        predicted = self.answer()
        sample = Sample(
            strokes=tuple(strokes),
            canvas=canvas,
            network_input=viewer.input,
            label=label,
            predicted=predicted,
            probabilities=viewer.probabilities,
            model_name=name,
            model_sha256=sha256,
        )
        store = self.store
        sample_id = store.add(sample)
        self.last = Kept(sample_id, label, predicted, store.count())
        self.kept.emit(self.last)
        return self.last

    def take_back(self, sample_id: int) -> Sample | None:
        """Remove a sample just kept (Undo after a keep); it is returned whole, so
        ``keep_again`` can put it back; None if it is no longer stored (deleted since).
        SampleError if the store cannot remove it."""
        store = self.store
        try:
            sample = store.delete(sample_id)
        except SampleError:
            if all(summary.id != sample_id for summary in store.summaries()):
                return None
            raise
        self.kept.emit()
        return sample

    def keep_again(self, sample: Sample) -> Kept:
        """Store a sample taken back (Redo), under its number when that is free."""
        store = self.store
        sample_id = store.add(sample)
        self.last = Kept(sample_id, sample.label, sample.predicted, store.count())
        self.kept.emit()
        return self.last

    def stored_as(self, network_input: np.ndarray) -> Summary | None:
        """The stored sample whose input is this one (to 1/255, as the store compares
        them), if there is one."""
        wanted = input_digest(network_input)
        for summary in self.store.summaries():
            if input_digest(summary.network_input) == wanted:
                return summary
        return None

    def relabel(self, sample_id: int, label: int) -> int:
        """Give a stored sample another label; the label it had."""
        old = self.store.relabel(sample_id, check_label(label))
        self.kept.emit()
        return old

    def _model_identity(self) -> tuple[str, str]:
        """(name, SHA-256 of its file) of the network that answered: the model in use's,
        or, while a training run is shown, "the network being trained" (it has no file)."""
        model = self.viewer.model_in_use
        if self.viewer.training_shown or model is None:
            return ("the network being trained" if self.viewer.training_shown else ""), ""
        path = Path(model.path) if model.path else None
        if path is None:
            return model.metadata.name, ""
        try:
            stat = path.stat()
            key = (str(path), stat.st_mtime_ns, stat.st_size)
            if key not in self._hashes:
                self._hashes[key] = file_sha256(path)
            return model.metadata.name, self._hashes[key]
        except OSError:  # the file went since it was loaded: the sample is still worth keeping
            return model.metadata.name, ""

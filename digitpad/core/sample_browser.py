"""What the samples browser shows, without Qt: the user's samples under a filter, and the
changes made to them (relabel, delete with undo), told to listeners like ``ViewerModel``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from digitpad.core.events import EventEmitter
from digitpad.core.network import NOT_A_DIGIT
from digitpad.core.samples import Sample, SampleFilter, SampleStore, Summary, check_label


def group_name(label: int, plural: bool = True) -> str:
    """A label's samples in words: "7s", or "'not a digit' samples"."""
    if label == NOT_A_DIGIT:
        return "'not a digit' samples" if plural else "'not a digit' sample"
    return f"{label}s" if plural else str(label)


class SampleBrowser:
    """The samples of ``store()`` shown in the browser, grouped by label (then oldest first):
    the digits, then those kept as not a digit (``NOT_A_DIGIT``, the highest label).

    ``store`` is a callable so the database opens only when the browser is first used.
    Events: ``changed`` (the rows or the undo state changed)."""

    def __init__(self, store: Callable[[], SampleStore]) -> None:
        self._store = store
        self.shown = SampleFilter()  # which samples: the dialog's filter writes it
        self.rows: list[Summary] = []
        # Samples of each label in all, whatever the filter: the digits, then NOT_A_DIGIT.
        self.totals = [0] * (NOT_A_DIGIT + 1)
        # The undo stack: each step is the samples a deletion removed, or the labels a
        # relabelling replaced ({id: old label}).
        self._undo: list[list[Sample] | dict[int, int]] = []
        self.changed = EventEmitter("changed")

    @property
    def store(self) -> SampleStore:
        return self._store()

    def refresh(self) -> None:
        """Re-read the rows (SampleError, before anything changes, if it cannot)."""
        rows = self.store.summaries(self.shown.label, self.shown.misread_only)
        self.totals = self.store.counts()
        self.rows = sorted(rows, key=lambda row: (row.label, row.id))
        self.changed.emit(self.rows)

    @property
    def empty_text(self) -> str:
        """What the browser says when the filter shows no sample, and how to get some."""
        label, everyone = self.shown.label, sum(self.totals)
        if not everyone:
            return "No samples yet: draw a digit, then press the digit it is"
        if label == NOT_A_DIGIT and not self.totals[label]:
            return "No 'not a digit' samples yet: draw something that is no digit and press N"
        if label is not None and not self.totals[label]:
            return f"No {label}s yet: draw a {label} and press {label}"
        if label is not None:  # only the misread ones are asked for
            return (
                f"None misread: the model read all your {group_name(label)} right when you "
                "kept them"
            )
        return "None misread: the model read all your samples right when you kept them"

    def relabel(self, ids: Sequence[int], label: int) -> None:
        """Give these samples ``label``, all or none, as one step to undo."""
        label = check_label(label)
        old = self.store.relabel_many(dict.fromkeys(ids, label))
        if any(before != label for before in old.values()):
            self._undo.append(old)
        self.refresh()

    def delete(self, ids: Sequence[int]) -> None:
        """Delete these samples, all or none, as one step to undo."""
        if not ids:
            return
        self._undo.append(self.store.delete_many(ids))
        self.refresh()

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def undo_text(self) -> str:
        """What Undo would undo: "Undo Delete", "Undo Relabel" or "Undo"."""
        if not self._undo:
            return "Undo"
        return "Undo Relabel" if isinstance(self._undo[-1], dict) else "Undo Delete"

    def undo(self) -> list[int]:
        """Undo the last deletion (the samples come back under their old ids) or relabelling;
        the ids of the samples it touched."""
        if not self._undo:
            return []
        step = self._undo.pop()
        try:
            if isinstance(step, dict):  # those deleted since are gone: the others go back
                touched = list(self.store.relabel_many(step, missing_ok=True))
            else:  # one already back again is skipped
                touched, _ = self.store.add_many(step)
        except BaseException:
            self._undo.append(step)  # nothing was written: it can be tried again
            raise
        self.refresh()
        return touched

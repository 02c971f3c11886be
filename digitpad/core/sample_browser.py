"""What the samples browser shows, without Qt: the user's samples under a filter, and the
changes made to them (relabel, delete with undo), told to listeners like ``ViewerModel``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from digitpad.core.samples import Sample, SampleStore, Summary, check_label
from digitpad.core.viewer import Listeners


class SampleBrowser:
    """The samples of ``store()`` shown in the browser, grouped by digit (then oldest first).

    ``store`` is a callable so the database opens only when the browser is first used.
    Events: ``changed`` (the rows or the undo state changed)."""

    def __init__(self, store: Callable[[], SampleStore]) -> None:
        self._store = store
        self.label: int | None = None
        self.misread_only = False
        self.rows: list[Summary] = []
        self.totals = [0] * 10  # samples of each digit in all, whatever the filter
        self._deleted: list[list[Sample]] = []  # an undo stack of deletions
        self.changed = Listeners()

    @property
    def store(self) -> SampleStore:
        return self._store()

    def refresh(self) -> None:
        """Re-read the rows (SampleError, before anything changes, if it cannot)."""
        rows = self.store.summaries(self.label, self.misread_only)
        self.totals = self.store.counts()
        self.rows = sorted(rows, key=lambda row: (row.label, row.id))
        self.changed.emit()

    def set_filter(self, label: int | None, misread_only: bool) -> None:
        self.label = None if label is None else check_label(label)
        self.misread_only = misread_only
        self.refresh()

    def relabel(self, ids: Sequence[int], label: int) -> None:
        for sample_id in ids:
            self.store.relabel(sample_id, label)
        self.refresh()

    def delete(self, ids: Sequence[int]) -> None:
        """Delete these samples, all or none, as one step to undo."""
        if not ids:
            return
        self._deleted.append(self.store.delete_many(ids))
        self.refresh()

    @property
    def can_undo(self) -> bool:
        return bool(self._deleted)

    def undo(self) -> list[int]:
        """Put back the samples of the last deletion, under their old ids; those ids."""
        if not self._deleted:
            return []
        batch = self._deleted.pop()
        try:
            restored, _ = self.store.add_many(batch)  # one already back again is skipped
        except BaseException:
            self._deleted.append(batch)  # nothing was written: it can be tried again
            raise
        self.refresh()
        return restored

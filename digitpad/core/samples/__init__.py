"""The user's own digits (and drawings they say are none): the sample record (``sample``),
the SQLite store (``store``), writing them out (``export``) and reading an export back
(``importing``)."""

from __future__ import annotations

from digitpad.core.samples.export import (
    CHUNK_SAMPLES,
    IDX_IMAGES,
    IDX_LABELS,
    export_idx,
    export_npz,
)
from digitpad.core.samples.importing import MAX_IMPORT_SAMPLES, ExportedSamples, read_export
from digitpad.core.samples.sample import (
    MAX_POINTS,
    AlreadyStored,
    Sample,
    SampleError,
    check_label,
    input_digest,
    label_text,
    strokes_from_json,
    strokes_to_json,
)
from digitpad.core.samples.store import (
    HELD_OUT_EVERY,
    SCHEMA_VERSION,
    PersonalSet,
    SampleFilter,
    SampleStore,
    Summary,
    default_path,
)

__all__ = [
    "CHUNK_SAMPLES",
    "HELD_OUT_EVERY",
    "IDX_IMAGES",
    "IDX_LABELS",
    "MAX_IMPORT_SAMPLES",
    "MAX_POINTS",
    "SCHEMA_VERSION",
    "AlreadyStored",
    "ExportedSamples",
    "PersonalSet",
    "Sample",
    "SampleError",
    "SampleFilter",
    "SampleStore",
    "Summary",
    "check_label",
    "default_path",
    "export_idx",
    "export_npz",
    "input_digest",
    "label_text",
    "read_export",
    "strokes_from_json",
    "strokes_to_json",
]

"""One sample: the record of a labelled drawing, the checks it passes, and its strokes as
JSON (how the store keeps them and what makes two drawings the same)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from digitpad.core.network import NOT_A_DIGIT
from digitpad.core.preprocess import SIZE
from digitpad.core.strokes import CANVAS_SIZE, Stroke

# A drawing is a few hundred points; a stroke list this long is not one.
MAX_POINTS = 100_000


class SampleError(Exception):
    """A sample that cannot be stored or a store that cannot be used; the message says
    which value or file is at fault."""


class AlreadyStored(SampleError):
    """The drawing is stored already (under some label): nothing is wrong, nothing kept."""


@dataclass(frozen=True, eq=False)
class Sample:
    """One labelled drawing, with what is needed to learn from it and to show it again: the
    strokes (so it reopens on the canvas stroke by stroke), the canvas image, the network's
    input, the true label (a digit, or ``NOT_A_DIGIT``: a drawing the user says is none),
    what the model said and which model said it, and when.

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
            check_label(self.predicted, "predicted label")
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
    """A digit 0-9 or ``NOT_A_DIGIT`` (10), or SampleError naming the value."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or not 0 <= value <= NOT_A_DIGIT
    ):
        raise SampleError(
            f"{what} must be a digit from 0 to 9 or {NOT_A_DIGIT} (not a digit), got {value!r}"
        )
    return int(value)


def label_text(label: int) -> str:
    """A label as a list shows it: "7", or "not a digit"."""
    return "not a digit" if label == NOT_A_DIGIT else str(label)


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

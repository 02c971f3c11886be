"""Things that are not digits, for a network to learn that they are not: outlier exposure.

A network trained on digits alone has no reason to keep its scores low for a letter or a
smiley: it reads them as whatever digit they most resemble, sure of it (Hendrycks et al.,
*Deep Anomaly Detection with Outlier Exposure*, ICLR 2019: show it outliers while it
trains). digitpad's way is an eleventh output, "not a digit" (``network.NOT_A_DIGIT``),
trained with the same cross-entropy as the digits. Measured against the alternatives on
the bundled ``default`` (README, "Not a digit"): an energy margin (Liu et al. 2020) left
60 % of held-out letters and 35 % of doodles read as digits, a uniform-softmax target cost
a point of MNIST, the extra output flagged three letters in four and nearly nine doodles
in ten.

The non-digits are drawn as the canvas draws, with the pen variety of the pen digits:
  - letters written with a pen by real people (``uji.load_letters``), the digit-like ones
    (O, I, S, Z, b, q ...: ``uji.DIGIT_LIKE_LETTERS``) left out, whole writers held out;
  - doodles people draw (``doodles.py``): faces, houses, stars, grids, scribbles, words...,
    seeds from ``HELD_OUT_SEED`` on held out.
Drawing one costs about 2.3 ms, so a run draws a pool once and each batch takes from it,
distorted like the MNIST digits when the run distorts them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from digitpad.core import doodles, pendigits
from digitpad.core.augment import AugmentConfig, augment_batch
from digitpad.core.network import NOT_A_DIGIT
from digitpad.core.uji import PenLetter

# Doodle seeds from here on are never trained on: the held-out doodles are drawn from them.
HELD_OUT_SEED = 100_000
# The held-out doodles a run is scored on: this many of each kind.
HELD_OUT_PER_KIND = 40
# Drawings made between two looks at whether the run was asked to stop (about 0.6 s).
CHUNK = 256
# The most drawings a run's pool holds: past it, more drawings cost start-up time and
# teach little (each batch distorts what it takes).
MAX_POOL = 8000


class OutlierDrawingStopped(Exception):
    """The run was asked to stop while its non-digits were being drawn."""


@dataclass(frozen=True)
class OutlierValidation:
    """How a trained network reads the held-out non-digits: the share of each source it
    calls "not a digit" (below its familiarity threshold) and the share it gives a digit."""

    held_out_writers: tuple[int, ...]
    letters_flagged: float | None  # non-digit-like letters of the held-out writers
    digit_like_letters_flagged: float | None  # reported apart: O, I, S ... are judgement calls
    doodles_flagged: float
    per_kind_flagged: dict[str, float]

    def to_json(self) -> dict:
        return {
            "held_out_writers": list(self.held_out_writers),
            "letters_flagged": self.letters_flagged,
            "digit_like_letters_flagged": self.digit_like_letters_flagged,
            "doodles_flagged": self.doodles_flagged,
            "doodle_seeds_from": HELD_OUT_SEED,
            "per_kind_flagged": self.per_kind_flagged,
        }


def held_out_doodles() -> tuple[list[str], np.ndarray]:
    """(kinds, inputs (N, 28, 28)) of the doodles every run is scored on: seeds nobody
    trains on, ``HELD_OUT_PER_KIND`` of each kind."""
    kinds = [kind for kind in doodles.KINDS for _ in range(HELD_OUT_PER_KIND)]
    seeds = range(HELD_OUT_SEED, HELD_OUT_SEED + len(kinds))
    return kinds, doodles.render_inputs(kinds, seeds)


class OutlierMix:
    """The non-digits of a training run, labelled ``NOT_A_DIGIT``: a pool drawn once from
    the training writers' letters and the training seeds' doodles, half and half (all
    doodles without letters), and the held-out ones to score the result on."""

    def __init__(
        self,
        letters: Sequence[PenLetter],
        per_batch: int,
        needed: int,
        seed: int,
        held_out_writers: int | Sequence[int] = 6,
        augment: AugmentConfig | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        """Draws the pool (about 2.3 ms a drawing), asking ``should_stop`` every
        ``CHUNK`` drawings: OutlierDrawingStopped when it says so."""
        rng = np.random.default_rng([seed, 5])
        unlike = [letter for letter in letters if not letter.digit_like]
        writers = sorted({letter.writer for letter in letters})
        if isinstance(held_out_writers, int):
            count = min(held_out_writers, max(0, len(writers) - 1))
            held = rng.choice(writers, count, replace=False) if count else []
        else:
            held = held_out_writers
        self.held_out = tuple(sorted(int(writer) for writer in held))
        train_letters = [letter for letter in unlike if letter.writer not in self.held_out]
        self.val_letters = [letter for letter in unlike if letter.writer in self.held_out]
        self.val_digit_like = [
            letter for letter in letters if letter.digit_like and letter.writer in self.held_out
        ]
        self.per_batch = per_batch
        self.augment = augment
        size = min(MAX_POOL, max(per_batch, needed))
        n_letters = size // 2 if train_letters else 0
        chosen = rng.integers(0, len(train_letters), n_letters) if n_letters else []
        parts = [np.zeros((0, 28, 28), np.float32)]

        def check(done: int) -> None:
            if should_stop is not None and should_stop():
                raise OutlierDrawingStopped(f"stopped after drawing {done} of {size} non-digits")

        # Letters first, then the doodles' seeds from the same stream: one pool per seed.
        for start in range(0, n_letters, CHUNK):
            check(start)
            part = chosen[start : start + CHUNK]
            parts.append(pendigits.augmented_inputs([train_letters[i] for i in part], rng))
        kinds = list(doodles.KINDS)
        seeds = rng.permutation(HELD_OUT_SEED)[: size - n_letters]
        for start in range(0, len(seeds), CHUNK):
            check(n_letters + start)
            part = seeds[start : start + CHUNK]
            parts.append(doodles.render_inputs([kinds[s % len(kinds)] for s in part], part))
        pool = np.concatenate(parts)
        # A drawing the rasteriser turned into nothing (a doodle pushed off the canvas)
        # is no lesson.
        self.pool = pool[pool.reshape(len(pool), -1).max(axis=1) > 0]
        self._rng = np.random.default_rng([seed, 6])

    @classmethod
    def for_run(
        cls,
        letters: Sequence[PenLetter],
        ratio: float,
        batch_size: int,
        batches: int,
        seed: int,
        held_out_writers: int | Sequence[int] = 6,
        augment: AugmentConfig | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> OutlierMix:
        per_batch = max(1, round(batch_size * ratio))
        return cls(
            letters, per_batch, per_batch * batches, seed, held_out_writers, augment, should_stop
        )

    def take(self) -> tuple[np.ndarray, np.ndarray]:
        """``per_batch`` non-digits from the pool (distorted when the run distorts its
        digits) and their labels, all ``NOT_A_DIGIT``."""
        chosen = self._rng.integers(0, len(self.pool), self.per_batch)
        images = self.pool[chosen]
        if self.augment is not None:
            images = augment_batch(images, self._rng, self.augment)
        return images, np.full(self.per_batch, NOT_A_DIGIT, np.intp)

    def validate(self, flagged: Callable[[np.ndarray], np.ndarray]) -> OutlierValidation:
        """Score the held-out letters and doodles with ``flagged(inputs) -> (N,) bool``
        (the trained network's familiarity below its threshold)."""

        def share(inputs: np.ndarray) -> float | None:
            return float(flagged(inputs).mean()) if len(inputs) else None

        kinds, doodle_inputs = held_out_doodles()
        doodle_flags = flagged(doodle_inputs)
        kind_array = np.array(kinds)
        return OutlierValidation(
            self.held_out,
            share(pendigits.render_inputs(self.val_letters)) if self.val_letters else None,
            share(pendigits.render_inputs(self.val_digit_like)) if self.val_digit_like else None,
            float(doodle_flags.mean()),
            {
                kind: round(float(doodle_flags[kind_array == kind].mean()), 4)
                for kind in doodles.KINDS
            },
        )


def batches_needed(images: int, per_batch: int, epochs: int) -> int:
    """The batches a run of ``epochs`` over ``images`` digits, ``per_batch`` each, takes."""
    return math.ceil(images / max(1, per_batch)) * epochs

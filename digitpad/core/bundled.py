"""What ships inside the package: a recipe per bundled model, and the resource files.

Everything that names ``classic`` or ``default`` (the CLI, the app's Model menu, the
retrain dialog, bench, tests) reads it from here. The files live in the repository's
top-level ``models/`` and ``resources/`` folders, which are installed as the packages
``digitpad.models`` and ``digitpad.resources`` and found through ``importlib.resources``.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, replace
from importlib.resources import files
from pathlib import Path

from digitpad.core.architectures import with_not_a_digit
from digitpad.core.network import INPUT_SHAPE, NUM_CLASSES
from digitpad.core.training import FINE_TUNE, TrainConfig

MODELS_PACKAGE = "digitpad.models"
RESOURCES_PACKAGE = "digitpad.resources"


@dataclass(frozen=True)
class Recipe:
    """How one bundled model is made: its architecture, its training settings, its file."""

    name: str
    summary: str
    layers: tuple[dict, ...]
    config: TrainConfig
    # The epochs the Retrain dialog proposes for this architecture: a run of a minute or
    # two here (the bundled file had ``config.epochs``).
    quick_epochs: int = 2
    # A second run from the first one's weights (``digitpad train --from``), when the file
    # had one: ``default``'s, which teaches it what is not a digit and so gives it the
    # eleventh output.
    then: TrainConfig | None = None

    def file_spec(self) -> dict:
        """The network of the bundled file: ``spec()``, with the "not a digit" output when
        the second run learned non-digits."""
        spec = self.spec()
        if self.then is not None and self.then.outlier_ratio:
            spec = with_not_a_digit(spec)
        return spec

    def spec(self) -> dict:
        """A fresh network spec (callers may edit it without touching the recipe)."""
        return {"input_shape": list(INPUT_SHAPE), "layers": copy.deepcopy(list(self.layers))}

    @property
    def path(self) -> Path:
        """The installed model file."""
        return _package_file(MODELS_PACKAGE, f"{self.name}.npz")


CLASSIC = Recipe(
    name="classic",
    summary="the classic from-scratch tutorial's network: 8 3x3 filters, 2x2 max pool, softmax",
    layers=(
        {"type": "conv2d", "filters": 8, "kernel": 3, "stride": 1, "padding": "valid"},
        {"type": "maxpool2d"},
        {"type": "flatten"},
        {"type": "dense", "units": NUM_CLASSES},
    ),
    config=TrainConfig(
        epochs=30, batch_size=64, learning_rate=2e-3, schedule="cosine", validation_fraction=0.0
    ),
    quick_epochs=5,
)

DEFAULT = Recipe(
    name="default",
    summary="two conv blocks (32 and 64 filters) and a dense layer of 128",
    layers=(
        {"type": "conv2d", "filters": 32, "kernel": 3, "stride": 1, "padding": "same"},
        {"type": "relu"},
        {"type": "maxpool2d"},
        {"type": "conv2d", "filters": 64, "kernel": 3, "stride": 1, "padding": "same"},
        {"type": "relu"},
        {"type": "maxpool2d"},
        {"type": "flatten"},
        {"type": "dense", "units": 128},
        {"type": "relu"},
        {"type": "dense", "units": NUM_CLASSES},
    ),
    config=TrainConfig(
        epochs=30,
        batch_size=64,
        learning_rate=1.5e-3,
        schedule="cosine",
        augment=True,
        validation_fraction=0.0,
        # A twentieth of each batch is pen-written digits drawn as the canvas draws them
        # (README: "Real handwriting"); six of their 30 writers are held out.
        pen_ratio=0.05,
    ),
    # Then fine-tuned with letters and doodles mixed in, an eighth of each batch, as
    # Hendrycks et al. (2019) exposed trained networks to outliers: trained with them from
    # the start it read MNIST a tenth of a point worse (README: Not a digit).
    # What `digitpad train --from models/default.npz` makes of these (README: Bundled
    # models): fine-tuning's settings with these in their place.
    then=replace(
        FINE_TUNE,
        epochs=8,
        learning_rate=5e-4,
        augment=True,  # as the model it starts from learned
        limit=60000,
        pen_ratio=0.05,
        outlier_ratio=0.125,
    ),
)

# In the order menus list them: the one users meet first.
RECIPES: dict[str, Recipe] = {recipe.name: recipe for recipe in (DEFAULT, CLASSIC)}


def resolve_model(value: str | os.PathLike[str]) -> Path:
    """A bundled model's file for its name (``default``, ``classic``), else ``value`` as a path.

    A name wins over a file of the same name in the current folder; write ``./default``
    for that file.
    """
    text = os.fspath(value)
    if text in RECIPES:
        return RECIPES[text].path
    return Path(text)


def bundled_name(path: Path) -> str | None:
    """The name of the bundled model stored at ``path``, or None for any other file."""
    for recipe in RECIPES.values():
        try:
            if path.resolve() == recipe.path.resolve():
                return recipe.name
        except OSError:
            return None
    return None


def resource_path(name: str) -> Path:
    """An installed resource file (``digitpad.svg``, ``digitpad.desktop``)."""
    return _package_file(RESOURCES_PACKAGE, name)


def _package_file(package: str, name: str) -> Path:
    # pip and pipx always install unpacked, so the traversable is a real file; a zipped
    # install would need importlib.resources.as_file and a temporary copy.
    resource = files(package) / name
    if not isinstance(resource, Path):
        raise RuntimeError(f"digitpad must be installed unpacked to read {package}/{name}")
    return resource

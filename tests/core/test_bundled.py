"""The one module that names the bundled models, and how their files are found."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from digitpad.core.bundled import (
    CLASSIC,
    DEFAULT,
    RECIPES,
    bundled_name,
    resolve_model,
    resource_path,
)
from digitpad.core.network import Network

from ..conftest import ROOT


def test_recipes_are_listed_default_first():
    assert list(RECIPES) == ["default", "classic"]
    assert RECIPES["classic"] is CLASSIC and RECIPES["default"] is DEFAULT


@pytest.mark.parametrize("recipe", list(RECIPES.values()), ids=list(RECIPES))
def test_each_recipe_builds_its_network_and_has_its_file(recipe):
    network = Network(recipe.spec())
    assert network.spec == recipe.spec()
    assert recipe.path.is_file() and recipe.path.name == f"{recipe.name}.npz"
    assert recipe.config.epochs >= 1
    knows = recipe.then is not None and recipe.then.outlier_ratio > 0
    assert Network(recipe.file_spec()).knows_non_digits == knows
    assert recipe.file_spec()["layers"][:-1] == recipe.spec()["layers"][:-1]


def test_spec_is_a_fresh_copy_each_time():
    spec = DEFAULT.spec()
    spec["layers"][0]["filters"] = 3
    spec["layers"].append({"type": "relu"})
    assert DEFAULT.spec()["layers"][0]["filters"] == 32
    assert len(DEFAULT.spec()["layers"]) == 10


def test_classic_is_the_tutorial_network():
    kinds = [layer["type"] for layer in CLASSIC.spec()["layers"]]
    assert kinds == ["conv2d", "maxpool2d", "flatten", "dense"]
    assert CLASSIC.spec()["layers"][0] == {
        "type": "conv2d",
        "filters": 8,
        "kernel": 3,
        "stride": 1,
        "padding": "valid",
    }


def test_resolve_model_takes_names_and_paths(tmp_path):
    assert resolve_model("default") == DEFAULT.path
    assert resolve_model("classic") == CLASSIC.path
    assert resolve_model("./default") == Path("./default")
    assert resolve_model(tmp_path / "mine.npz") == tmp_path / "mine.npz"
    assert resolve_model("Default") == Path("Default")  # names are exact


def test_bundled_name_recognises_only_the_bundled_files(tmp_path):
    assert bundled_name(DEFAULT.path) == "default"
    assert bundled_name(CLASSIC.path) == "classic"
    copy = tmp_path / "default.npz"
    copy.write_bytes(DEFAULT.path.read_bytes())
    assert bundled_name(copy) is None


def test_resources_are_installed_beside_the_code():
    assert resource_path("digitpad.svg").read_text().lstrip().startswith("<svg")
    assert "[Desktop Entry]" in resource_path("digitpad.desktop").read_text()


def test_no_code_finds_files_through_dunder_file():
    """Files the app ships are found with importlib.resources, which works in a wheel."""
    offenders = []
    for path in sorted((ROOT / "digitpad").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        offenders += [
            f"{path.relative_to(ROOT)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and node.id == "__file__"
        ]
    assert offenders == []


def test_the_dunder_file_check_sees_a_use(tmp_path):
    tree = ast.parse("from pathlib import Path\nHERE = Path(__file__).parent\n")
    assert any(isinstance(n, ast.Name) and n.id == "__file__" for n in ast.walk(tree))

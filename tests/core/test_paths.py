"""Paths in messages: a hostile path is shortened in the middle, never losing its file name."""

from __future__ import annotations

import os

import pytest

from digitpad.core.paths import file_problem, shown


def test_a_short_path_is_shown_whole():
    assert shown("/home/ann/models/mine.npz") == "/home/ann/models/mine.npz"
    assert shown("x" * 200) == "x" * 200  # at the limit: whole


def test_a_deep_path_keeps_its_start_and_its_whole_file_name():
    path = "/home/ann/" + "d/" * 300 + "my model.npz"
    text = shown(path)
    assert len(text) == 200
    assert text.startswith("/home/ann/d/d/") and text.endswith("…/my model.npz")


def test_a_file_name_of_150_characters_still_shows_whole():
    name = "a" * 146 + ".npz"
    text = shown("/data/" + "long folder name/" * 20 + name)
    assert len(text) <= 200 and text.endswith("/" + name) and text.startswith("/data/long")


def test_a_huge_file_name_keeps_its_start_and_its_extension():
    text = shown("/home/ann/" + "n" * 300 + ".png")
    assert len(text) == 200
    assert text.startswith("/home/ann/nnn") and text.endswith("n….png")
    bare = shown("n" * 300 + ".npz")  # no folder at all
    assert len(bare) == 200 and bare.startswith("nnn") and bare.endswith("….npz")


def test_a_huge_folder_and_a_huge_name_each_keep_their_start():
    text = shown("/" + "f" * 400 + "/" + "n" * 400 + ".npz")
    assert len(text) == 200
    assert text.startswith("/fff") and "…/nnn" in text and text.endswith("….npz")


def test_an_extension_that_is_itself_huge_is_not_kept_as_one():
    text = shown("/tmp/model." + "x" * 400)
    assert len(text) == 200 and text.startswith("/tmp/model.xxx") and text.endswith("…")


def test_the_message_for_a_name_too_long_for_the_system_names_the_file(tmp_path):
    path = tmp_path / ("d" * 300) / "digit.png"
    problem = file_problem(path)
    assert problem is not None and "not a usable path" in problem
    assert shown(path).endswith("/digit.png")


@pytest.mark.parametrize("path", ["/a/b.npz", b"/a/b.npz", os.fsencode("/a/caf\udce9.npz")])
def test_bytes_and_strings_alike(path):
    assert shown(path).endswith(".npz")

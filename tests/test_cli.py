"""The command line: every subcommand's --json output and its failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from digitpad.cli import main
from digitpad.core.bundled import DEFAULT, resolve_model
from digitpad.core.network import Network

from .conftest import ROOT
from .httpserver import serve_folder
from .imagefiles import save_digit


def run_json(capsys, *argv):
    code = main([*list(argv), "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_python_dash_m_shows_help():
    result = subprocess.run(
        [sys.executable, "-m", "digitpad", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0
    for command in ("train", "evaluate", "predict", "data", "bench", "gui"):
        assert command in result.stdout


@pytest.mark.parametrize("workers", ["1", "2"])
def test_train_then_evaluate(tmp_path, capsys, mnist_dir, workers):
    out = tmp_path / "small.npz"
    code, result = run_json(
        capsys,
        "train",
        "--workers",
        workers,
        "--arch",
        "classic",
        "--epochs",
        "1",
        "--limit",
        "1000",
        "--data",
        str(mnist_dir),
        "--out",
        str(out),
    )
    assert code == 0
    assert result["path"] == str(out) and out.is_file()
    assert 0.5 < result["test_accuracy"] <= 1.0
    code, scores = run_json(capsys, "evaluate", "--model", str(out), "--data", str(mnist_dir))
    assert code == 0
    assert scores["n"] == 10000
    assert scores["accuracy"] == pytest.approx(result["test_accuracy"])
    assert len(scores["per_class_accuracy"]) == 10
    assert np.array(scores["confusion"]).sum() == 10000


def test_train_without_data_says_how_to_get_it(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DIGITPAD_MNIST_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    code = main(["train", "--arch", "classic", "--out", str(tmp_path / "m.npz")])
    assert code == 1
    assert "digitpad data download" in capsys.readouterr().err
    assert not (tmp_path / "m.npz").exists()


def test_train_interrupted_writes_nothing(tmp_path, capsys, mnist_dir, monkeypatch):
    import digitpad.cli as cli

    def interrupted(*args, **kwargs):
        yield from ()
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.session, "train", interrupted)
    code = main(
        ["train", "--arch", "classic", "--data", str(mnist_dir), "--out", str(tmp_path / "m.npz")]
    )
    assert code == 130
    assert list(tmp_path.iterdir()) == []


def test_evaluate_bad_model_file(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"\x00" * 100)
    assert main(["evaluate", "--model", str(bad)]) == 1
    assert "bad.npz" in capsys.readouterr().err


def test_predict_real_digits_any_size_and_polarity(tmp_path, capsys, mnist_test):
    paths, expected = [], []
    for index, (size, invert, ext) in enumerate(
        [(28, False, "png"), (200, True, "png"), (90, False, "bmp"), (300, True, "jpg")]
    ):
        digit = mnist_test.images[index] / 255.0
        paths.append(str(save_digit(digit, tmp_path / f"d{index}.{ext}", size, invert)))
        expected.append(int(mnist_test.labels[index]))
    code, results = run_json(capsys, "predict", *paths, "--model", str(DEFAULT.path))
    assert code == 0
    assert [r["digit"] for r in results] == expected
    assert [r["path"] for r in results] == paths
    for r in results:
        assert sum(r["probabilities"]) == pytest.approx(1.0, abs=1e-4)


def test_predict_rejects_non_images_and_blank_images(tmp_path, capsys):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    blank = save_digit(np.zeros((28, 28)), tmp_path / "blank.png")
    assert main(["predict", str(text), str(blank)]) == 1
    err = capsys.readouterr().err
    assert "notes.png: not a readable image" in err
    assert "blank.png: the image is blank" in err


def test_bench_json(capsys):
    code, result = run_json(capsys, "bench", "--seconds", "0.2")
    assert code == 0
    assert set(result["forward_latency_ms"]) == {"classic", "default"}
    assert set(result["train_images_per_s"]) == {"classic", "default"}
    assert all(v > 0 for v in result["train_images_per_s"].values())
    assert "torch_train_images_per_s" in result and "ratio" in result
    assert "torch_forward_latency_ms" in result
    assert result["matmul_gflops"] > 0
    # The default model's training cost, from its spec (README: about 25 MFLOP an image).
    assert 24e6 < result["train_flops_per_image"]["default"] < 26e6
    assert result["forward_flops_per_image"]["default"] == pytest.approx(8.6e6, rel=0.02)
    for arch, rate in result["train_images_per_s"].items():
        limit = result["matmul_gflops"] * 1e9 / result["train_flops_per_image"][arch]
        assert result["machine_limit_images_per_s"][arch] == pytest.approx(limit)
        assert result["fraction_of_machine"][arch] == pytest.approx(rate / limit)


def test_data_download_from_local_mirror(tmp_path, capsys, mnist_dir):
    with serve_folder(mnist_dir) as url:
        code, result = run_json(
            capsys, "data", "download", "--dir", str(tmp_path / "m"), "--mirror", url
        )
    assert code == 0
    assert result == {"path": str(tmp_path / "m")}
    assert len(list((tmp_path / "m").glob("*.gz"))) == 4


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [
        line.strip()
        for line in readme.splitlines()
        if "pytest" in line and line.strip().startswith("python")
    ]
    assert commands, "README has no test command"
    assert commands[0] in ci


def test_gui_script_runs_without_console_streams(tmp_path, monkeypatch):
    """`digitpad-gui` (pythonw on Windows) has no stdout or stderr; it still works."""
    from digitpad.cli import gui_main

    out = tmp_path / "shot.png"
    monkeypatch.setattr(
        sys, "argv", ["digitpad-gui", "--screenshot", str(out), "--model", "classic"]
    )
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    assert gui_main() == 0
    assert out.stat().st_size > 10_000


def test_ctrl_c_inside_qt_during_a_screenshot_ends_it_as_interrupted(tmp_path, monkeypatch, capsys):
    """Ctrl+C arriving while Qt runs a Python slot (here a timer's, during the screenshot's
    events) was raised there: PySide printed its traceback and the screenshot went on (or
    Qt crashed). It now asks the application to quit and the command says it stopped."""
    import signal

    from PySide6.QtCore import QTimer

    from digitpad.gui import app as gui_app

    take_screenshot = gui_app.take_screenshot

    def interrupted_meanwhile(window, out):
        QTimer.singleShot(0, window, lambda: signal.raise_signal(signal.SIGINT))
        return take_screenshot(window, out)

    monkeypatch.setattr(gui_app, "take_screenshot", interrupted_meanwhile)
    before = signal.getsignal(signal.SIGINT)
    assert main(["gui", "--screenshot", str(tmp_path / "shot.png"), "--model", "classic"]) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().endswith("digitpad gui: interrupted")
    assert signal.getsignal(signal.SIGINT) is before  # the handler is the caller's again


def test_model_names_work_wherever_a_model_path_does(tmp_path, capsys):
    image = tmp_path / "blank.png"
    from .imagefiles import save_digit

    save_digit(np.pad(np.ones((12, 3)), ((8, 8), (12, 13))), image)
    for name in ("classic", "default"):
        code, results = run_json(capsys, "predict", str(image), "--model", name)
        assert code == 0 and results[0]["digit"] == 1
    assert main(["evaluate", "--model", "nonexistent-name"]) == 1
    assert "nonexistent-name" in capsys.readouterr().err


def test_calibrate_reproduces_the_bundled_threshold_and_evaluate_reports_it(
    tmp_path, capsys, mnist_dir
):
    import shutil

    from digitpad.core.bundled import resolve_model
    from digitpad.core.familiarity import THRESHOLD_KEY
    from digitpad.core.model_io import load_model

    bundled = load_model(resolve_model("classic"))
    copy = tmp_path / "classic.npz"
    shutil.copy(resolve_model("classic"), copy)
    code, result = run_json(capsys, "calibrate", "--model", str(copy), "--data", str(mnist_dir))
    assert code == 0 and result["calibration_digits"] == 6000
    assert result[THRESHOLD_KEY] == pytest.approx(bundled.metadata.metrics[THRESHOLD_KEY])
    reloaded = load_model(copy)
    assert reloaded.metadata.metrics[THRESHOLD_KEY] == result[THRESHOLD_KEY]
    assert reloaded.metadata.metrics["test_accuracy"] == bundled.metadata.metrics["test_accuracy"]
    code, scores = run_json(capsys, "evaluate", "--model", str(copy), "--data", str(mnist_dir))
    assert code == 0 and 0 < scores["unfamiliar_share"] <= 0.01


# -- what the world can do to a command (issue 10, class 7) --------------------------------


@pytest.mark.parametrize(
    "error,code,words",
    [
        (KeyboardInterrupt(), 130, "interrupted"),
        (OSError(28, "No space left on device", "/some/file.npz"), 1, "/some/file.npz: No space"),
        (PermissionError(13, "Permission denied", "/locked"), 1, "/locked: Permission denied"),
    ],
)
def test_the_world_ends_a_command_with_one_line(monkeypatch, capsys, error, code, words):
    import digitpad.cli as cli

    def fail(args):
        raise error

    monkeypatch.setattr(cli, "cmd_evaluate", fail)
    assert main(["evaluate"]) == code
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_bug_still_shows_its_traceback(monkeypatch):
    import digitpad.cli as cli

    def bug(args):
        raise ValueError("a programming error")

    monkeypatch.setattr(cli, "cmd_evaluate", bug)
    with pytest.raises(ValueError, match="a programming error"):
        main(["evaluate"])


@pytest.mark.parametrize(
    "argv,option",
    [
        (["train", "--seed", "-1", "--out", "x.npz"], "--seed"),
        (["train", "--epochs", "0", "--out", "x.npz"], "--epochs"),
        (["train", "--lr", "nan", "--out", "x.npz"], "--lr"),
        (["train", "--val-fraction", "1", "--out", "x.npz"], "--val-fraction"),
        (["train", "--limit", "3", "--out", "x.npz"], "--limit"),
        (["train", "--pen-ratio", "1", "--out", "x.npz"], "--pen-ratio"),
        (["bench", "--seconds", "-1"], "--seconds"),
        (["bench", "--batch-size", "0"], "--batch-size"),
    ],
)
def test_bad_option_values_are_refused_naming_the_option(capsys, argv, option):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert f"argument {option}:" in capsys.readouterr().err


def test_odd_paths_and_missing_data_get_one_line(tmp_path, capsys):
    assert main(["predict", "a" * 300 + ".png"]) == 1
    assert "not a usable path" in capsys.readouterr().err
    assert main(["evaluate", "--model", str(tmp_path)]) == 1
    assert "a folder, not a file" in capsys.readouterr().err
    assert main(["bench", "--data", str(tmp_path / "nowhere"), "--seconds", "0.01"]) == 1
    assert "nowhere" in capsys.readouterr().err  # never random data instead


def test_a_path_too_long_for_the_system_is_named_by_its_file(capsys):
    assert main(["predict", "d/" * 2100 + "my digit.png"]) == 1  # past PATH_MAX
    err = capsys.readouterr().err.strip()
    assert err.startswith("digitpad predict: d/d/d/") and len(err) < 300
    assert err.endswith("…/my digit.png: not a usable path (File name too long)")


def test_a_full_stdout_is_one_line_and_exit_one(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    image = save_digit(np.pad(np.ones((12, 3)), ((8, 8), (12, 13))), tmp_path / "one.png")
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "digitpad", "predict", str(image), "--json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
    assert result.returncode == 1
    assert "No space left" in result.stderr and "Exception ignored" not in result.stderr


def test_a_split_that_leaves_nothing_to_train_on_is_refused_first(capsys, tmp_path, mnist_dir):
    argv = ["train", "--arch", "classic", "--limit", "10", "--val-fraction", "0.95"]
    assert main([*argv, "--data", str(mnist_dir), "--out", str(tmp_path / "m.npz")]) == 1
    assert "validation fraction of 0.95 (--val-fraction) of 10 images leaves none" in (
        capsys.readouterr().err
    )


# -- trained work is never lost (issue 10, class 4) -----------------------------------------


@pytest.mark.parametrize(
    "out,words",
    [
        ("", "--out needs a file name"),
        ("{tmp}", "a folder; give a file name"),
        ("{tmp}/" + "n" * 300 + ".npz", "cannot write there"),
        ("{tmp}/a-file/m.npz", "cannot write there"),  # through a file
    ],
)
def test_a_bad_destination_is_refused_before_training(capsys, tmp_path, monkeypatch, out, words):
    import digitpad.cli as cli

    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setattr(cli, "load_split", pytest.fail)  # no data is read, no training
    assert main(["train", "--arch", "classic", "--out", out.format(tmp=tmp_path)]) == 1
    assert words in capsys.readouterr().err


def test_a_save_that_fails_after_training_keeps_the_model(capsys, tmp_path, monkeypatch):
    import digitpad.cli as cli
    from digitpad.core.model_io import load_model as load

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    real_save = cli.save_model
    target = tmp_path / "out" / "m.npz"

    def disk_full_at_target(path, *args, **kwargs):
        if Path(path) == target:
            raise OSError(28, "No space left on device", str(path))
        return real_save(path, *args, **kwargs)

    monkeypatch.setattr(cli, "save_model", disk_full_at_target)
    network = Network(DEFAULT.spec())
    with pytest.raises(cli.CliError, match="No space left on device.*kept in") as info:
        cli.save_trained(target, network, cli.ModelMetadata(name="m"))
    (kept,) = (tmp_path / "data").rglob("*.npz")
    assert str(kept) in str(info.value)
    np.testing.assert_array_equal(
        load(kept).network.layers[0].params["weight"], network.layers[0].params["weight"]
    )


def test_a_terminated_download_leaves_no_temporary_file(tmp_path):
    import signal
    import time

    from .httpserver import misbehaving_server

    target = tmp_path / "d"
    with misbehaving_server("trickle") as url:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "digitpad",
                "data",
                "download",
                "--dir",
                str(target),
                "--mirror",
                url,
            ],
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 60
        while not list(target.glob(".*.part")) and time.monotonic() < deadline:
            time.sleep(0.05)  # until the download is under way
        assert list(target.glob(".*.part")), "the download never started"
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 143 and "terminated" in err and "Traceback" not in err
    assert list(target.iterdir()) == []


# -- evaluate on pen-written digits (issue 11) ----------------------------------------------


def test_evaluate_on_held_out_writers_reports_digits_writers_and_confusions(capsys, pendigits_dir):
    from digitpad.core import pendigits

    code, result = run_json(
        capsys,
        "evaluate",
        "--model",
        "default",
        "--strokes",
        str(pendigits_dir),
        "--writers",
        "1-2",
    )
    assert code == 0 and result["writers"] == [1, 2]
    digits = [d for d in pendigits.load(pendigits_dir) if d.writer in (1, 2)]
    assert result["n"] == len(digits) == 499
    assert set(result["per_writer_accuracy"]) == {"1", "2"}
    assert 0.85 <= result["accuracy"] <= 1.0  # measured 0.970 for the default model
    counts = {(c["true"], c["read_as"]): c["count"] for c in result["most_confused"]}
    confusion = np.array(result["confusion"])
    for (true, read), count in counts.items():
        assert confusion[true, read] == count and true != read
    overall = sum(
        acc * sum(d.writer == int(w) for d in digits)
        for w, acc in result["per_writer_accuracy"].items()
    ) / len(digits)
    assert overall == pytest.approx(result["accuracy"])


@pytest.mark.parametrize(
    "argv,words",
    [
        (["--writers", "5-x"], "'5-x' is not a number or a range"),
        (["--writers", "40"], "no digits by writer(s) [40]"),
    ],
)
def test_evaluate_strokes_refuses_bad_writers_naming_them(capsys, pendigits_dir, argv, words):
    assert main(["evaluate", "--strokes", str(pendigits_dir), *argv]) == 1
    assert words in capsys.readouterr().err


def test_evaluate_strokes_on_a_folder_without_them_says_so(capsys, tmp_path):
    assert main(["evaluate", "--strokes", str(tmp_path)]) == 1
    assert "holds no pendigits-orig.tra.gz" in capsys.readouterr().err


def test_training_with_pen_digits_records_them_and_evaluate_reproduces_the_held_out_figure(
    tmp_path, capsys, mnist_dir, pendigits_dir
):
    from digitpad.core import pendigits
    from digitpad.core.model_io import load_model

    out = tmp_path / "pen.npz"
    code, result = run_json(
        capsys,
        *("train", "--arch", "classic", "--epochs", "1", "--limit", "500"),
        *("--pen-ratio", "0.25", "--pendigits", str(pendigits_dir)),
        *("--data", str(mnist_dir), "--out", str(out)),
    )
    assert code == 0
    held = result["held_out_writers"]
    assert len(held["held_out_writers"]) == 6 and len(held["train_writers"]) == 24
    assert result["history"][-1]["held_out_writers_accuracy"] == pytest.approx(held["accuracy"])
    model = load_model(out)
    record = model.metadata.training["pen_digits"]
    assert record["sha256"] == pendigits.sha256(pendigits_dir)
    assert record["held_out_writers"] == held["held_out_writers"]
    assert model.metadata.metrics["held_out_writers_accuracy"] == held["accuracy"]
    assert model.metadata.training["config"]["pen_ratio"] == 0.25
    assert model.network.temperature == pytest.approx(held["temperature"])
    # What the README promises: evaluate --strokes gives the same figure, by the writers'
    # ids or by "held-out".
    ids = ",".join(str(w) for w in held["held_out_writers"])
    for writers in (ids, "held-out"):
        code, scores = run_json(
            capsys,
            "evaluate",
            "--model",
            str(out),
            "--strokes",
            str(pendigits_dir),
            "--writers",
            writers,
        )
        assert code == 0
        assert scores["accuracy"] == held["accuracy"]
        assert scores["writers"] == held["held_out_writers"]
        assert scores["temperature"] == pytest.approx(held["temperature"])
        assert 0 <= scores["expected_calibration_error"] <= 1
    # Fine-tuning it with pen digits keeps its held-out writers out (seed 99 alone would
    # pick others), so "held-out" still means writers it never saw.
    writers = sorted({digit.writer for digit in pendigits.load(pendigits_dir)})
    by_seed = sorted(np.random.default_rng([99, 2]).choice(writers, 6, replace=False).tolist())
    assert by_seed != held["held_out_writers"]
    code, tuned = run_json(
        capsys,
        *("train", "--from", str(out), "--epochs", "1", "--limit", "500", "--seed", "99"),
        *("--pen-ratio", "0.25", "--pendigits", str(pendigits_dir)),
        *("--data", str(mnist_dir), "--out", str(tmp_path / "tuned.npz")),
    )
    assert code == 0
    assert tuned["held_out_writers"]["held_out_writers"] == held["held_out_writers"]


@pytest.mark.parametrize(
    "argv,words",
    [
        (["--arch", "default"], "--arch default trains on pen-written digits too"),
        (["--arch", "classic", "--pendigits", "x"], "--pen-ratio 0, so it would not use them"),
        (
            ["--arch", "classic", "--batch-size", "1", "--pen-ratio", "0.5"],
            "do not fit together: pen_ratio leaves no MNIST digits in a batch of 1",
        ),
    ],
)
def test_train_refuses_pen_settings_that_cannot_work(tmp_path, capsys, monkeypatch, argv, words):
    monkeypatch.delenv("DIGITPAD_PENDIGITS_DIR", raising=False)
    assert main(["train", *argv, "--out", str(tmp_path / "m.npz")]) == 1
    assert words in capsys.readouterr().err
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize(
    "argv,words",
    [
        (
            ["--arch", "default", "--pendigits", "p", "--outlier-ratio", "0.03125"],
            "give --letters DIR or set DIGITPAD_UJI_LETTERS_DIR (see README), or --no-letters",
        ),
        (["--arch", "classic", "--letters", "x"], "--letters: this run learns no non-digits"),
        (
            [
                *["--arch", "default", "--pendigits", "p", "--outlier-ratio", "0.1"],
                *["--no-letters", "--letters", "x"],
            ],
            "--letters: --no-letters, so it would not use them",
        ),
    ],
)
def test_train_refuses_letter_settings_that_cannot_work(tmp_path, capsys, monkeypatch, argv, words):
    """Said before any data is looked for: the same without the data sets' variables."""
    for name in ("DIGITPAD_UJI_LETTERS_DIR", "DIGITPAD_MNIST_DIR", "DIGITPAD_PENDIGITS_DIR"):
        monkeypatch.delenv(name, raising=False)
    assert main(["train", *argv, "--out", str(tmp_path / "m.npz")]) == 1
    assert words in capsys.readouterr().err
    assert not (tmp_path / "m.npz").exists()


def test_held_out_writers_of_a_model_trained_without_pen_digits_is_an_error(capsys, pendigits_dir):
    argv = ["--model", "classic", "--strokes", str(pendigits_dir), "--writers", "held-out"]
    assert main(["evaluate", *argv]) == 1
    assert "records no held-out writers (it was not trained on pen digits)" in (
        capsys.readouterr().err
    )


def test_evaluate_reads_the_uji_collection_by_writers_no_model_saw(capsys, uji_digits_dir):
    assert main(["evaluate", "--json", "--strokes", str(uji_digits_dir)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 400 and report["writers"] == list(range(1, 21))
    assert report["accuracy"] >= 0.97  # the bundled default, on another tablet's writers
    assert 0 <= report["unfamiliar_share"] <= 0.02  # real digits, seldom called not a digit
    argv = ["evaluate", "--strokes", str(uji_digits_dir), "--writers", "held-out"]
    assert main(argv) == 1
    assert "whose writers no model here trained on" in capsys.readouterr().err


def test_calibrate_with_strokes_fits_and_stores_a_temperature(tmp_path, capsys, pendigits_dir):
    import shutil

    from digitpad.core.bundled import CLASSIC
    from digitpad.core.model_io import load_model

    path = tmp_path / "classic.npz"
    shutil.copy(CLASSIC.path, path)
    assert main(["calibrate", "--model", str(path), "--strokes", str(pendigits_dir)]) == 1
    assert "--writers: which writers' digits to fit on" in capsys.readouterr().err
    code, result = run_json(
        capsys,
        "calibrate",
        "--model",
        str(path),
        "--strokes",
        str(pendigits_dir),
        "--writers",
        "1-3",
    )
    assert code == 0 and result["writers"] == [1, 2, 3]
    model = load_model(path)
    assert model.network.temperature == pytest.approx(result["temperature"])
    assert model.network.temperature != 1.0
    assert model.metadata.training["temperature_fit"]["ece_after"] == result["ece_after"]
    assert 0.8 < result["accuracy"] <= 1
    # Weights and the rest of the record are as they were.
    original = load_model(CLASSIC.path)
    for name, value in original.network.named_params().items():
        np.testing.assert_array_equal(value, model.network.named_params()[name])
    assert model.metadata.metrics["test_accuracy"] == original.metadata.metrics["test_accuracy"]


def test_samples_add_list_export_import_from_the_command_line(tmp_path, capsys, mnist_test):
    db, other = str(tmp_path / "mine.sqlite"), str(tmp_path / "other.sqlite")
    images = [
        save_digit(mnist_test.as_float()[i], tmp_path / f"d{i}.png", size=140) for i in range(3)
    ]
    blank = save_digit(np.zeros((28, 28)), tmp_path / "blank.png")
    code = main(
        ["samples", "add", *map(str, images), str(blank), "--label", "4", "--db", db, "--json"]
    )
    out, err = capsys.readouterr()
    assert code == 1  # one file failed, named on stderr; the others were kept
    added = json.loads(out)
    assert [a["label"] for a in added] == [4, 4, 4] and [a["id"] for a in added] == [1, 2, 3]
    assert "blank.png: the image is blank" in err
    code = main(["samples", "add", str(images[0]), "--label", "7", "--db", db, "--json"])
    out, err = capsys.readouterr()
    assert code == 1 and json.loads(out) == []
    assert "already stored (sample 1, labelled 4)" in err
    code, listed = run_json(capsys, "samples", "list", "--db", db)
    assert code == 0 and [row["id"] for row in listed] == [1, 2, 3]
    assert main(["samples", "list", "--db", db]) == 0
    assert "3 samples in" in capsys.readouterr().out
    added = []
    for target in (tmp_path / "out.npz", tmp_path / "idx"):
        code, exported = run_json(capsys, "samples", "export", str(target), "--db", db)
        assert code == 0 and exported["count"] == 3
        code, imported = run_json(capsys, "samples", "import", str(target), "--db", other)
        assert code == 0 and imported["added"] + imported["duplicates"] == 3
        added.append(imported["added"])
    assert added == [3, 0]  # the same digits as IDX (no strokes, same inputs): skipped
    code, listed = run_json(capsys, "samples", "list", "--db", other, "--label", "4")
    assert len(listed) == 3
    assert main(["samples", "list", "--db", str(tmp_path / "typo.sqlite")]) == 1
    assert "typo.sqlite: no samples database there" in capsys.readouterr().err
    assert not (tmp_path / "typo.sqlite").exists()


@pytest.mark.parametrize(
    "argv,words",
    [
        (["samples", "import", "nowhere.npz"], "nowhere.npz: no such file or folder"),
        (["samples", "export", "out.txt"], "out.txt: give a .npz file, or a folder"),
    ],
)
def test_samples_commands_refuse_bad_paths_naming_them(tmp_path, capsys, monkeypatch, argv, words):
    from digitpad.core.samples import SampleStore

    monkeypatch.chdir(tmp_path)
    SampleStore(tmp_path / "s.sqlite").close()
    assert main([*argv, "--db", str(tmp_path / "s.sqlite")]) == 1
    assert words in capsys.readouterr().err


def test_a_bad_label_is_refused_by_argparse(capsys):
    with pytest.raises(SystemExit):
        main(["samples", "add", "x.png", "--label", "12"])
    assert "must be from 0 to 10, got 12 (a digit, or 10: not a digit)" in capsys.readouterr().err


def test_samples_not_a_digit_from_the_command_line(tmp_path, capsys):
    from digitpad.core.doodles import doodle
    from digitpad.core.strokes import render

    db, other = str(tmp_path / "mine.sqlite"), str(tmp_path / "other.sqlite")
    images = [
        save_digit(render(doodle(kind, 1)), tmp_path / f"{kind}.png", size=280)
        for kind in ("star", "heart")
    ]
    code, added = run_json(capsys, "samples", "add", str(images[0]), "--label", "10", "--db", db)
    assert code == 0 and added[0]["label"] == 10
    assert main(["samples", "add", str(images[1]), "--label", "not-a-digit", "--db", db]) == 0
    assert "heart.png: kept as not a digit (sample 2)" in capsys.readouterr().out
    assert main(["samples", "list", "--db", db]) == 0
    listed = capsys.readouterr().out
    assert "2 samples in" in listed and "(not a digit: 2)" in listed
    assert "      1  not a digit  " in listed
    code, exported = run_json(capsys, "samples", "export", str(tmp_path / "out.npz"), "--db", db)
    assert code == 0 and exported["count"] == 2
    code, imported = run_json(capsys, "samples", "import", str(tmp_path / "out.npz"), "--db", other)
    assert code == 0 and imported["added"] == 2
    code, listed = run_json(capsys, "samples", "list", "--db", other, "--label", "not-a-digit")
    assert [row["label"] for row in listed] == [10, 10]


def _pen_samples(db, pendigits_dir, writer, per_digit):
    """A samples database of one writer's pen digits, drawn as the canvas draws them."""
    from digitpad.core import pendigits
    from digitpad.core.preprocess import to_mnist
    from digitpad.core.samples import Sample, SampleStore
    from digitpad.core.strokes import render

    digits = [d for d in pendigits.load(pendigits_dir) if d.writer == writer]
    with SampleStore(db) as store:
        for label in range(10):
            for digit in [d for d in digits if d.label == label][:per_digit]:
                strokes = tuple(pendigits.to_canvas(digit))
                canvas = render(strokes)
                store.add(Sample(strokes, canvas, to_mnist(canvas), label))


def test_fine_tuning_a_model_on_your_samples_from_the_command_line(
    tmp_path, capsys, mnist_dir, pendigits_dir
):
    from digitpad.core.doodles import doodle
    from digitpad.core.model_io import load_model
    from digitpad.core.network import NOT_A_DIGIT
    from digitpad.core.preprocess import to_mnist
    from digitpad.core.samples import Sample, SampleStore
    from digitpad.core.strokes import render

    db = tmp_path / "mine.sqlite"
    _pen_samples(db, pendigits_dir, writer=12, per_digit=4)
    with SampleStore(db) as store:  # classic cannot learn these: left out, said in one line
        for seed in range(3):
            canvas = render(doodle("spiral", seed))
            store.add(Sample((), canvas, to_mnist(canvas), NOT_A_DIGIT))
    out = tmp_path / "tuned.npz"
    code = main(
        [
            *("train", "--from", "classic", "--samples", "--db", str(db), "--json"),
            *("--epochs", "1", "--limit", "300", "--data", str(mnist_dir), "--out", str(out)),
        ]
    )
    printed = capsys.readouterr()
    result = json.loads(printed.out)
    assert code == 0
    assert (
        "digitpad train: 3 'not a digit' samples left out: classic has no 'not a digit' output"
        in printed.err.splitlines()
    )
    mine = result["samples"]
    # At least one of each digit's four held out, about a fifth in all.
    assert mine["held_out"] + mine["taught"] == 40 and 10 <= mine["held_out"] <= 20
    assert 0 <= mine["accuracy_before"] <= 1 and 0 <= mine["accuracy_after"] <= 1
    assert result["test_accuracy_before"] == pytest.approx(0.9782, abs=1e-4)  # classic's
    model = load_model(out)
    assert model.metadata.training["fine_tuned_from"]["name"] == "classic"
    assert model.metadata.training["samples"]["held_out"] == mine["held_out"]
    assert model.metadata.training["config"]["samples_ratio"] == 0.25
    assert model.network.spec == load_model(resolve_model("classic")).network.spec


@pytest.mark.parametrize(
    "argv,words",
    [
        (["--db", "x.sqlite"], "--db: give --samples too"),
        (["--samples-ratio", "0.3"], "--samples-ratio: give --samples too"),
        (["--samples", "--db", "absent.sqlite"], "absent.sqlite: no samples database there"),
    ],
)
def test_train_refuses_sample_options_that_cannot_work(tmp_path, capsys, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--arch", "classic", *argv, "--out", "m.npz"]) == 1
    assert words in capsys.readouterr().err
    assert not (tmp_path / "m.npz").exists()

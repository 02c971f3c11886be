"""The slow hostile-input suite (issue 10): every entry point fed what an attacker or an
unlucky user would feed it, each run a separate process bounded in time and memory.

    python -m tests.hostile_suite [--mnist DIR] [--only CLASS] [--seed N]

Classes: model files, images, servers, settings, full disk, interrupts (Ctrl+C and
SIGKILL into running commands, and Ctrl+C into their start), samples, two instances.
Each run ends in one of: handled cleanly (an expected exit status, at most a message),
traceback (a Python traceback reached the user), crash or hang (killed by a signal, or
past its time limit), data lost (a file that was there is damaged, or a file that looks
valid is not). Prints the counts per class and exits 1 if any run was not clean.
Servers are local (127.0.0.1 only); a full disk is RLIMIT_FSIZE or /dev/full; memory is
capped with RLIMIT_AS so an allocation that escapes a check shows as a failure.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the images are drawn with Qt

from digitpad.core.bundled import CLASSIC
from digitpad.core.model_io import ModelMetadata, load_model, save_model
from digitpad.core.network import Network
from tests.core.test_hostile_models import member_bytes, npy_bytes
from tests.httpserver import closed_port_url, misbehaving_server, serve_folder, stalled_server

ROOT = Path(__file__).resolve().parent.parent
CODE = ROOT  # whose digitpad runs: --code runs another checkout's, to compare
STARTUP_HOOK = ROOT / "tests" / "startup_hook"
MEMORY_LIMIT = 3 * 1024**3  # RLIMIT_AS for every run: GBs escaping a check fail it
TIME_LIMIT = 60.0
OUTCOMES = ("clean", "traceback", "crash or hang", "data lost")


@dataclass
class Run:
    kind: str
    name: str
    argv: list[str]
    ok_codes: tuple[int, ...] = (0, 1)
    env: dict = field(default_factory=dict)
    file_limit: int | None = None  # RLIMIT_FSIZE in bytes: a full disk
    stdout_path: str | None = None
    interrupt_after: float | None = None  # SIGINT after this many seconds
    kill_after: float | None = None  # SIGKILL after this many seconds
    check: object = None  # callable() -> str | None: what was lost, if anything
    # SIGINT once the run first looks for this module (tests/startup_hook holds it there).
    interrupt_on_import: str | None = None


def limits(file_limit: int | None):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        if file_limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write fails, as on a full disk
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return apply


def execute(run: Run, base_env: dict, work: Path) -> tuple[str, str]:
    env = {**base_env, **run.env}
    reached = None
    if run.interrupt_on_import is not None:
        reached = work / f"reached-{time.monotonic_ns()}"
        env.update(
            PYTHONPATH=str(STARTUP_HOOK),
            DIGITPAD_TEST_STALL_ON=run.interrupt_on_import,
            DIGITPAD_TEST_STALL_FILE=str(reached),
        )
    stdout = open(run.stdout_path, "w") if run.stdout_path else subprocess.PIPE  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "digitpad", *run.argv],
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=env,
        cwd=CODE,
        preexec_fn=limits(run.file_limit),
    )
    try:
        if reached is not None:
            deadline = time.monotonic() + TIME_LIMIT
            while not reached.exists() and process.poll() is None:
                if time.monotonic() > deadline:
                    raise subprocess.TimeoutExpired(run.argv, TIME_LIMIT)
                time.sleep(0.02)
            if not reached.exists():
                return "crash or hang", f"ended (status {process.returncode}) before the import"
            process.send_signal(signal.SIGINT)
        if run.interrupt_after is not None or run.kill_after is not None:
            delay = run.interrupt_after if run.interrupt_after is not None else run.kill_after
            try:
                process.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                process.send_signal(
                    signal.SIGINT if run.interrupt_after is not None else signal.SIGKILL
                )
        _, err = process.communicate(timeout=TIME_LIMIT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return "crash or hang", f"still running after {TIME_LIMIT:.0f} s"
    finally:
        if run.stdout_path:
            stdout.close()
    err = err.decode(errors="replace")
    lost = run.check() if callable(run.check) else None
    if lost:
        return "data lost", lost
    if "Traceback (most recent call last)" in err:
        return "traceback", err.strip().splitlines()[-1][:160]
    killed = run.kill_after is not None and process.returncode == -signal.SIGKILL
    if process.returncode < 0 and not killed:
        return "crash or hang", f"killed by signal {-process.returncode}"
    interrupted = run.interrupt_after is not None or run.interrupt_on_import is not None
    codes = (*run.ok_codes, 130) if interrupted else run.ok_codes
    if not killed and process.returncode not in codes:
        return "crash or hang", f"exit status {process.returncode}: {err.strip()[-160:]}"
    return "clean", ""


# -- the cases ------------------------------------------------------------------------------


def hostile_models(folder: Path) -> dict[str, Path]:
    """Model files built to hurt, each named for what it does."""
    folder.mkdir(parents=True, exist_ok=True)
    good = save_model(folder / "good.npz", Network(CLASSIC.spec()), ModelMetadata(name="good"))
    with np.load(good) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = json.loads(arrays["header"].tobytes())
    files: dict[str, Path] = {}

    def write(name: str, members: dict[str, bytes]) -> None:
        path = folder / f"{name}.npz"
        with zipfile.ZipFile(path, "w") as out:
            for member, data in members.items():
                out.writestr(member, data)
        files[name] = path

    def with_spec(layers: list) -> dict[str, bytes]:
        spec_header = {**header, "spec": {"input_shape": [1, 28, 28], "layers": layers}}
        text = json.dumps(spec_header).encode()
        return {"header.npy": member_bytes(np.frombuffer(text, dtype=np.uint8))}

    members = {f"{k}.npy": member_bytes(v) for k, v in arrays.items()}
    (folder / "not-a-zip.npz").write_bytes(b"hello")
    files["not a zip"] = folder / "not-a-zip.npz"
    (folder / "truncated.npz").write_bytes(good.read_bytes()[:3000])
    files["truncated"] = folder / "truncated.npz"
    (folder / "empty.npz").write_bytes(b"")
    files["empty file"] = folder / "empty.npz"
    write("header declaring 10^12 values", {"header.npy": npy_bytes((10**12,), "|u1")})
    write(
        "weight declaring 8x30000x30000",
        {**members, "0.weight.npy": npy_bytes((8, 1, 30000, 30000))},
    )
    write("raw pickle member", {**members, "0.weight.npy": b"\x80\x04K\x01."})
    write("no header", {k: v for k, v in members.items() if k != "header.npy"})
    deep = json.dumps(header)[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}"
    write(
        "header nested 5000 deep",
        {**members, "header.npy": member_bytes(np.frombuffer(deep.encode(), np.uint8))},
    )
    write(
        "60 dense layers of 16M",
        with_spec(
            [{"type": "flatten"}]
            + [{"type": "dense", "units": 20000}, {"type": "dense", "units": 784}] * 30
        ),
    )
    write("1000 layers", with_spec([{"type": "relu"}] * 1000))
    write(
        "kernel 4000 same",
        with_spec([{"type": "conv2d", "filters": 1, "kernel": 4000, "padding": "same"}]),
    )
    write("1.6 M filters", with_spec([{"type": "conv2d", "filters": 1_600_000}]))
    big = {**members, "0.weight.npy": member_bytes(np.full_like(arrays["0.weight"], 3e38))}
    write("weights of 3e38", big)
    nan = {**members, "0.weight.npy": member_bytes(np.full_like(arrays["0.weight"], np.nan))}
    write("NaN weights", nan)
    with zipfile.ZipFile(folder / "duplicate.npz", "w") as out:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for member, data in [*members.items(), ("0.weight.npy", members["0.weight.npy"])]:
                out.writestr(member, data)
    files["duplicate member"] = folder / "duplicate.npz"
    (folder / "a-folder.npz").mkdir()
    files["a folder"] = folder / "a-folder.npz"
    os.mkfifo(folder / "a-fifo.npz")
    files["a FIFO"] = folder / "a-fifo.npz"
    (folder / "dangling.npz").symlink_to(folder / "nowhere.npz")
    files["dangling link"] = folder / "dangling.npz"
    files["300-character name"] = folder / ("n" * 300 + ".npz")
    return files


def model_runs(work: Path, mnist: str) -> list[Run]:
    runs = []
    for name, path in hostile_models(work / "models").items():
        runs.append(
            Run(
                "model files",
                f"evaluate: {name}",
                ["evaluate", "--model", str(path), "--data", mnist],
            )
        )
        runs.append(
            Run(
                "model files",
                f"gui FILE: {name}",
                ["gui", "--screenshot", str(work / "shot.png"), str(path)],
            )
        )
    # The whole set in a library the app lists at start: the start must not fail.
    library = work / "xdg" / "digitpad" / "models"
    library.mkdir(parents=True, exist_ok=True)
    for path in (work / "models").iterdir():
        if path.is_file() and not path.is_symlink():
            shutil.copy(path, library / path.name)
    (library / "dangling.npz").symlink_to(work / "nowhere.npz")
    runs.append(
        Run(
            "model files",
            "start with all of them in the library",
            ["gui", "--screenshot", str(work / "shot.png")],
            ok_codes=(0,),
            env={"XDG_DATA_HOME": str(work / "xdg")},
        )
    )
    return runs


def image_runs(work: Path) -> list[Run]:
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter

    _app = QGuiApplication.instance() or QGuiApplication([])
    folder = work / "images"
    folder.mkdir()
    files: dict[str, str] = {}
    for w, h in ((10000, 3), (3, 10000), (1, 1)):
        image = QImage(w, h, QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.fillRect(w // 3, h // 3, max(1, w // 3), max(1, h // 3), QColor("black"))
        painter.end()
        image.save(str(folder / f"{w}x{h}.png"))
        files[f"{w}x{h} image"] = str(folder / f"{w}x{h}.png")
    png = (
        (folder / "10000x1.png").read_bytes()
        if (folder / "10000x1.png").exists()
        else (folder / "10000x3.png").read_bytes()
    )
    (folder / "truncated.png").write_bytes(png[: len(png) // 2])
    files["truncated PNG"] = str(folder / "truncated.png")
    # A PNG header declaring 60000x60000 pixels (3.6 G pixels) with almost no data.
    header = png[:16] + (60000).to_bytes(4, "big") + (60000).to_bytes(4, "big") + png[24:33]
    (folder / "bomb.png").write_bytes(header + png[33:200])
    files["PNG declaring 60000x60000"] = str(folder / "bomb.png")
    (folder / "text.png").write_text("not an image")
    files["text named .png"] = str(folder / "text.png")
    (folder / "empty.png").write_bytes(b"")
    files["empty file"] = str(folder / "empty.png")
    weird = os.path.join(os.fsencode(folder), b"caf\xe9.png")
    shutil.copy(folder / "1x1.png", weird)
    files["name not UTF-8"] = os.fsdecode(weird)
    files["300-character name"] = str(folder / ("n" * 300 + ".png"))
    (folder / "dir.png").mkdir()
    files["a folder"] = str(folder / "dir.png")
    os.mkfifo(folder / "fifo.png")
    files["a FIFO"] = str(folder / "fifo.png")
    runs = []
    for name, path in files.items():
        runs.append(Run("images", f"predict: {name}", ["predict", path]))
        runs.append(
            Run(
                "images",
                f"gui --image: {name}",
                ["gui", "--screenshot", str(work / "shot.png"), "--image", path],
            )
        )
    return runs


def settings_runs(work: Path) -> list[Run]:
    values = {
        "pen width 1e400": "[canvas]\npen_width=1e400\n",
        "zoom nan": "[view]\nzoom=nan\n",
        "zoom 1e9": "[view]\nzoom=1000000000\n",
        "presentation invalid": "[view]\npresentation=@Invalid()\n",
        "model path 5000 chars": "[model]\npath=" + "x" * 5000 + "\n",
        "model path a list": "[model]\npath=a, b, c\n",
        "geometry garbage": "[window]\ngeometry=@ByteArray(garbage)\n",
        "binary junk": "\0\xff\xfe[[[\n=\n",
    }
    runs = []
    for name, text in values.items():
        home = work / f"config-{len(runs)}"
        (home / "digitpad").mkdir(parents=True)
        (home / "digitpad" / "digitpad.conf").write_text(text, errors="surrogateescape")
        runs.append(
            Run(
                "settings",
                name,
                ["gui", "--screenshot", str(work / "shot.png")],
                ok_codes=(0,),
                env={"XDG_CONFIG_HOME": str(home)},
            )
        )
    return runs


def server_runs(work: Path, contexts: list) -> list[Run]:
    runs = []
    for mode in ("trickle", "endless", "garbage", "headers", "oversize", "missing"):
        url = contexts.pop(0)
        target = work / f"download-{mode}"
        runs.append(
            Run(
                "servers",
                mode,
                [
                    "data",
                    "download",
                    "--dir",
                    str(target),
                    "--mirror",
                    url,
                    "--timeout",
                    "2",
                    "--deadline",
                    "3",
                ],
                check=nothing_partial(target),
            )
        )
    for name in ("stalled", "closed port"):
        url = contexts.pop(0)
        target = work / f"download-{name}"
        runs.append(
            Run(
                "servers",
                name,
                ["data", "download", "--dir", str(target), "--mirror", url, "--timeout", "2"],
                check=nothing_partial(target),
            )
        )
    return runs


def nothing_partial(folder: Path):
    def check() -> str | None:
        if not folder.exists():
            return None
        left = [p.name for p in folder.iterdir()]
        return f"left {left}" if left else None

    return check


def full_disk_runs(work: Path, mnist: str) -> list[Run]:
    out = work / "kept.npz"
    save_model(out, Network(CLASSIC.spec()), ModelMetadata(name="kept"))
    before = out.read_bytes()

    def kept_intact() -> str | None:
        return None if out.read_bytes() == before else f"{out} was damaged"

    runs = [
        Run(
            "full disk",
            "train over an existing model, 20 KB left",
            [
                "train",
                "--arch",
                "classic",
                "--limit",
                "200",
                "--epochs",
                "1",
                "--data",
                mnist,
                "--out",
                str(out),
            ],
            file_limit=20_000,
            check=kept_intact,
        ),
        Run(
            "full disk",
            "predict --json to /dev/full",
            ["predict", str(ROOT / "resources" / "digitpad.svg"), "--json"],
            stdout_path="/dev/full",
        ),
        Run(
            "full disk",
            "evaluate --json to /dev/full",
            ["evaluate", "--data", mnist, "--json"],
            stdout_path="/dev/full",
        ),
        Run(
            "full disk",
            "screenshot with 1 KB left",
            ["gui", "--screenshot", str(work / "full.png")],
            file_limit=1024,
        ),
        Run(
            "full disk",
            "download with 100 KB left",
            ["data", "download", "--dir", str(work / "dl-full"), "--mirror", "MIRROR"],
            file_limit=100_000,
            check=nothing_partial(work / "dl-full"),
        ),
    ]
    return runs


def interrupt_runs(work: Path, mnist: str, rng: random.Random, mirror: str) -> list[Run]:
    runs = []
    for index in range(8):
        out = work / f"interrupted-{index}.npz"
        runs.append(
            Run(
                "interrupts",
                f"Ctrl+C into train at {(delay := rng.uniform(0.3, 4)):.1f} s",
                [
                    "train",
                    "--arch",
                    "classic",
                    "--limit",
                    "3000",
                    "--epochs",
                    "1",
                    "--data",
                    mnist,
                    "--out",
                    str(out),
                ],
                interrupt_after=delay,
                check=valid_or_absent(out),
            )
        )
    for index in range(4):
        runs.append(
            Run(
                "interrupts",
                f"Ctrl+C into evaluate at {(delay := rng.uniform(0.3, 3)):.1f} s",
                ["evaluate", "--data", mnist],
                interrupt_after=delay,
            )
        )
        target = work / f"dl-int-{index}"
        runs.append(
            Run(
                "interrupts",
                f"Ctrl+C into download at {(delay := rng.uniform(0.3, 2)):.1f} s",
                ["data", "download", "--dir", str(target), "--mirror", mirror],
                interrupt_after=delay,
                check=nothing_or_verified(target),
            )
        )
    for index in range(6):
        out = work / f"killed-{index}.npz"
        runs.append(
            Run(
                "interrupts",
                f"SIGKILL into train at {(delay := rng.uniform(0.5, 6)):.1f} s",
                [
                    "train",
                    "--arch",
                    "classic",
                    "--limit",
                    "2000",
                    "--epochs",
                    "1",
                    "--data",
                    mnist,
                    "--out",
                    str(out),
                ],
                kill_after=delay,
                check=valid_or_absent(out),
            )
        )
    # While a command starts: its imports (NumPy, the CLI), inside Qt's (shiboken's start,
    # where Python once aborted) and after it; held there, or at random moments.
    screenshot = ["gui", "--screenshot", str(work / "start.png")]
    image = str(ROOT / "resources" / "digitpad.svg")
    for module in ("numpy", "digitpad.cli", "PySide6.support", "PySide6.QtWidgets"):
        runs.append(
            Run(
                "interrupts",
                f"Ctrl+C into the start, importing {module}",
                screenshot,
                interrupt_on_import=module,
            )
        )
    runs.append(
        Run(
            "interrupts",
            "Ctrl+C into predict, importing PySide6.support",
            ["predict", image],
            interrupt_on_import="PySide6.support",
        )
    )
    runs.append(
        Run(
            "interrupts",
            "Ctrl+C into evaluate, importing numpy",
            ["evaluate", "--data", mnist],
            interrupt_on_import="numpy",
        )
    )
    for _ in range(4):
        runs.append(
            Run(
                "interrupts",
                f"Ctrl+C into the start of gui at {(delay := rng.uniform(0.3, 1.5)):.2f} s",
                screenshot,
                interrupt_after=delay,
            )
        )
    return runs


def samples_runs(work: Path, rng: random.Random) -> list[Run]:
    """The samples database and its exports: hostile files to import, a damaged database,
    a full disk and SIGKILL in the middle of an import; the samples there before survive."""
    from digitpad.core.samples import SampleStore, export_npz
    from tests.core.test_samples import declare_size, drawing, npy, without_drawings

    folder = work / "samples"
    folder.mkdir()
    export = folder / "export.npz"
    with SampleStore(folder / "source.sqlite") as source:
        source.add_many([drawing(seed, seed % 10) for seed in range(1000, 1060)])
        export_npz(source, export)

    def database(name: str, count: int = 30) -> Path:
        path = folder / f"{name}.sqlite"
        with SampleStore(path) as store:
            store.add_many([drawing(seed, seed % 10) for seed in range(count)])
        return path

    def kept(path: Path, count: int = 30, only: bool = False):
        """The samples there before survive (``only``: and none was added)."""

        def check() -> str | None:
            with SampleStore(path) as store:
                if store.recovered_from is not None:
                    return f"{path.name} was found damaged"
                ids = {s.id for s in store.summaries()}
            missing = set(range(1, count + 1)) - ids
            if missing:
                return f"samples {sorted(missing)[:5]} of {path.name} are gone"
            if only and len(ids) != count:
                return f"{len(ids) - count} samples of a refused import were kept in {path.name}"
            return None

        return check

    hostile = {
        "not a zip": b"PK\x03\x04 then nothing",
        "pickled objects": None,
        "wrong shapes": None,
        "huge declared size": None,
        # The archive says as much data as the header, but holds half: found while reading.
        "a member shorter than the archive says": None,
        # Found only when sample 3,000 is read, after 2,999 were stored in the transaction.
        "an input of 2.0 in the last of 3,000 samples": None,
    }
    files = {}
    for name in hostile:
        path = folder / f"{name.replace(' ', '-')}.npz"
        if name == "not a zip":
            path.write_bytes(hostile[name])
        elif name == "pickled objects":
            np.savez(path, inputs=np.array([object()], dtype=object), labels=np.array([1]))
        elif name == "wrong shapes":
            np.savez(path, inputs=np.zeros((5, 9, 9), np.float32), labels=np.arange(5))
        elif name == "a member shorter than the archive says":
            arrays = without_drawings(40)
            inputs = npy(arrays.pop("inputs"))
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("inputs.npy", inputs[: len(inputs) // 2])
                for key, array in arrays.items():
                    archive.writestr(f"{key}.npy", npy(array))
            declare_size(path, "inputs.npy", len(inputs))
        elif name.startswith("an input of 2.0"):
            np.savez(path, **without_drawings(3_000, inputs={2_999: 2.0}))
        else:
            with zipfile.ZipFile(path, "w") as archive:
                header = npy_bytes(np.zeros((1,), np.float32))
                member = header.replace(b"(1,)", b"(4000000000, 28, 28)")
                archive.writestr("inputs.npy", member)
                archive.writestr("labels.npy", npy_bytes(np.arange(1)))
        files[name] = path
    runs = [
        Run(
            "samples",
            f"import {name}",
            ["samples", "import", str(path), "--db", str(database(f"into-{index}"))],
            ok_codes=(1,),
            check=kept(folder / f"into-{index}.sqlite", only=True),
        )
        for index, (name, path) in enumerate(files.items())
    ]
    damaged = folder / "damaged.sqlite"
    damaged.write_bytes(os.urandom(20_000))
    original = damaged.read_bytes()

    def moved_aside_whole() -> str | None:
        aside = list(folder.glob("damaged-damaged-*.sqlite"))
        if len(aside) != 1 or aside[0].read_bytes() != original:
            return "the damaged database was not kept whole"
        return None

    runs.append(
        Run(
            "samples",
            "list a damaged database",
            ["samples", "list", "--db", str(damaged)],
            check=moved_aside_whole,
        )
    )
    full = database("full")
    runs.append(
        Run(
            "samples",
            "import with 1 KB more room",
            ["samples", "import", str(export), "--db", str(full)],
            file_limit=full.stat().st_size + 1024,
            check=kept(full),
        )
    )
    for index in range(4):
        killed = database(f"killed-{index}")
        runs.append(
            Run(
                "samples",
                f"SIGKILL into an import at {(delay := rng.uniform(0.3, 2.0)):.1f} s",
                ["samples", "import", str(export), "--db", str(killed)],
                kill_after=delay,
                check=kept(killed),
            )
        )
    return runs


def valid_or_absent(path: Path):
    def check() -> str | None:
        if not path.exists():
            return None
        try:
            load_model(path)
        except Exception as exc:
            return f"{path.name} exists but does not load: {exc}"
        return None

    return check


def nothing_or_verified(folder: Path):
    def check() -> str | None:
        if not folder.exists():
            return None
        from digitpad.core.data import _verify

        for path in folder.iterdir():
            if path.name.startswith("."):
                continue  # a temporary, removed by the next download
            stem = path.name.removesuffix(".gz")
            if _verify(path, stem) is not None:
                return f"{path.name} looks valid but is not"
        return None

    return check


def two_instances(work: Path, saves: int = 40) -> tuple[str, str]:
    folder = work / "shared-library"
    code = (
        "import sys; from pathlib import Path; import numpy as np\n"
        "from digitpad.core.bundled import CLASSIC; from digitpad.core.library import Library\n"
        "from digitpad.core.model_io import ModelMetadata\n"
        "from digitpad.core.network import Network\n"
        "lib = Library(Path(sys.argv[1])); net = Network(CLASSIC.spec())\n"
        "sys.stdin.readline()\n"
        "for i in range(int(sys.argv[2])): lib.add(net, ModelMetadata(name='same'))\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(folder), str(saves)],
            stdin=subprocess.PIPE,
            cwd=CODE,
            preexec_fn=limits(None),
        )
        for _ in range(2)
    ]
    for process in processes:
        process.stdin.write(b"go\n")
        process.stdin.flush()
    codes = [process.wait(timeout=TIME_LIMIT) for process in processes]
    if codes != [0, 0]:
        return "crash or hang", f"exit statuses {codes}"
    count = len(list(folder.glob("*.npz")))
    if count != 2 * saves:
        return "data lost", f"{count} of {2 * saves} saves kept"
    return "clean", ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--mnist", default=os.environ.get("DIGITPAD_MNIST_DIR", "../shared/data/mnist")
    )
    parser.add_argument("--only", help="run one class only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--code", type=Path, help="a checkout whose digitpad to run instead")
    args = parser.parse_args()
    global CODE
    CODE = args.code.resolve() if args.code else ROOT
    mnist = str(Path(args.mnist).resolve())
    rng = random.Random(args.seed)
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    findings: list[str] = []
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        home = work / "home"
        base_env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
        }
        base_env.pop("DIGITPAD_MNIST_DIR", None)
        servers = [
            misbehaving_server(m)
            for m in ("trickle", "endless", "garbage", "headers", "oversize", "missing")
        ]
        with contextlib_exit_stack() as stack:
            urls = [stack.enter_context(s) for s in servers]
            urls.append(stack.enter_context(stalled_server()))
            urls.append(closed_port_url())
            good = stack.enter_context(serve_folder(Path(mnist)))
            runs = (
                model_runs(work, mnist)
                + image_runs(work)
                + settings_runs(work)
                + server_runs(work, urls)
                + [
                    Run(
                        r.kind,
                        r.name,
                        [good if a == "MIRROR" else a for a in r.argv],
                        r.ok_codes,
                        r.env,
                        r.file_limit,
                        r.stdout_path,
                        r.interrupt_after,
                        r.kill_after,
                        r.check,
                    )
                    for r in full_disk_runs(work, mnist)
                ]
                + interrupt_runs(work, mnist, rng, good)
                + samples_runs(work, rng)
            )
            runs = [r for r in runs if args.only in (None, r.kind)]
            started = time.monotonic()
            for run in runs:
                outcome, detail = execute(run, base_env, work)
                counts[run.kind][outcome] += 1
                if outcome != "clean":
                    findings.append(f"{run.kind}: {run.name}: {outcome}: {detail}")
            if args.only in (None, "two instances"):
                for _ in range(3):
                    outcome, detail = two_instances(work)
                    counts["two instances"][outcome] += 1
                    if outcome != "clean":
                        findings.append(f"two instances: {outcome}: {detail}")
                    shutil.rmtree(work / "shared-library", ignore_errors=True)
    width = max(len(kind) for kind in counts) + 2
    print(f"{'class':{width}} {'tried':>6} " + " ".join(f"{o:>14}" for o in OUTCOMES))
    for kind, counter in counts.items():
        print(
            f"{kind:{width}} {sum(counter.values()):6d} "
            + " ".join(f"{counter[o]:14d}" for o in OUTCOMES)
        )
    total = collections.Counter()
    for counter in counts.values():
        total.update(counter)
    print(
        f"{'all':{width}} {sum(total.values()):6d} " + " ".join(f"{total[o]:14d}" for o in OUTCOMES)
    )
    print(f"({time.monotonic() - started:.0f} s)")
    for finding in findings:
        print(finding)
    return 1 if findings else 0


def contextlib_exit_stack():
    import contextlib

    return contextlib.ExitStack()


if __name__ == "__main__":
    sys.exit(main())

"""MNIST: reading and validating IDX files, finding the data folder, verified download."""

from __future__ import annotations

import errno
import gzip
import hashlib
import http.client
import os
import sys
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad.core.atomic import commit, remove_leftovers, temporary_beside

ENV_VAR = "DIGITPAD_MNIST_DIR"
IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# SHA-256 of each decompressed file: the canonical MNIST hashes.
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
DOWNLOAD_SIZE_MB = 11
# The decompressed size of each file (its IDX header and data): exact, whatever the mirror.
DECOMPRESSED_BYTES = {
    "train-images-idx3-ubyte": 47_040_016,
    "train-labels-idx1-ubyte": 60_008,
    "t10k-images-idx3-ubyte": 7_840_016,
    "t10k-labels-idx1-ubyte": 10_008,
}
# Reading: the largest of them, with room; more is refused, not decompressed.
MAX_IDX_BYTES = 64 * 1024 * 1024
HOW_TO_POINT = (
    f"If you already have the four MNIST IDX files, pass --data DIR or set {ENV_VAR}=DIR "
    "to the folder that holds them."
)


class DatasetError(Exception):
    """MNIST missing, malformed or failing verification; the message names the file."""


# -- reading -----------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            gzipped = handle.read(2) == b"\x1f\x8b"
            handle.seek(0)
            if not gzipped:
                raw = handle.read(MAX_IDX_BYTES + 1)
            else:
                # Streamed, and never past the cap: a small .gz can inflate to gigabytes.
                with gzip.GzipFile(fileobj=handle) as inflating:
                    raw = inflating.read(MAX_IDX_BYTES + 1)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DatasetError(f"{path}: corrupt gzip data ({exc})") from exc
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if len(raw) > MAX_IDX_BYTES:
        raise DatasetError(
            f"{path}: holds more than {MAX_IDX_BYTES:,} bytes; no MNIST file is that large"
        )
    return raw


def parse_idx(raw: bytes, path: Path, expected_magic: int) -> np.ndarray:
    """Decoded IDX bytes -> uint8 array of the declared shape; checks magic and sizes."""
    if len(raw) < 4:
        raise DatasetError(f"{path}: too short to be an IDX file ({len(raw)} bytes)")
    magic = int.from_bytes(raw[:4], "big")
    if magic != expected_magic:
        raise DatasetError(
            f"{path}: magic number {magic} where {expected_magic} was expected "
            "(not an MNIST IDX file of this kind)"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(f"{path}: header truncated ({len(raw)} bytes)")
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims, dtype=np.int64))
    actual = len(raw) - header
    if actual != expected:
        raise DatasetError(
            f"{path}: header declares {dims} = {expected} bytes of data but the file has {actual}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _find_file(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        if (folder / name).is_file():
            return folder / name
    raise DatasetError(f"{folder}: missing {stem}.gz (or {stem})")


def _images_from(raw: bytes, path: Path) -> np.ndarray:
    images = parse_idx(raw, path, IMAGES_MAGIC)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DatasetError(f"{path}: images must be 28x28, got shape {images.shape}")
    return images


def read_images(path: Path) -> np.ndarray:
    return _images_from(_read_bytes(path), path)


def read_labels(path: Path, most: int = 9) -> np.ndarray:
    """An IDX file of labels 0 to ``most`` (the samples' exports have 10, not a digit)."""
    labels = parse_idx(_read_bytes(path), path, LABELS_MAGIC)
    if labels.ndim != 1:
        raise DatasetError(f"{path}: labels must be one-dimensional, got shape {labels.shape}")
    if labels.size and labels.max() > most:
        raise DatasetError(f"{path}: label {int(labels.max())} is outside 0-{most}")
    return labels


@dataclass(frozen=True)
class Split:
    """images (N, 28, 28) uint8, labels (N,) uint8, and the hash of the decoded image file."""

    images: np.ndarray
    labels: np.ndarray
    sha256: str

    def as_float(self) -> np.ndarray:
        """(N, 28, 28) float32 in [0, 1], the network's input scale."""
        return self.images.astype(np.float32) / 255.0


def load_split(folder: Path, split: str) -> Split:
    """split 'train' or 'test': reads and cross-checks its images and labels."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    prefix = split
    images_path = _find_file(folder, FILES[f"{prefix}_images"])
    labels_path = _find_file(folder, FILES[f"{prefix}_labels"])
    raw = _read_bytes(images_path)  # kept: its hash identifies the training data
    images = _images_from(raw, images_path)
    labels = read_labels(labels_path)
    if len(labels) != len(images):
        raise DatasetError(
            f"{labels_path}: {len(labels)} labels for {len(images)} images in {images_path.name}"
        )
    if len(images) == 0:  # nothing to train on or score: an accuracy of 0 would be a lie
        raise DatasetError(f"{images_path}: holds no images")
    return Split(images, labels, hashlib.sha256(raw).hexdigest())


# -- locating ----------------------------------------------------------------------------


def user_data_dir() -> Path:
    """The platform's per-user data folder for digitpad (not created here)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "digitpad"


def default_mnist_dir() -> Path:
    return user_data_dir() / "mnist"


def has_mnist(folder: Path) -> bool:
    try:
        for stem in FILES.values():
            _find_file(folder, stem)
    except (DatasetError, OSError, ValueError):  # a path too long, or with a NUL, is not it
        return False
    return True


def find_mnist_dir(
    explicit: str | os.PathLike | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """--data DIR, then $DIGITPAD_MNIST_DIR, then the user data folder."""
    environ = os.environ if environ is None else environ
    if explicit:
        folder = Path(explicit)
        if not has_mnist(folder):
            raise DatasetError(f"{folder}: does not hold the four MNIST IDX files (--data)")
        return folder
    if environ.get(ENV_VAR):
        folder = Path(environ[ENV_VAR])
        if not has_mnist(folder):
            raise DatasetError(f"{folder}: does not hold the four MNIST IDX files ({ENV_VAR})")
        return folder
    folder = default_mnist_dir()
    if has_mnist(folder):
        return folder
    raise DatasetError(
        f"MNIST not found in {folder}. Run `digitpad data download` to fetch it "
        f"(about {DOWNLOAD_SIZE_MB} MB). {HOW_TO_POINT}"
    )


# -- downloading -------------------------------------------------------------------------

Progress = Callable[[str, int, int], None]  # (file name, bytes done, bytes total or 0)


def _verify(path: Path, stem: str) -> str | None:
    """None when the decompressed file's SHA-256 is canonical, else the reason."""
    try:
        with gzip.open(path, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except (OSError, EOFError, zlib.error) as exc:
        return f"not valid gzip data ({exc})"
    if digest != SHA256[stem]:
        return f"SHA-256 of the decompressed data is {digest}, expected {SHA256[stem]}"
    return None


class DownloadFailed(Exception):
    """One mirror could not give one file; the next mirror is tried."""


def download_cap(stem: str) -> int:
    """The most bytes a mirror may send for ``stem``.gz: gzip never grows data by more
    than a few bytes per 32 KB block, so its decompressed size plus a margin."""
    return DECOMPRESSED_BYTES[stem] + DECOMPRESSED_BYTES[stem] // 1000 + 65_536


def deadline_for(stem: str, timeout: float) -> float:
    """Seconds one file may take in all: a slow line (100 KB/s) with its connection
    ``timeout`` to spare. A server that trickles bytes forever is cut off."""
    return timeout + download_cap(stem) / 100_000


def _fetch(
    url: str,
    target: Path,
    timeout: float,
    cap: int,
    deadline: float,
    progress: Progress | None,
    should_stop: Callable[[], bool] | None,
) -> None:
    """Stream url into target, reporting progress under the URL's file name; at most
    ``cap`` bytes, in at most ``deadline`` seconds, stopping when asked."""
    name = url.rsplit("/", 1)[-1]
    start = time.monotonic()
    with urllib.request.urlopen(url, timeout=timeout) as response:
        declared = response.headers.get("Content-Length")
        total = int(declared) if declared and declared.isdigit() else 0
        if total > cap:
            raise DownloadFailed(f"the server offers {total:,} bytes; at most {cap:,} expected")
        done = 0
        with open(target, "wb") as out:
            # read1: what has arrived, so a trickling server meets the deadline check
            while chunk := response.read1(64 * 1024):
                if should_stop and should_stop():
                    raise DownloadCancelled(f"download of {name} cancelled")
                done += len(chunk)
                if done > cap:
                    raise DownloadFailed(f"the server sent more than {cap:,} bytes")
                if time.monotonic() - start > deadline:
                    raise DownloadFailed(f"took longer than {deadline:.0f} s")
                out.write(chunk)
                if progress:
                    progress(name, done, total)


PART_SUFFIX = ".part"


class DownloadCancelled(DatasetError):
    """The caller asked the download to stop; nothing partial is left behind."""


def download_mnist(
    folder: Path | None = None,
    mirrors: tuple[str, ...] = MIRRORS,
    progress: Progress | None = None,
    timeout: float = 10.0,
    should_stop: Callable[[], bool] | None = None,
    deadline: float | None = None,
) -> Path:
    """Fetch the four .gz files into folder, verified; returns the folder.

    Each file goes to a temporary name in the same folder and is renamed only once its
    decompressed SHA-256 matches, so an interrupted or corrupted download never leaves
    a file that looks valid. Files already present and valid are kept. Each file gets at
    most ``download_cap`` bytes and ``deadline`` seconds (``deadline_for`` by default);
    any failure of a mirror, HTTP errors and broken responses included, tries the next.
    """
    folder = Path(folder) if folder is not None else default_mnist_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetError(f"{folder}: cannot create the data folder ({exc})") from exc
    for stem in FILES.values():  # ours only, from a download that was killed
        remove_leftovers(folder, f".{stem}.gz.*{PART_SUFFIX}")
    for stem in FILES.values():
        final = folder / f"{stem}.gz"
        if final.is_file() and _verify(final, stem) is None:
            continue
        failures: list[str] = []
        unreachable = 0
        for mirror in mirrors:
            url = mirror + f"{stem}.gz"
            handle, temp = temporary_beside(final, PART_SUFFIX)
            os.close(handle)
            try:
                _fetch(
                    url,
                    temp,
                    timeout,
                    download_cap(stem),
                    deadline if deadline is not None else deadline_for(stem, timeout),
                    progress,
                    should_stop,
                )
                problem = _verify(temp, stem)
                if problem is None:
                    commit(temp, final)
                    break
                failures.append(f"{url}: {problem}")
            except urllib.error.HTTPError as exc:  # the server answered: not offline
                failures.append(f"{url}: HTTP {exc.code} {exc.reason}")
            except urllib.error.URLError as exc:  # no answer at all
                unreachable += 1
                failures.append(f"{url}: {exc.reason}")
            except (DownloadFailed, http.client.HTTPException, ValueError) as exc:
                failures.append(f"{url}: {exc or type(exc).__name__}")
            except OSError as exc:  # a connection dropped or timed out, or a local disk
                if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES):
                    raise DatasetError(f"{folder}: cannot write ({exc.strerror})") from exc
                unreachable += 1
                failures.append(f"{url}: {exc.strerror or exc}")
            finally:
                temp.unlink(missing_ok=True)
        else:
            hint = "Are you offline? " if unreachable == len(failures) else ""
            raise DatasetError(
                f"could not download {stem}.gz:\n  "
                + "\n  ".join(failures)
                + f"\n{hint}{HOW_TO_POINT}"
            )
    return folder

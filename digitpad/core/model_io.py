"""The model file: an .npz of float32 arrays plus a JSON header, never pickle.

Layout: ``header`` is a uint8 array holding UTF-8 JSON (format, version, spec, training
settings, metrics, data hash, creation time, digitpad version); every other entry is a
parameter named ``<layer index>.<param>`` as in ``Network.named_params``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from digitpad import __version__
from digitpad.core.network import Network, SpecError

FORMAT = "digitpad-model"
FORMAT_VERSION = 1
HEADER_KEY = "header"
# No real model is near this; a larger archive is refused before anything is inflated.
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024


class ModelFormatError(Exception):
    """A model file that cannot be trusted; the message names the file and the fault."""


@dataclass(frozen=True)
class ModelMetadata:
    """What a model file says about itself, beside the weights."""

    name: str = ""
    training: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    data_sha256: str = ""
    created: str = ""
    digitpad_version: str = __version__


@dataclass(frozen=True)
class Model:
    network: Network
    metadata: ModelMetadata
    path: Path | None = None


def save_model(path: str | os.PathLike, network: Network, metadata: ModelMetadata) -> Path:
    """Write atomically: a temporary file in the same folder, flushed, then renamed."""
    path = Path(path)
    created = metadata.created or datetime.now(UTC).isoformat(timespec="seconds")
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "spec": network.spec,
        "name": metadata.name,
        "training": metadata.training,
        "metrics": metadata.metrics,
        "data_sha256": metadata.data_sha256,
        "created": created,
        "digitpad_version": metadata.digitpad_version,
    }
    arrays = {name: np.asarray(a, dtype=np.float32) for name, a in network.named_params().items()}
    arrays[HEADER_KEY] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez(out, **arrays)
            out.flush()
            os.fsync(out.fileno())
        # mkstemp makes the file private (0600); give it the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp_name, 0o666 & ~umask)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path


def _check_archive(path: Path) -> None:
    """Refuse non-zip files and zip bombs before numpy inflates anything."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise ModelFormatError(f"{path}: not a digitpad model (not an .npz archive)") from exc
    except OSError as exc:
        raise ModelFormatError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ModelFormatError(f"{path}: archive would inflate to {total} bytes; refusing")


def _read_header(path: Path, raw: np.ndarray) -> dict:
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ModelFormatError(
            f"{path}: header must be a 1-D uint8 array, got {raw.dtype} {raw.shape}"
        )
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"{path}: header is not valid JSON ({exc})") from exc
    if not isinstance(header, dict):
        raise ModelFormatError(f"{path}: header must be a JSON object")
    if header.get("format") != FORMAT:
        raise ModelFormatError(f"{path}: not a digitpad model (format {header.get('format')!r})")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFormatError(
            f"{path}: format version {version!r} is not supported (this digitpad reads "
            f"{FORMAT_VERSION})"
        )
    for key, kind in (
        ("training", dict),
        ("metrics", dict),
        ("name", str),
        ("data_sha256", str),
        ("created", str),
        ("digitpad_version", str),
    ):
        if not isinstance(header.get(key, kind()), kind):
            raise ModelFormatError(f"{path}: header field {key!r} must be a {kind.__name__}")
    return header


def _network_from(path: Path, header: dict) -> Network:
    try:
        return Network(header.get("spec"))
    except (SpecError, TypeError) as exc:
        raise ModelFormatError(f"{path}: invalid network spec: {exc}") from exc


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_metadata(path: Path, metrics: dict, training: dict) -> None:
    """The fields the app reads have the types it reads them as, or the file is refused."""
    for key, value in metrics.items():
        values = value if isinstance(value, list) else [value]
        if not all(_is_number(v) for v in values):
            raise ModelFormatError(
                f"{path}: metric {key!r} must be a finite number, got {value!r}"[:300]
            )
    for key in ("test_accuracy", "validation_accuracy"):
        if key in metrics and not (_is_number(metrics[key]) and 0 <= metrics[key] <= 1):
            raise ModelFormatError(f"{path}: metric {key!r} must be between 0 and 1")
    if "config" in training and not isinstance(training["config"], dict):
        raise ModelFormatError(f"{path}: training field 'config' must be an object")
    images = training.get("images")
    if images is not None and (not isinstance(images, int) or isinstance(images, bool)):
        raise ModelFormatError(f"{path}: training field 'images' must be an integer")


def _few(names: list[str], limit: int = 5) -> str:
    """A list for a message, cut short: a hostile file may hold thousands of names."""
    shown = ", ".join(names[:limit])
    return f"[{shown}{f', and {len(names) - limit} more' if len(names) > limit else ''}]"


def load_model(path: str | os.PathLike) -> Model:
    """Read and validate everything; raises ModelFormatError naming the file and fault."""
    path = Path(path)
    try:
        is_file = path.is_file()
    except (OSError, ValueError) as exc:  # a name too long for the system, a NUL in it
        raise ModelFormatError(f"{str(path)[:200]}: not a usable path ({exc})") from exc
    if not is_file:
        raise ModelFormatError(f"{path}: no such model file")
    _check_archive(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = set(archive.files)
            if HEADER_KEY not in names:
                raise ModelFormatError(f"{path}: no header (not a digitpad model)")
            header = _read_header(path, archive[HEADER_KEY])
            network = _network_from(path, header)
            expected = network.named_params()
            missing = sorted(set(expected) - names)
            extra = sorted(names - set(expected) - {HEADER_KEY})
            if missing or extra:
                raise ModelFormatError(
                    f"{path}: arrays do not match the spec (missing {_few(missing)}, "
                    f"unexpected {_few(extra)})"
                )
            # Only the arrays the spec names are ever read.
            arrays = {name: archive[name] for name in expected}
    except ModelFormatError:
        raise
    except ValueError as exc:  # includes "Object arrays cannot be loaded when allow_pickle"
        raise ModelFormatError(f"{path}: unreadable array ({exc})") from exc
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise ModelFormatError(f"{path}: corrupt or truncated ({exc})") from exc
    for name, target in expected.items():
        array = arrays[name]
        if array.dtype != np.float32:
            raise ModelFormatError(f"{path}: array {name} is {array.dtype}, expected float32")
        if array.shape != target.shape:
            raise ModelFormatError(
                f"{path}: array {name} has shape {array.shape}, the spec needs {target.shape}"
            )
        if not np.isfinite(array).all():
            raise ModelFormatError(f"{path}: array {name} holds NaN or infinite values")
    network.set_params(arrays)
    metrics = header.get("metrics", {})
    _check_metadata(path, metrics, header.get("training", {}))
    metadata = ModelMetadata(
        name=header.get("name", ""),
        training=header.get("training", {}),
        metrics=metrics,
        data_sha256=header.get("data_sha256", ""),
        created=header.get("created", ""),
        digitpad_version=header.get("digitpad_version", ""),
    )
    return Model(network, metadata, path)

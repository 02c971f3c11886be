"""The model file: an .npz of float32 arrays plus a JSON header, never pickle.

Layout: ``header`` is a uint8 array holding UTF-8 JSON (format, version, spec, training
settings, metrics, data hash, creation time, digitpad version); every other entry is a
parameter named ``<layer index>.<param>`` as in ``Network.named_params``.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from digitpad import __version__
from digitpad.core.atomic import atomic_file
from digitpad.core.network import Network, SpecError
from digitpad.core.paths import file_problem, shown

FORMAT = "digitpad-model"
FORMAT_VERSION = 1
HEADER_KEY = "header"
# In the metrics: what predictions divide the logits by (calibration.py); 1 when absent.
TEMPERATURE_KEY = "temperature"
# No real model is near this; a larger archive is refused before anything is inflated.
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024
MAX_HEADER_BYTES = 1024 * 1024
# Trained weights are below 10 in magnitude; a few of 3e38 still count as finite but turn
# every prediction into NaN.
MAX_ABS_WEIGHT = 1e4


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


def save_model(
    path: str | os.PathLike, network: Network, metadata: ModelMetadata, exclusive: bool = False
) -> Path:
    """Write atomically (``atomic.atomic_file``); with ``exclusive``, FileExistsError
    rather than overwrite a file of that name."""
    path = Path(path)
    created = metadata.created or datetime.now(UTC).isoformat(timespec="seconds")
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "spec": network.spec,
        "name": metadata.name,
        "training": metadata.training,
        "metrics": _with_temperature(metadata.metrics, network.temperature),
        "data_sha256": metadata.data_sha256,
        "created": created,
        "digitpad_version": metadata.digitpad_version,
    }
    arrays = {name: np.asarray(a, dtype=np.float32) for name, a in network.named_params().items()}
    arrays[HEADER_KEY] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, exclusive) as out:
        np.savez(out, **arrays)
    return path


def _with_temperature(metrics: dict, temperature: float) -> dict:
    """The network's temperature is the truth: recorded when it is not 1, dropped when it is."""
    metrics = {key: value for key, value in metrics.items() if key != TEMPERATURE_KEY}
    if temperature != 1.0:
        metrics[TEMPERATURE_KEY] = temperature
    return metrics


def _members(path: Path, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The archive's arrays by name: each an ``.npy`` member, each name once, and all of
    them small enough together, checked before anything is inflated."""
    infos = archive.infolist()
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ModelFormatError(f"{path}: archive would inflate to {total} bytes; refusing")
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if not info.filename.endswith(".npy"):
            raise ModelFormatError(f"{path}: unexpected member {info.filename[:80]!r}")
        name = info.filename[: -len(".npy")]
        if name in members:  # numpy would silently take the last copy
            raise ModelFormatError(f"{path}: array {name[:80]!r} is stored twice")
        members[name] = info
    return members


def _read_array(
    path: Path,
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    dtype: np.dtype,
    shape: tuple[int, ...] | None,
    max_items: int,
) -> np.ndarray:
    """One ``.npy`` member, its declared dtype and shape checked before a byte of data is
    read (numpy would allocate whatever a header declares): ``shape`` exactly, or any
    1-D shape of at most ``max_items`` when None. Never unpickles."""
    name = info.filename[: -len(".npy")]
    with archive.open(info) as member:
        try:
            version = np.lib.format.read_magic(member)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            declared, fortran, declared_dtype = read_header(member)
        except ValueError as exc:  # not .npy data (a raw pickle stream, text, junk)
            raise ModelFormatError(f"{path}: array {name} is not a NumPy array ({exc})") from exc
        if declared_dtype != dtype:
            raise ModelFormatError(
                f"{path}: array {name} is {declared_dtype}, expected {np.dtype(dtype)}"
            )
        if shape is not None and declared != shape:
            raise ModelFormatError(
                f"{path}: array {name} has shape {declared}, the spec needs {shape}"
            )
        if shape is None and (len(declared) != 1 or declared[0] > max_items):
            raise ModelFormatError(
                f"{path}: array {name} must be 1-D with at most {max_items} values, "
                f"got shape {declared}"
            )
        count = math.prod(declared)
        data = member.read(count * declared_dtype.itemsize + 1)
    if len(data) != count * declared_dtype.itemsize:
        raise ModelFormatError(f"{path}: array {name} holds the wrong number of bytes")
    return np.frombuffer(data, dtype=declared_dtype).reshape(
        declared, order="F" if fortran else "C"
    )


def _read_header(path: Path, raw: np.ndarray) -> dict:
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"{path}: header is not valid JSON ({exc})") from exc
    except RecursionError as exc:  # JSON nested thousands of levels deep
        raise ModelFormatError(f"{path}: header is nested too deeply") from exc
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
    _check_metadata(path, header.get("metrics", {}), header.get("training", {}))
    return header


def _network_from(path: Path, header: dict) -> Network:
    try:
        return Network(header.get("spec"))
    except (SpecError, TypeError) as exc:
        raise ModelFormatError(f"{path}: invalid network spec: {exc}") from exc
    except RecursionError as exc:
        raise ModelFormatError(f"{path}: invalid network spec: nested too deeply") from exc


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


def _open(path: Path) -> zipfile.ZipFile:
    problem = file_problem(path)
    if problem is not None:
        if problem == "no such file":
            problem = "no such model file"
        raise ModelFormatError(f"{shown(path)}: {problem}")
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ModelFormatError(f"{path}: not a digitpad model (not an .npz archive)") from exc
    except OSError as exc:
        raise ModelFormatError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _metadata(header: dict) -> ModelMetadata:
    return ModelMetadata(
        name=header.get("name", ""),
        training=header.get("training", {}),
        metrics=header.get("metrics", {}),
        data_sha256=header.get("data_sha256", ""),
        created=header.get("created", ""),
        digitpad_version=header.get("digitpad_version", ""),
    )


def _header_of(path: Path, archive: zipfile.ZipFile, members: dict) -> dict:
    if HEADER_KEY not in members:
        raise ModelFormatError(f"{path}: no header (not a digitpad model)")
    raw = _read_array(
        path, archive, members[HEADER_KEY], np.dtype(np.uint8), None, MAX_HEADER_BYTES
    )
    return _read_header(path, raw)


def _guarded(path: Path, read):
    """Run ``read``; a file's fault anywhere in it becomes a ModelFormatError."""
    try:
        return read()
    except ModelFormatError:
        raise
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise ModelFormatError(f"{path}: corrupt or truncated ({exc})") from exc
    except MemoryError as exc:
        raise ModelFormatError(f"{path}: too large to open") from exc


def read_metadata(path: str | os.PathLike) -> ModelMetadata:
    """What a model file says about itself, from its header alone (no weights read, no
    network built): for listing many files. Raises ModelFormatError like ``load_model``."""
    path = Path(path)

    def read() -> ModelMetadata:
        with _open(path) as archive:
            return _metadata(_header_of(path, archive, _members(path, archive)))

    return _guarded(path, read)


def load_model(path: str | os.PathLike) -> Model:
    """Read and validate everything, each array's size before reading it; raises
    ModelFormatError naming the file and the fault."""
    path = Path(path)

    def read() -> Model:
        with _open(path) as archive:
            members = _members(path, archive)
            header = _header_of(path, archive, members)
            network = _network_from(path, header)
            expected = network.named_params()
            missing = sorted(set(expected) - set(members))
            extra = sorted(set(members) - set(expected) - {HEADER_KEY})
            if missing or extra:
                raise ModelFormatError(
                    f"{path}: arrays do not match the spec (missing {_few(missing)}, "
                    f"unexpected {_few(extra)})"
                )
            arrays = {
                name: _read_array(
                    path, archive, members[name], np.dtype(np.float32), target.shape, 0
                )
                for name, target in expected.items()
            }
        for name, array in arrays.items():
            if not np.isfinite(array).all():
                raise ModelFormatError(f"{path}: array {name} holds NaN or infinite values")
            largest = float(np.abs(array).max()) if array.size else 0.0
            if largest > MAX_ABS_WEIGHT:
                raise ModelFormatError(
                    f"{path}: array {name} holds a weight of {largest:.3g}; trained weights "
                    f"stay far below {MAX_ABS_WEIGHT:g} (larger ones overflow a prediction)"
                )
        network.set_params(arrays)
        temperature = header.get("metrics", {}).get(TEMPERATURE_KEY, 1.0)
        try:
            network.temperature = temperature
        except ValueError as exc:
            raise ModelFormatError(f"{path}: {exc}") from exc
        return Model(network, _metadata(header), path)

    return _guarded(path, read)

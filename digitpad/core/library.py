"""The user's own trained models: a folder of model files, listed, renamed, deleted, exported.

Every write is atomic (see ``model_io.save_model``), so a crash leaves either the old
state or the new one plus, at worst, a hidden temporary file that ``clean_leftovers``
removes on the next start.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from digitpad.core.atomic import TEMP_SUFFIX, atomic_file, remove_leftovers
from digitpad.core.data import user_data_dir
from digitpad.core.model_io import (
    ModelFormatError,
    ModelMetadata,
    load_model,
    read_metadata,
    save_model,
)
from digitpad.core.network import Network

SUFFIX = ".npz"


class LibraryError(Exception):
    """A library operation that cannot be done; the message names the model or file."""


@dataclass(frozen=True)
class Entry:
    """One file in the library, as its header describes it, or a broken one with the
    reason (the weights are read when the model is chosen, not to list it)."""

    path: Path
    metadata: ModelMetadata | None
    problem: str | None

    @property
    def name(self) -> str:
        if self.metadata is not None and self.metadata.name:
            return self.metadata.name
        return self.path.stem


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # a dangling link: listed first, as broken
        return 0.0


def default_folder() -> Path:
    return user_data_dir() / "models"


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name.strip()).strip("-.")
    return slug[:60] or "model"


class Library:
    """The model files in one folder (the user data folder unless told otherwise)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_folder()

    def clean_leftovers(self) -> list[Path]:
        """Remove temporary files left by a save that was killed (not a running one's:
        see ``atomic.remove_leftovers``); returns what went."""
        return remove_leftovers(self.folder, f".*{SUFFIX}.*{TEMP_SUFFIX}")

    def entries(self) -> list[Entry]:
        """Every model file, oldest first, from its header alone; a broken file (or one
        that cannot even be looked at, such as a dangling link) is listed with its problem,
        never raised."""
        try:
            paths = list(self.folder.glob(f"*{SUFFIX}")) if self.folder.is_dir() else []
        except OSError:  # an unreadable folder lists nothing
            return []
        entries = []
        for path in sorted(paths, key=_modified):
            try:
                entries.append(Entry(path, read_metadata(path), None))
            except ModelFormatError as exc:
                entries.append(Entry(path, None, str(exc)))
        return entries

    def _save_new(self, name: str, network: Network, metadata: ModelMetadata) -> Path:
        """Save under the first free file name made from ``name`` (name.npz, name-2.npz,
        ...). Each name is taken exclusively: another process saving the same name at the
        same moment gets the next one, and neither save is lost."""
        base = _slug(name)
        for number in range(1, 10_000):
            candidate = self.folder / (
                f"{base}{SUFFIX}" if number == 1 else f"{base}-{number}{SUFFIX}"
            )
            if candidate.exists():
                continue
            try:
                return save_model(candidate, network, metadata, exclusive=True)
            except FileExistsError:
                continue
        raise LibraryError(f"{self.folder}: no free file name for {name!r}")

    def add(self, network: Network, metadata: ModelMetadata) -> Path:
        """Save a new model under a file name made from its display name."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            return self._save_new(metadata.name, network, metadata)
        except OSError as exc:
            raise LibraryError(f"{self.folder}: cannot save the model ({_reason(exc)})") from exc

    def _check(self, path: Path) -> Path:
        path = Path(path)
        if path.parent.resolve() != self.folder.resolve() or not path.is_file():
            raise LibraryError(f"{path}: not a model in {self.folder}")
        return path

    def rename(self, path: Path, new_name: str) -> Path:
        """Give a model a new display name (and a matching file name)."""
        new_name = new_name.strip()
        if not new_name:
            raise LibraryError("a model needs a non-empty name")
        path = self._check(path)
        try:
            model = load_model(path)
        except ModelFormatError as exc:
            raise LibraryError(f"cannot rename a broken model: {exc}") from exc
        metadata = replace(model.metadata, name=new_name)
        try:
            if _slug(new_name) == path.stem:
                return save_model(path, model.network, metadata)
            target = self._save_new(new_name, model.network, metadata)
            path.unlink()
        except OSError as exc:
            raise LibraryError(f"{path}: cannot rename ({_reason(exc)})") from exc
        return target

    def delete(self, path: Path) -> None:
        path = self._check(path)
        try:
            path.unlink()
        except OSError as exc:
            raise LibraryError(f"{path}: cannot delete ({_reason(exc)})") from exc


def export_model(path: Path, destination: Path) -> Path:
    """Copy a model file elsewhere, atomically (temporary copy, then rename)."""
    destination = Path(destination)
    if destination.suffix != SUFFIX:
        destination = destination.with_suffix(SUFFIX)
    try:
        with atomic_file(destination) as out, open(path, "rb") as source:
            shutil.copyfileobj(source, out)
    except OSError as exc:
        raise LibraryError(f"{destination}: cannot export ({_reason(exc)})") from exc
    return destination

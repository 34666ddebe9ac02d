"""Where akb keeps package data and its cache."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def data_path(name: str) -> Path:
    """Path of a file shipped in ``akb/data``."""
    return Path(str(resources.files("akb") / "data" / name))


def cache_dir() -> Path:
    """``$AKB_CACHE_DIR``, else ``$XDG_CACHE_HOME/akb``, else ``~/.cache/akb``."""
    env = os.environ.get("AKB_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "akb"


def default_cache_path() -> Path:
    return cache_dir() / "responses.sqlite"


def blocking_file(path: Path) -> Path | None:
    """The first existing non-directory among ``path``'s ancestors (which makes it impossible
    to create ``path``), or None."""
    for parent in list(reversed(path.parents)):
        if parent.exists() and not parent.is_dir():
            return parent
    return None


def check_dir_target(path: str | Path, what: str = "output folder") -> str:
    """Refuse a folder to be created where it cannot be: ``path`` is a file (or another
    non-folder), or one of its parents is. Returns ``path`` as given; raises ValueError."""
    p = Path(path).expanduser()
    if not str(path).strip():
        raise ValueError(f"empty {what} path")
    if p.exists() and not p.is_dir():
        raise ValueError(f"{p} exists and is not a folder; the {what} must be a folder")
    bad = blocking_file(p)
    if bad is not None:
        raise ValueError(f"{bad} is a file, so the {what} {p} cannot be created under it")
    return str(path)


SQLITE_MAGIC = b"SQLite format 3\x00"


def check_cache_file(path: str | Path) -> str:
    """A response-cache path must be an SQLite file or not exist yet (its folder creatable);
    raises ValueError otherwise."""
    p = Path(path).expanduser()
    if not str(path).strip():
        raise ValueError("empty cache path")
    if p.is_dir():
        raise ValueError(f"{p} is a folder; the cache must be a file, e.g. {p / 'responses.sqlite'}")
    if p.exists():
        if not p.is_file():
            raise ValueError(f"{p} is not a regular file")
        with p.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
        if head and head != SQLITE_MAGIC:
            raise ValueError(f"{p} is not an SQLite cache file (it would be overwritten); choose another path")
    bad = blocking_file(p)
    if bad is not None:
        raise ValueError(f"{bad} is a file, so the cache {p} cannot be created under it")
    return str(path)


def models_dir() -> Path:
    """Model files akb derives (a GGUF model's dequantised copy, joined chunk files):
    ``$AKB_MODELS_DIR``, else ``models`` in the cache folder."""
    env = os.environ.get("AKB_MODELS_DIR")
    return Path(env) if env else cache_dir() / "models"

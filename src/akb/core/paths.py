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


def models_dir() -> Path:
    """Model files akb derives (a GGUF model's dequantised copy, joined chunk files):
    ``$AKB_MODELS_DIR``, else ``models`` in the cache folder."""
    env = os.environ.get("AKB_MODELS_DIR")
    return Path(env) if env else cache_dir() / "models"

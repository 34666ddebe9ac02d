"""Stable hashing of JSON-able data and of model weights."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no whitespace: equal data gives equal text."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def stable_hash(obj: Any, length: int = 64) -> str:
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()[:length]


def _file_fingerprint(path: Path, full_limit: int) -> str:
    """sha256 of the whole file when small; of size + head/middle/tail chunks when large."""
    size = path.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with path.open("rb") as f:
        if size <= full_limit:
            for block in iter(lambda: f.read(_CHUNK), b""):
                h.update(block)
        else:
            for offset in (0, size // 2, max(0, size - _CHUNK)):
                f.seek(offset)
                h.update(f.read(_CHUNK))
    return h.hexdigest()


def file_fingerprint(path: str | Path, full_limit: int = 64 * _CHUNK) -> str:
    """Fingerprint of one weights file (a GGUF model), as :func:`directory_fingerprint` does."""
    return _file_fingerprint(Path(path), full_limit)[:16]


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".json", ".model", ".txt")


def directory_fingerprint(path: str | Path, full_limit: int = 64 * _CHUNK) -> str:
    """Fingerprint of a local model folder: weights, configs and tokenizer files.

    Files up to ``full_limit`` bytes are hashed whole; bigger ones by size plus three 1 MiB
    chunks, so a 16 GB checkpoint fingerprints in milliseconds yet any re-save, fine-tune
    step or different shard changes the result.
    """
    root = Path(path)
    h = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    for p in files:
        h.update(p.relative_to(root).as_posix().encode())
        h.update(_file_fingerprint(p, full_limit).encode())
    return h.hexdigest()[:16]

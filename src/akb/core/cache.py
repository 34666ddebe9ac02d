"""SQLite cache of model responses.

The key is a hash of the backend's model identity (backend, name, revision or weights
fingerprint, and any setting that changes outputs) and the full request. Secrets are never
part of an identity, so they never reach the cache. WAL mode lets several processes share
one cache file.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from akb.core.hashing import canonical_json, stable_hash

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    identity TEXT NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def cache_key(identity: dict[str, Any], request: dict[str, Any]) -> str:
    return stable_hash({"identity": identity, "request": request})


class ResponseCache:
    def __init__(self, path: str | Path) -> None:
        from akb.core.errors import ConfigError
        from akb.core.paths import check_cache_file

        self.path = Path(path)
        try:
            check_cache_file(self.path)
        except ValueError as e:
            raise ConfigError(f"cache: {e}") from None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(_SCHEMA)
            self._conn.commit()
        except sqlite3.DatabaseError as e:
            raise ConfigError(f"cache {self.path}: not a usable SQLite cache ({e})") from None
        self._deferred = 0  # > 0 inside batch(): puts commit on flush() instead of each put

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Commit puts together (one SQLite commit per model batch, not per response);
        whatever is pending is committed on exit, however the block ends."""
        self._deferred += 1
        try:
            yield
        finally:
            self._deferred -= 1
            self.flush()

    def flush(self) -> None:
        with self._lock:
            self._conn.commit()

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT response FROM responses WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def get_many(self, keys: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for k, v in self._conn.execute(
                    f"SELECT key, response FROM responses WHERE key IN ({marks})", chunk
                ):
                    out[k] = v
        return out

    def put(self, key: str, identity: dict[str, Any], request: dict[str, Any], response: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?)",
                (key, canonical_json(identity), canonical_json(request), response, time.time()),
            )
            if not self._deferred:
                self._conn.commit()

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()

"""The review store: one SQLite file holding the items under review and every decision.

Decisions are append-only: a reviewer who changes their mind adds a newer decision, the
older one stays as history. WAL mode lets the web server, ``akb review status`` and a
Label Studio import use the file at once. The schema carries a version; a file written by
a newer akb is refused rather than misread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from akb.bench.items import Item
from akb.core.errors import DataError
from akb.review.content import Shown, content_key
from akb.review.decision import Decision

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    pos INTEGER NOT NULL,
    content_key TEXT NOT NULL,
    item TEXT NOT NULL,
    source TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS decisions (
    uid TEXT PRIMARY KEY,
    item_id TEXT NOT NULL,
    content_key TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('review', 'adjudication')),
    at TEXT NOT NULL,
    shown TEXT NOT NULL,
    blind_answer TEXT CHECK (blind_answer IS NULL OR blind_answer IN ('A', 'B', 'C', 'D')),
    verdict TEXT NOT NULL CHECK (verdict IN ('accept', 'edit', 'reject')),
    note TEXT,
    edit TEXT,
    source TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reveals (
    reviewer TEXT NOT NULL,
    item_id TEXT NOT NULL,
    content_key TEXT NOT NULL,
    blind_answer TEXT CHECK (blind_answer IS NULL OR blind_answer IN ('A', 'B', 'C', 'D')),
    at TEXT NOT NULL,
    PRIMARY KEY (reviewer, item_id, content_key)
);
CREATE INDEX IF NOT EXISTS decisions_item ON decisions (item_id);
CREATE INDEX IF NOT EXISTS decisions_reviewer ON decisions (reviewer, content_key);
"""

_COLS = "uid, item_id, content_key, reviewer, role, at, shown, blind_answer, verdict, note, edit, source"


@dataclass(frozen=True)
class StoredItem:
    pos: int
    item: Item
    content_key: str

    @property
    def id(self) -> str:
        return self.item.id

    @property
    def shown(self) -> Shown:
        return Shown.of(self.item)


class ReviewStore:
    """Thread-safe access to one review database (one connection, one lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise DataError("is a directory, expected a review database file", file=self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._items_cache: tuple[tuple, list[StoredItem]] | None = None
        try:
            self._conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
            row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.DatabaseError as e:
            raise DataError(f"not a review database ({e})", file=self.path) from None
        if row is None:
            self._conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            self._conn.commit()
        elif int(row[0]) > SCHEMA_VERSION:
            raise DataError(f"review database schema {row[0]} is newer than this akb understands ({SCHEMA_VERSION}); "
                            "upgrade akb", file=self.path)

    # ------------------------------------------------------------------ items
    def set_items(self, items: Sequence[Item], source: str) -> None:
        """Make ``items`` the set under review (replacing the previous set; decisions stay)."""
        at = datetime.now(timezone.utc).isoformat()
        rows = [(it.id, pos, content_key(it), json.dumps(it.to_json(), ensure_ascii=False), source, at)
                for pos, it in enumerate(items)]
        with self._lock, self._conn:
            self._conn.execute("DELETE FROM items")
            self._conn.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?)", rows)

    def items(self) -> list[StoredItem]:
        """The items under review in file order (parsed once per loaded set)."""
        with self._lock:
            stamp = tuple(self._conn.execute("SELECT COUNT(*), MAX(loaded_at), MAX(source) FROM items").fetchone())
            if self._items_cache is not None and self._items_cache[0] == stamp:
                return list(self._items_cache[1])
            rows = self._conn.execute("SELECT pos, item, content_key FROM items ORDER BY pos").fetchall()
        items = [StoredItem(pos, Item.model_validate_json(js), key) for pos, js, key in rows]
        self._items_cache = (stamp, items)
        return list(items)

    def item(self, item_id: str) -> StoredItem | None:
        with self._lock:
            row = self._conn.execute("SELECT pos, item, content_key FROM items WHERE id = ?", (item_id,)).fetchone()
        return StoredItem(row[0], Item.model_validate_json(row[1]), row[2]) if row else None

    def items_source(self) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT source FROM items LIMIT 1").fetchone()
        return row[0] if row else None

    # ------------------------------------------------------------------ blind answers
    def reveal(self, reviewer: str, item_id: str, key: str, blind_answer: str | None) -> str | None:
        """Lock the reviewer's blind answer for this version and return the locked one: the
        first reveal wins, so a blind answer cannot be changed after the key was seen."""
        at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        with self._lock, self._conn:
            self._conn.execute("INSERT OR IGNORE INTO reveals VALUES (?, ?, ?, ?, ?)",
                               (reviewer, item_id, key, blind_answer, at))
            row = self._conn.execute("SELECT blind_answer FROM reveals WHERE reviewer = ? AND item_id = ? AND "
                                     "content_key = ?", (reviewer, item_id, key)).fetchone()
        return row[0]

    def revealed(self, reviewer: str, item_id: str, key: str) -> tuple[bool, str | None]:
        """(whether the key was revealed to this reviewer, their locked blind answer)."""
        with self._lock:
            row = self._conn.execute("SELECT blind_answer FROM reveals WHERE reviewer = ? AND item_id = ? AND "
                                     "content_key = ?", (reviewer, item_id, key)).fetchone()
        return (row is not None, row[0] if row else None)

    # ------------------------------------------------------------------ decisions
    def add(self, decision: Decision) -> bool:
        """Record a decision; False if one with the same uid is already there."""
        with self._lock, self._conn:
            cur = self._conn.execute(f"INSERT OR IGNORE INTO decisions ({_COLS}) VALUES ({','.join('?' * 12)})",
                                     _row(decision))
            return cur.rowcount == 1

    def add_many(self, decisions: Iterable[Decision]) -> int:
        rows = [_row(d) for d in decisions]
        with self._lock, self._conn:
            before = self._conn.total_changes
            self._conn.executemany(f"INSERT OR IGNORE INTO decisions ({_COLS}) VALUES ({','.join('?' * 12)})", rows)
            return self._conn.total_changes - before

    def decisions(self, item_id: str | None = None, reviewer: str | None = None) -> list[Decision]:
        """Decisions in the order they were made (oldest first)."""
        sql, args = f"SELECT {_COLS} FROM decisions", []
        where = []
        if item_id is not None:
            where.append("item_id = ?")
            args.append(item_id)
        if reviewer is not None:
            where.append("reviewer = ?")
            args.append(reviewer)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY at, uid"
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [_decision(r) for r in rows]

    def decided_keys(self, reviewer: str) -> set[tuple[str, str]]:
        """(item id, content key) pairs this reviewer has decided in the review role."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT DISTINCT item_id, content_key FROM decisions WHERE reviewer = ? AND role = 'review'",
                (reviewer,)).fetchall()
        return {(a, b) for a, b in rows}

    def reviewer_counts(self) -> dict[tuple[str, str], int]:
        """(item id, content key) -> how many reviewers decided it in the review role."""
        with self._lock:
            rows = self._conn.execute("SELECT item_id, content_key, COUNT(DISTINCT reviewer) FROM decisions "
                                      "WHERE role = 'review' GROUP BY item_id, content_key").fetchall()
        return {(a, b): n for a, b, n in rows}

    def import_from(self, other: ReviewStore) -> int:
        """Copy another store's decisions in (a reviewer who worked on their own file)."""
        return self.add_many(other.decisions())

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _row(d: Decision) -> tuple:
    return (d.uid, d.item_id, d.content_key, d.reviewer, d.role,
            d.at.astimezone(timezone.utc).isoformat(timespec="milliseconds"), d.shown.model_dump_json(),
            d.blind_answer, d.verdict, d.note, d.edit.model_dump_json() if d.edit else None, d.source)


def _decision(r: Sequence) -> Decision:
    uid, item_id, key, reviewer, role, at, shown, blind, verdict, note, edit, source = r
    return Decision.model_validate({
        "uid": uid, "item_id": item_id, "content_key": key, "reviewer": reviewer, "role": role, "at": at,
        "shown": json.loads(shown), "blind_answer": blind, "verdict": verdict, "note": note,
        "edit": json.loads(edit) if edit else None, "source": source})

"""Run directories: the recorded config (for resume checks) and environment facts."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from akb.core.errors import ResumeError
from akb.core.hashing import canonical_json, stable_hash
from akb.core.jsonl import write_json_atomic
from akb.core.provenance import git_commit, package_versions
from akb.core.results import LOCK_FILE, RUN_FILE


def slug(text: str, length: int = 80) -> str:
    """A spec or name as a file-name part: letters, digits, '-' and '.'; the rest '_'."""
    return "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in text)[:length]


def open_run_dir(run_dir: Path, fingerprint: dict[str, Any], *, overwrite: bool = False) -> dict[str, Any]:
    """Create the run directory, or check it holds the same run; returns the run record.

    ``fingerprint`` is everything that decides the answers (model identity, mode, prompt,
    decoding, data). Resuming with a different one would mix two runs in one file.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / RUN_FILE
    digest = stable_hash(fingerprint, 16)
    if path.exists():
        import json

        old = json.loads(path.read_text(encoding="utf-8"))
        if old.get("fingerprint_hash") != digest:
            if not overwrite:
                changed = sorted(k for k in fingerprint if canonical_json(old.get("fingerprint", {}).get(k)) != canonical_json(fingerprint[k]))
                raise ResumeError(
                    f"{run_dir} holds a different run (changed: {', '.join(changed) or 'format'}); "
                    "choose another --out, or pass --overwrite to start it again"
                )
            for f in run_dir.iterdir():
                if f.is_file() and not f.name.startswith(LOCK_FILE):  # the lock is held by this run
                    f.unlink()
        else:
            return old
    record = {
        "fingerprint_hash": digest,
        "fingerprint": fingerprint,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "versions": package_versions(),
        "git_commit": git_commit(),
    }
    write_json_atomic(path, record)
    return record

"""MMAR in its official format, ``MMAR-meta.json`` (a JSON list) or ``.jsonl``.

Fields: ``id``, ``audio_path`` (relative to the release folder), ``question``, ``choices``,
``answer`` (choice text), ``modality`` (sound, music, speech and the mixed ones such as
``mix-sound-speech``; all are kept and scored), ``category`` (Signal, Perception,
Semantic, Cultural layer), ``sub-category``, ``language``, ``source``, ``url``,
``timestamp``, ``thinking`` and more, all kept verbatim in ``AudioItem.meta``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from akb.bench.audio_benchmarks import (
    AudioBenchmark,
    choices_of,
    convert_records,
    file_sha256,
    optional_str,
)
from akb.core.errors import ConfigError


def convert(rec: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(rec["id"]),
        "question": str(rec["question"]),
        "choices": choices_of(rec),
        "answer": optional_str(rec, "answer"),
        "audio": str(rec["audio_path"]),
        "group": optional_str(rec, "modality"),
        "category": optional_str(rec, "category"),
        "subcategory": optional_str(rec, "sub-category"),
        "difficulty": optional_str(rec, "difficulty"),
    }


def load(arg: str | None, audio_root: Path | None = None) -> AudioBenchmark:
    if not arg:
        raise ConfigError("mmar needs its metadata file: mmar:PATH/MMAR-meta.json")
    path = Path(arg).expanduser()
    items, problems, records = convert_records(path, "mmar", convert)
    return AudioBenchmark(
        name="mmar", split=None, path=path, audio_root=audio_root or path.parent,
        items=items, problems=problems, sha256=file_sha256(path), records=records,
    )

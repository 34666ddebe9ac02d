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

from akb.audiobench.benchmarks import AudioBenchmark, convert_records, file_sha256, standard_fields
from akb.core.errors import ConfigError


def convert(rec: dict[str, Any]) -> dict[str, Any]:
    return standard_fields(rec, audio_key="audio_path", group_key="modality")


def load(arg: str | None, audio_root: Path | None = None) -> AudioBenchmark:
    if not arg:
        raise ConfigError("mmar needs its metadata file: mmar:PATH/MMAR-meta.json")
    path = Path(arg).expanduser()
    items, problems, records = convert_records(path, "mmar", convert)
    return AudioBenchmark(
        name="mmar", split=None, path=path, audio_root=audio_root or path.parent,
        items=items, problems=problems, sha256=file_sha256(path), records=records,
    )

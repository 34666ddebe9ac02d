"""MMAU (test-mini and test) in its official JSON format.

Fields: ``id``, ``audio_id`` (a wav path relative to the release folder, e.g.
``./test-mini-audios/ID.wav``), ``question``, ``choices`` (2 to 8 strings), ``answer``
(the choice text; absent from the test split), ``dataset``, ``task``
(sound|music|speech), ``split``, ``category``, ``sub-category``, ``difficulty``. Every
field is kept verbatim in ``AudioItem.meta``. Clip paths resolve under ``audio_root``
(default: the JSON file's folder).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from akb.audiobench.benchmarks import AudioBenchmark, convert_records, file_sha256, standard_fields
from akb.core.errors import ConfigError


def convert(rec: dict[str, Any]) -> dict[str, Any]:
    return standard_fields(rec, audio_key="audio_id", group_key="task")


def guess_split(path: Path, records: dict[str, dict[str, Any]]) -> str | None:
    splits = {str(r.get("split")) for r in records.values() if r.get("split")}
    if len(splits) == 1:
        return splits.pop()
    low = path.name.lower()
    if "test-mini" in low or "test_mini" in low:
        return "test-mini"
    if "test" in low:
        return "test"
    return None


def load(arg: str | None, audio_root: Path | None = None, *, name: str = "mmau") -> AudioBenchmark:
    if not arg:
        raise ConfigError(f"{name} needs its JSON file: {name}:PATH/mmau-test-mini.json")
    path = Path(arg).expanduser()
    items, problems, records = convert_records(path, name, convert)
    return AudioBenchmark(
        name=name, split=guess_split(path, records), path=path, audio_root=audio_root or path.parent,
        items=items, problems=problems, sha256=file_sha256(path), records=records,
    )

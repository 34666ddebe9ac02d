"""TEMPORARY stand-ins for the cascade branch's benchmark loaders, official scorers and
summary writer, used by ``akb ground eval`` until that branch is merged. Delete this module
when wiring them in (see the three marked calls in ``akb.runs.grounded``).

- :func:`load_items`: AudioItem records, as JSONL or a JSON list (not MMAU/MMAR files).
- :func:`score`: exact choice-text match (case and spacing ignored); NOT the official
  MMAU/MMAR word-set rule.
- :func:`write_summary`: ``summary.json`` / ``summary.md`` with ``metrics.official.overall``
  only, computed by the interim rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from akb.analysis.metrics import wilson
from akb.bench.audio_items import AudioItem
from akb.bench.items import normalise_text
from akb.core.errors import DataError
from akb.core.jsonl import iter_jsonl, write_json_atomic


def load_items(path: str | Path) -> list[AudioItem]:
    p = Path(path)
    if p.suffix == ".json":
        try:
            raw = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise DataError(f"not a readable JSON file ({e})", file=p) from None
        rows = list(enumerate(raw if isinstance(raw, list) else [], start=1))
    else:
        rows = list(iter_jsonl(p))
    items = []
    for line, obj in rows:
        try:
            items.append(AudioItem.model_validate(obj))
        except ValidationError as e:
            err = e.errors()[0]
            raise DataError(err["msg"], file=p, line=line, field=".".join(map(str, err["loc"])) or None) from None
    if not items:
        raise DataError("no items", file=p)
    return items


def score(items: Sequence[AudioItem], predictions: Mapping[str, str | None]) -> dict[str, Any]:
    correct = 0
    missing = 0
    for it in items:
        pred = predictions.get(it.id)
        if pred is None:
            missing += 1
            continue
        correct += normalise_text(pred).strip(" .\"'") == normalise_text(it.answer)
    return {"official": {"overall": wilson(correct, len(items)).model_dump(),
                         "rule": "interim exact choice-text match"}, "missing": missing}


def write_summary(run_dir: Path, summary: dict[str, Any]) -> None:
    write_json_atomic(run_dir / "summary.json", summary)
    o = summary["metrics"]["official"]["overall"]
    acc = "-" if o["accuracy"] is None else f"{100 * o['accuracy']:.1f}"
    lines = [f"# Grounded: {summary['label']} on {summary['benchmark']}", "",
             f"Accuracy (interim exact choice-text rule): {acc}% of {o['n']} items; "
             f"missing predictions: {summary['metrics']['missing']}.", ""]
    write_json_atomic(run_dir / "summary.md", "\n".join(lines))

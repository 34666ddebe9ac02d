"""docs/results.md and the results schema (akb.core.results) say the same thing."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from akb.core import results
from akb.core.scores import Score

DOC = Path(__file__).resolve().parents[2] / "docs" / "results.md"
MODELS: list[type[BaseModel]] = [
    results.Sample, results.ProbeSample, results.AudioSample, results.Summary, results.ProbeSummary,
    results.AudioSummary, results.ProbeMetrics, results.RuleMetrics, results.RobustMetrics, results.AudioMetrics, Score,
]


def documented() -> dict[str, list[str]]:
    text = DOC.read_text(encoding="utf-8").split("## The schema, field by field", 1)[1]
    out: dict[str, list[str]] = {}
    for block in re.split(r"^### ", text, flags=re.M)[1:]:
        name = re.match(r"`(\w+)`", block)
        assert name, block[:40]
        out[name.group(1)] = re.findall(r"^- `(\w+)`", block, flags=re.M)
    return out


def own_fields(m: type[BaseModel]) -> list[str]:
    base = m.__mro__[1]
    inherited = set(base.model_fields) if base is not BaseModel and issubclass(base, BaseModel) else set()
    return [f for f in m.model_fields if f not in inherited]


def test_docs_list_exactly_the_schema_fields() -> None:
    doc = documented()
    assert sorted(doc) == sorted(m.__name__ for m in MODELS)
    for m in MODELS:
        assert doc[m.__name__] == own_fields(m), m.__name__


def test_what_the_probe_writes_reads_back_through_the_schema(tmp_path: Path) -> None:
    import json

    from akb.models.spec import parse_model_spec
    from akb.runs.probe import ProbeConfig, run_probe

    run_probe(ProbeConfig(model=parse_model_spec("position:A"), out=str(tmp_path), progress=False, limit=8))
    results.ProbeSummary.model_validate_json((tmp_path / results.SUMMARY_FILE).read_text())
    for line in (tmp_path / results.SAMPLES_FILE).read_text().splitlines():
        results.ProbeSample.model_validate(json.loads(line))

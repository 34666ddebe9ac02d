"""Reviews by a model, as evaluations: a blind key review (the reviewer answers each item
without its key, the probe task on the items file) or an exam (an examinee answers the
stratified sample of an ``--exam`` packet); the answers are recorded as model reviews."""

from __future__ import annotations

import json
from pathlib import Path

from akb.bench.items import Item
from akb.bench.loader import load_items
from akb.build.blind import BlindAnswer, reviewer_family, stratified_sample
from akb.build.exam import apply_exam_answers, sample_label
from akb.build.review import apply_model_review
from akb.core.errors import ConfigError
from akb.core.jsonl import iter_jsonl, write_json_atomic
from akb.core.results import SAMPLES_FILE
from akb.models.spec import ModelConfig, parse_model_spec
from akb.runs.probe import ProbeConfig, run_probe


def run_model_review(file: Path, reviewer: ModelConfig, run_dir: Path, *, options_only: bool = False,
                     progress: bool = True) -> tuple[list[Item], list[Item], list[Item]]:
    """(the items, the items with their new review records, the items the reviewer disagrees
    with). The blind answers are a resumable run in ``run_dir``; ``options_only`` hides the
    question, so an item answered right from its options alone gives its key away."""
    items = load_items(file)
    _not_a_writer(items, reviewer)
    model = parse_model_spec(f"options-only:{reviewer.spec}", **reviewer.options) if options_only else reviewer
    run_probe(ProbeConfig(model=model, data=str(file), out=str(run_dir), progress=progress))
    reviewed, disagreements = apply_model_review(items, run_dir / SAMPLES_FILE, reviewer=reviewer.spec,
                                                 options_only=options_only)
    return items, reviewed, disagreements


def _not_a_writer(items: list[Item], model: ModelConfig) -> None:
    if model.spec in {i.provenance.by for i in items}:
        raise ConfigError(f"{model.spec} wrote some of these items; a blind review needs a different model")


def run_model_exam(file: Path, examinee: ModelConfig, run_dir: Path, *, sample: int, seed: int,
                   family: str | None = None, progress: bool = True) -> tuple[list[Item], list[Item], str]:
    """(the items with the exam reviews, the missed items, the sample label). The examinee
    answers the same stratified sample an ``akb build packet --exam --sample N --seed S`` packet
    holds, through the probe (a resumable run in ``run_dir``); every answer becomes an ``exam``
    review, the difficulty figure, and every miss awaits adjudication."""
    items = load_items(file)
    _not_a_writer(items, examinee)
    if reviewer_family(examinee.spec, "model", family) is None:
        raise ConfigError(f"cannot tell the model family of {examinee.spec!r}: pass --family")
    chosen = stratified_sample(items, sample, seed=seed)
    data = run_dir.with_name(run_dir.name + ".sample.jsonl")
    data.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(data, "".join(json.dumps(i.to_json(), ensure_ascii=False) + "\n" for i in chosen))
    run_probe(ProbeConfig(model=examinee, data=str(data), out=str(run_dir), progress=progress))
    wanted = {i.id for i in chosen}
    answers = {rec["id"]: BlindAnswer(id=rec["id"], answer=rec.get("pred") or None)
               for _, rec in iter_jsonl(run_dir / SAMPLES_FILE) if rec["id"] in wanted}
    label = sample_label(sample, seed)
    done, missed = apply_exam_answers(items, answers, reviewer=examinee.spec, kind="model", sample=label, family=family)
    return done, missed, label

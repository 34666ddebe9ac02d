"""Blind key review by a model, as an evaluation: the reviewer answers each item without its
key (the probe task on the items file), and its answers are recorded as model reviews."""

from __future__ import annotations

from pathlib import Path

from akb.bench.items import Item
from akb.bench.loader import load_items
from akb.build.review import apply_model_review
from akb.core.errors import ConfigError
from akb.models.spec import ModelConfig, parse_model_spec
from akb.runs.probe import ProbeConfig, run_probe


def run_model_review(file: Path, reviewer: ModelConfig, run_dir: Path, *, options_only: bool = False,
                     progress: bool = True) -> tuple[list[Item], list[Item], list[Item]]:
    """(the items, the items with their new review records, the items the reviewer disagrees
    with). The blind answers are a resumable run in ``run_dir``; ``options_only`` hides the
    question, so an item answered right from its options alone gives its key away."""
    items = load_items(file)
    if reviewer.spec in {i.provenance.by for i in items}:
        raise ConfigError(f"{reviewer.spec} wrote some of these items; a blind review needs a different model")
    model = parse_model_spec(f"options-only:{reviewer.spec}", **reviewer.options) if options_only else reviewer
    run_probe(ProbeConfig(model=model, data=str(file), out=str(run_dir), progress=progress))
    reviewed, disagreements = apply_model_review(items, run_dir / "samples.jsonl", reviewer=reviewer.spec,
                                                 options_only=options_only)
    return items, reviewed, disagreements

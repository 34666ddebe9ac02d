"""The release's baseline runs: AKB-2000 probed with every baseline the dataset card reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from akb.build.release import BASELINES
from akb.models.spec import parse_model_spec
from akb.runs.probe import ProbeConfig, run_probe


def run_baselines(items_path: Path, runs_root: Path, *, progress: bool = True) -> dict[str, Any]:
    """Probe the release with every baseline in :data:`BASELINES` (cached, resumable)."""
    out: dict[str, Any] = {}
    for _, spec, _ in BASELINES:
        slug = spec.replace(":", "_")
        cfg = ProbeConfig(model=parse_model_spec(spec), data=str(items_path), out=str(runs_root / slug),
                          progress=progress, overwrite=True)
        m = run_probe(cfg).metrics
        out[spec] = {"overall": m.overall.model_dump(), "categories": {k: v.model_dump() for k, v in m.categories.items()},
                     "predicted_letters": m.predicted_letters}
    return out

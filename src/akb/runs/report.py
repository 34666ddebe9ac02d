"""The report as the commands run it: the analysis plus the taxonomy's display names."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from akb.analysis.reference import resolve_reference
from akb.analysis.report import Progress, ReportResult, build_report
from akb.bench.taxonomy import load_taxonomy
from akb.core.errors import ConfigError


def subcategory_names() -> dict[str, str]:
    """``category/subcategory`` -> "Category / Subcategory name", from the shipped taxonomy."""
    tax = load_taxonomy()
    return {f"{c.id}/{s.id}": f"{c.name} / {s.name}" for c in tax.categories for s in c.subcategories}


def make_report(runs: Sequence[str | Path], reference: str | Path | None, out: str | Path, *,
                n_boot: int = 2000, seed: int = 0, progress: Progress | None = None) -> ReportResult:
    ref = resolve_reference(reference)
    if not runs and ref is None:
        raise ConfigError("nothing to report: give run directories, or --reference paper for the published numbers")
    if n_boot < 100:
        raise ConfigError(f"--bootstrap {n_boot}: use at least 100 resamples for a 95% interval")
    return build_report(list(runs), ref, out, n_boot=n_boot, seed=seed, subcategory_names=subcategory_names(),
                        progress=progress)

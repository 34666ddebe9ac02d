"""akb: how much auditory knowledge a language model learned from text alone.

What a user runs (imported on first use, so ``import akb`` stays light):

- :func:`run_probe` / :class:`ProbeConfig`: AKB-2000 probing of any text LLM;
- :func:`run_cascade` / :class:`CascadeConfig`: a captioner + a text LLM on MMAU/MMAR/synth;
- :func:`run_grounded` / :class:`GroundedEvalConfig`: a DeSTA audio LLM on the same;
- :func:`make_report`: tables, correlations and figures beside the published numbers;
- :func:`run_eval` / :class:`EvalTask`: the engine, for an evaluation of your own;
- the benchmark data: :func:`load_items`, :class:`Item`, :func:`load_taxonomy`.

Plugin authors: :mod:`akb.models` (backends), :mod:`akb.audio` (captioners),
:mod:`akb.audiobench` (audio benchmarks). Everything else is private by convention; the
layout is in docs/architecture.md.
"""

from __future__ import annotations

import importlib
from typing import Any

from akb.bench.items import Item, Provenance, ReviewRecord
from akb.bench.loader import load_items
from akb.bench.taxonomy import Taxonomy, load_taxonomy
from akb.core.errors import AkbError, DataError

__version__ = "0.1.0"

_LAZY = {
    "run_probe": "akb.runs.probe",
    "ProbeConfig": "akb.runs.probe",
    "run_cascade": "akb.runs.cascade",
    "CascadeConfig": "akb.runs.cascade",
    "run_grounded": "akb.runs.grounded",
    "GroundedEvalConfig": "akb.runs.grounded",
    "make_report": "akb.runs.report",
    "run_eval": "akb.runs.engine",
    "EvalTask": "akb.runs.engine",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'akb' has no attribute {name!r}")


__all__ = [
    "AkbError",
    "CascadeConfig",
    "DataError",
    "EvalTask",
    "GroundedEvalConfig",
    "Item",
    "ProbeConfig",
    "Provenance",
    "ReviewRecord",
    "Taxonomy",
    "__version__",
    "load_items",
    "load_taxonomy",
    "make_report",
    "run_cascade",
    "run_eval",
    "run_grounded",
    "run_probe",
]

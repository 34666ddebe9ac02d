"""Settings: the evaluation conditions a score belongs to, named as in the study.

A *setting* is one column of the study's overview: the same backbone scored on
AKB-2000 (text), on MMAU/MMAR through a caption (cascade, text-only) and on MMAU/MMAR from
audio after DeSTA training (audio-grounded). Correlations, fits and tables are all keyed
on these ids, so a probe run, a cascade run and a published number meet in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from akb.audiobench.benchmarks import available_benchmarks, benchmark_label

TASK_PROBE, TASK_CASCADE, TASK_GROUNDED = "akb-probe", "cascade", "grounded"
TASKS = (TASK_PROBE, TASK_CASCADE, TASK_GROUNDED)



@dataclass(frozen=True)
class Setting:
    id: str
    label: str
    benchmark: str
    modality: Literal["text", "audio"]  # what the backbone sees: text only, or audio
    task: str


AKB2000 = Setting("akb2000_text", "AKB-2000", "akb2000", "text", TASK_PROBE)
MMAU_T = Setting("mmau_cascade_text", "MMAU(T)", "mmau", "text", TASK_CASCADE)
MMAR_T = Setting("mmar_cascade_text", "MMAR(T)", "mmar", "text", TASK_CASCADE)
MMAU_A = Setting("mmau_audio_grounded", "MMAU(A)", "mmau", "audio", TASK_GROUNDED)
MMAR_A = Setting("mmar_audio_grounded", "MMAR(A)", "mmar", "audio", TASK_GROUNDED)
PAPER_SETTINGS = (AKB2000, MMAU_T, MMAR_T, MMAU_A, MMAR_A)

# The short names the published heatmap uses for the same five columns.
PUBLISHED_KEYS = {
    "akb2000_text": AKB2000.id,
    "mmau_text": MMAU_T.id,
    "mmar_text": MMAR_T.id,
    "mmau_audio": MMAU_A.id,
    "mmar_audio": MMAR_A.id,
}

_KNOWN = {s.id: s for s in PAPER_SETTINGS}


def setting_for(task: str, benchmark: str | None = None, split: str | None = None) -> Setting:
    """The setting a run belongs to, from its summary's ``task``, ``benchmark`` and ``split``."""
    if task == TASK_PROBE:
        return AKB2000
    if task not in (TASK_CASCADE, TASK_GROUNDED) or not benchmark:
        raise ValueError(f"no setting for task {task!r} with benchmark {benchmark!r}")
    bench = benchmark.lower()
    spec = available_benchmarks().get(bench)
    paper_split = spec.paper_split if spec and spec.paper_split else split
    if split and split != paper_split:
        bench = f"{bench}-{split}"
    modality: Literal["text", "audio"] = "text" if task == TASK_CASCADE else "audio"
    sid = f"{bench}_{'cascade_text' if task == TASK_CASCADE else 'audio_grounded'}"
    if sid in _KNOWN:
        return _KNOWN[sid]
    name = benchmark_label(bench)
    return Setting(sid, f"{name}({'T' if modality == 'text' else 'A'})", bench, modality, task)


def order_key(setting_id: str) -> tuple[int, str]:
    """Paper columns first in the paper's order, then others: text before audio, by name."""
    ids = [s.id for s in PAPER_SETTINGS]
    if setting_id in ids:
        return (ids.index(setting_id), setting_id)
    return (10 if setting_id.endswith("_cascade_text") else 20, setting_id)

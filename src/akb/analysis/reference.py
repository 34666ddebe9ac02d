"""The study's published numbers (Lu et al. 2026), shipped as package data, typed.

``load_reference("paper")`` reads ``akb/data/reference/akb_paper_2026.json``; any path to a
JSON file of the same shape works too. The file holds the overview leaderboard (17 LLMs and
5 published LALMs over the five settings), AKB-2000 per category, the cascade tables and
the audio-grounded table, and the Pearson r printed in the paper's heatmap.

Two kinds of model live in it. *Backbones* are text LLMs: scored on AKB-2000 and through a
caption, and (8 of them) turned into audio LLMs with DeSTA, whose audio-grounded scores sit
both in the leaderboard and in ``audio_grounded["Fine-tuned LALM (Ours)"]``. *Systems* are
published end-to-end audio LLMs (``audio_grounded["Published Systems"]``): they have no
text-only scores and are not backbones, so the heatmap's correlations leave them out
(with them, MMAU(A)~MMAR(A) would rest on 13 models and give 0.62, not the printed 0.40).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from akb.analysis.settings import PUBLISHED_KEYS
from akb.core.errors import DataError
from akb.core.paths import data_path

PAPER = "paper"
PAPER_FILE = "reference/akb_paper_2026.json"
OURS = "Fine-tuned LALM (Ours)"
SYSTEMS = "Published Systems"
# Cascade table groups whose rows are backbones answering from Gemini captions.
CASCADE_LLM_GROUPS = ("Gemini-caption + Proprietary LLM", "Gemini-caption + Open-weight LLM")
CAPTIONER_GROUP = "Captioner Comparison (LLM: Gemini-2.5-Pro)"


class LeaderboardEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    group: str
    akb2000_text: float | None = None
    mmau_cascade_text: float | None = None
    mmar_cascade_text: float | None = None
    mmau_audio_grounded: float | None = None
    mmar_audio_grounded: float | None = None

    def value(self, setting_id: str) -> float | None:
        return getattr(self, setting_id)


class PublishedCell(BaseModel):
    model_config = ConfigDict(extra="forbid")
    a: str  # setting ids
    b: str
    r: float
    n: int


class Reference(BaseModel):
    """The published tables. Accuracies are percentages, as printed."""

    model_config = ConfigDict(extra="ignore")
    source: str
    benchmarks: dict[str, Any] = {}
    leaderboard: dict[str, LeaderboardEntry]
    akb2000_by_category: dict[str, dict[str, float]]
    cascade_by_category: dict[str, dict[str, dict[str, float]]]
    audio_grounded: dict[str, dict[str, dict[str, float]]]
    published_correlations_pearson: dict[str, Any]
    path: str = ""

    @field_validator("audio_grounded")
    @classmethod
    def _groups(cls, v: dict[str, dict[str, dict[str, float]]]) -> dict[str, dict[str, dict[str, float]]]:
        missing = [g for g in (OURS, SYSTEMS) if g not in v]
        if missing:
            raise ValueError(f"needs the groups {OURS!r} and {SYSTEMS!r}; missing {', '.join(map(repr, missing))}")
        return v

    # ------------------------------------------------------------------ who is who
    @property
    def systems(self) -> list[str]:
        """Published end-to-end audio LLMs: audio-grounded scores only, not backbones."""
        return [m for m in self.leaderboard if m in self.audio_grounded[SYSTEMS]]

    @property
    def backbones(self) -> list[str]:
        return [m for m in self.leaderboard if m not in self.audio_grounded[SYSTEMS]]

    def published_cells(self) -> list[PublishedCell]:
        cells = []
        for key, val in self.published_correlations_pearson.items():
            if key == "note":
                continue
            a, sep, b = key.partition("~")
            if not sep or a not in PUBLISHED_KEYS or b not in PUBLISHED_KEYS:
                raise DataError(f"unknown correlation cell {key!r}; known settings: {', '.join(PUBLISHED_KEYS)}",
                                file=self.path, field=f"published_correlations_pearson.{key}")
            if not isinstance(val, dict) or "r" not in val or "n" not in val:
                raise DataError("expected {r, n}", file=self.path, field=f"published_correlations_pearson.{key}")
            cells.append(PublishedCell(a=PUBLISHED_KEYS[a], b=PUBLISHED_KEYS[b], r=float(val["r"]), n=int(val["n"])))
        return cells

    def cascade_rows(self) -> dict[str, dict[str, float]]:
        """Per-task cascade scores of each backbone (Gemini captions), by model name."""
        out: dict[str, dict[str, float]] = {}
        for g in CASCADE_LLM_GROUPS:
            out.update(self.cascade_by_category.get(g, {}))
        return out

    # ------------------------------------------------------------------ checks
    def consistency_problems(self, tol: float = 1e-6) -> list[str]:
        """Places where two published tables disagree about the same number (none expected)."""
        problems: list[str] = []

        def differs(a: float | None, b: float | None) -> bool:
            return a is None or b is None or abs(a - b) > tol

        ours = self.audio_grounded[OURS]
        for name, vals in ours.items():
            e = self.leaderboard.get(name)
            if e is None:
                problems.append(f"{OURS}: {name!r} is not a leaderboard model")
                continue
            for key, sid in (("mmau_audio", "mmau_audio_grounded"), ("mmar_audio", "mmar_audio_grounded")):
                if key in vals and differs(e.value(sid), vals[key]):
                    problems.append(f"{name}: {OURS} {key}={vals[key]} but leaderboard {sid}={e.value(sid)}")
        for name, e in self.leaderboard.items():
            if name in self.backbones and e.mmau_audio_grounded is not None and name not in ours:
                problems.append(f"{name}: audio-grounded score in the leaderboard but not under {OURS!r}")
        for name, cats in self.akb2000_by_category.items():
            e = self.leaderboard.get(name)
            if e is None or differs(cats.get("avg"), e.akb2000_text):
                problems.append(f"{name}: AKB-2000 avg {cats.get('avg')} differs from the leaderboard")
        for name, c in self.cascade_rows().items():
            e = self.leaderboard.get(name)
            for key, sid in (("mmau_avg", "mmau_cascade_text"), ("mmar_avg", "mmar_cascade_text")):
                if e is None or differs(c.get(key), e.value(sid)):
                    problems.append(f"{name}: cascade {key}={c.get(key)} differs from the leaderboard")
        return problems


def _load(path: Path) -> Reference:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("reference file not found", file=path) from None
    except json.JSONDecodeError as e:
        raise DataError(f"not valid JSON ({e.msg})", file=path, line=e.lineno) from None
    if not isinstance(raw, dict):
        raise DataError("expected a JSON object", file=path)
    try:
        ref = Reference.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        raise DataError(err["msg"], file=path, field=".".join(map(str, err["loc"]))) from None
    ref.path = str(path)
    ref.published_cells()  # validates the keys
    return ref


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float) -> Reference:
    return _load(Path(path))


def load_reference(name: str | Path = PAPER) -> Reference:
    """``"paper"`` for the bundled study numbers, or a path to a file of the same shape."""
    p = data_path(PAPER_FILE) if str(name) == PAPER else Path(name)
    if not p.exists():
        raise DataError("reference file not found (use 'paper' for the bundled study numbers)", file=p)
    return _load_cached(str(p), p.stat().st_mtime).model_copy(deep=True)


def resolve_reference(choice: str | Path | None) -> Reference | None:
    """``--reference`` as users give it: ``paper``, ``none`` (or nothing), or a file path."""
    if choice is None or str(choice).lower() in ("", "none"):
        return None
    return load_reference(choice)

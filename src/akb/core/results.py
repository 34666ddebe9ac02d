"""The results schema: what every evaluation writes into its run directory and what the
analysis reads back (docs/results.md describes these models; a test keeps them in step).

A run directory holds ``run.json`` (the fingerprint of everything that decides the
answers), ``samples.jsonl`` (one :class:`Sample` per item, appended as answers arrive) and,
at the end, ``summary.json`` (a :class:`ProbeSummary` or an :class:`AudioSummary`) and
``summary.md``. Models allow extra fields, so a task may record more than the contract.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from akb.core.errors import ErrorKind
from akb.core.scores import Score

RUN_FILE = "run.json"
SAMPLES_FILE = "samples.jsonl"
SUMMARY_FILE = "summary.json"
SUMMARY_MD_FILE = "summary.md"
PREDICTIONS_FILE = "predictions.json"
LOCK_FILE = ".lock"

TASK_PROBE = "akb-probe"
AUDIO_TASKS = ("cascade", "grounded", "score")


# ---------------------------------------------------------------------------- samples
class Sample(BaseModel):
    """One line of ``samples.jsonl``: one item, scored."""

    model_config = ConfigDict(extra="allow")
    id: str
    pred: str | None = Field(None, description="probe: the letter; audio: the text the official rule reads")
    correct: bool
    invalid: bool = False
    method: str | None = Field(None, description="how the answer was read: logprob, letter, text, error, ...")
    response: str | None = None
    error: str | None = Field(None, description="a final failure of this item's request (scrubbed of secrets)")
    error_kind: ErrorKind | None = None
    cached: bool | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None


class ProbeSample(Sample):
    category: str
    subcategory: str
    answer: str
    letter_logprobs: dict[str, float | None] | None = None
    circular_preds: list[str | None] | None = None
    circular_responses: list[str] | None = None


class AudioSample(Sample):
    group: str | None = None
    category: str | None = None
    subcategory: str | None = None
    difficulty: str | None = None
    answer: str | None = None
    choices: list[str] = Field(default_factory=list)
    answer_letter: str | None = None
    pred_letter: str | None = None
    robust_correct: bool | None = None
    missing: bool = False
    audio: str | None = None
    caption_key: str | None = Field(None, description="cascade: the clip whose caption was used")
    transcript: str | None = Field(None, description="grounded: Whisper's transcript of the clip")


# ---------------------------------------------------------------------------- metrics
class ProbeMetrics(BaseModel):
    overall: Score
    categories: dict[str, Score] = Field(default_factory=dict)
    subcategories: dict[str, Score] = Field(default_factory=dict)  # "category/subcategory"
    invalid: int = 0
    invalid_rate: float | None = None
    errors: int = 0
    predicted_letters: dict[str, int] = Field(default_factory=dict)
    gold_letters: dict[str, int] = Field(default_factory=dict)
    invalid_reasons: dict[str, int] = Field(default_factory=dict)


class RuleMetrics(BaseModel):
    overall: Score
    by_group: dict[str, Score] = Field(default_factory=dict)
    by_category: dict[str, Score] = Field(default_factory=dict)
    by_subcategory: dict[str, Score] = Field(default_factory=dict)
    by_difficulty: dict[str, Score] = Field(default_factory=dict)


class RobustMetrics(RuleMetrics):
    invalid: int = 0
    invalid_rate: float | None = None


class AudioMetrics(BaseModel):
    official: RuleMetrics
    robust: RobustMetrics | None = None
    missing: int = Field(0, description="items without a prediction; wrong under both rules")
    official_script: Score | None = Field(None, description="the official scripts' number: items without a prediction dropped")
    official_script_breakdown: RuleMetrics | None = Field(
        None, description="the official scripts' convention in every breakdown: items without a prediction dropped "
                          "from each group's denominator (what their per-task / per-modality tables print)")
    unlabelled: int = Field(0, description="items without an answer (withheld split): not scored")
    errors: int = 0


# ---------------------------------------------------------------------------- summaries
class Summary(BaseModel):
    """Fields common to every ``summary.json``."""

    model_config = ConfigDict(extra="allow")
    task: str
    model: str = Field(description="the backbone LLM spec")
    label: str | None = Field(None, description="a display name; defaults to model")
    complete: bool = Field(description="whether every selected item was scored")
    created: str | None = None
    versions: dict[str, str] | None = None
    git_commit: str | None = None
    identity: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    seed: int | None = None
    mode: str | None = None
    prompt_version: str | None = None
    stats: dict[str, Any] = Field(default_factory=dict)
    failures: list[str] = Field(default_factory=list)


class ProbeSummary(Summary):
    task: Literal["akb-probe"]
    circular: bool = False
    prompt: dict[str, Any] | None = None
    metrics: ProbeMetrics


class AudioSummary(Summary):
    task: Literal["cascade", "grounded", "score"]
    benchmark: str
    split: str | None = None
    captioner: str | None = Field(None, description="cascade: the captioner spec")
    connector: str | None = Field(None, description="grounded: the DeSTA model folder evaluated")
    load_problems: list[str] = Field(default_factory=list)
    metrics: AudioMetrics

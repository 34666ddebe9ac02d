"""Cascade evaluation: a captioner describes each clip, a text LLM answers from the words.

*What is asked*: an audio benchmark (MMAU, MMAR, the synthetic suite) and the cascade
prompt below. *Who answers*: any captioner (``akb.audio.captioners``) feeding any text
backend (``akb.models``). *How it is judged*: the official MMAU/MMAR rule and akb's robust
rule (``akb.audiobench.scoring``).

The run directory works like a probe's (run.json, samples.jsonl, summary.json/md) plus
``captions.jsonl`` (every caption used, reusable with the ``file`` captioner) and
``predictions.json`` (the benchmark entries with the model's answers under the key the
official script reads). Captions are cached by audio content + captioner; LLM calls by
model identity + request; rerunning the same command resumes. A clip that cannot be read
fails its items alone: they are counted wrong, listed, and retried on the next run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from akb.audio.captioners.base import CaptionCache, create_captioner, default_caption_cache_path
from akb.audio.captioners.batch import CaptionOutcome, caption_clips
from akb.audio.clip import Clip, clips_for
from akb.audiobench.benchmarks import AudioBenchmark, load_audio_benchmark, parse_spec
from akb.audiobench.items import AudioItem
from akb.audiobench.scoring import score_sample
from akb.audiobench.summary import AudioRunResult, audio_summary, collect_run, write_audio_summary
from akb.bench.prompts import format_options
from akb.core.errors import ConfigError
from akb.core.jsonl import JsonlAppender, iter_jsonl
from akb.core.paths import check_cache_file, check_dir_target
from akb.models.base import MCQ, Backend, ChatRequest, Message, Mode, Response
from akb.models.registry import create_backend
from akb.models.spec import ModelConfig
from akb.runs.engine import TaskBase, run_eval
from akb.runs.results import slug
from akb.runs.runner import RunStats

CASCADE_PROMPT_VERSION = "akb-cascade-v1"
CAPTIONS_FILE = "captions.jsonl"
PREDICTIONS_FILE = "predictions.json"

DEFAULT_SYSTEM = (
    "You answer questions about an audio clip that you cannot hear. Instead you get a description "
    "of the clip written by an audio captioning system. Use the description and your knowledge of "
    "sound, music and speech."
)
DEFAULT_TEMPLATE = "Audio description:\n{caption}\n\nQuestion: {question}\nOptions:\n{options}\n"
# The official MMAU/MMAR scorer compares words: a bare letter scores 0, so ask for the text.
DEFAULT_INSTRUCTION = "Answer with the text of the correct option, exactly as written above, and nothing else."
COT_INSTRUCTION = (
    "Think step by step, then give the text of the correct option, exactly as written above, "
    "alone on the last line."
)


class CascadePrompt(BaseModel):
    """How (caption, item) becomes chat messages. Part of every cache key and run record."""

    model_config = ConfigDict(extra="forbid")
    version: str = CASCADE_PROMPT_VERSION
    system: str | None = DEFAULT_SYSTEM
    template: str = DEFAULT_TEMPLATE
    instruction: str = DEFAULT_INSTRUCTION
    cot: bool = False
    cot_instruction: str = COT_INSTRUCTION


class CascadeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    benchmark: str = Field("synth", description="mmau:PATH, mmar:PATH, synth or synth:DIR")
    audio_root: str | None = None
    captioner: str = "dsp"
    captioner_options: dict[str, Any] = Field(default_factory=dict)
    model: ModelConfig = Field(default_factory=lambda: ModelConfig(backend="embedding"))
    mode: Literal["auto", "generate", "logprob"] = "auto"
    groups: list[str] | None = Field(None, description="only these MMAU tasks / MMAR modalities")
    limit: int | None = Field(None, ge=1)
    prompt: CascadePrompt = Field(default_factory=CascadePrompt)
    max_tokens: int | None = Field(None, ge=1, description="default 64, or 2048 with cot")
    temperature: float = Field(0.0, ge=0.0, le=100.0)
    seed: int = 0
    out: str | None = None
    cache: str | None = None
    caption_cache: str | None = None

    @field_validator("out")
    @classmethod
    def _out_is_a_folder(cls, v: str | None) -> str | None:
        return check_dir_target(v, "run folder (--out)") if v is not None else None

    @field_validator("cache", "caption_cache")
    @classmethod
    def _cache_is_sqlite(cls, v: str | None) -> str | None:
        return check_cache_file(v) if v is not None else None
    use_cache: bool = True
    progress: bool = True
    overwrite: bool = False
    synth_per_task: int = Field(6, ge=1)
    synth_seed: int = 0


CascadeResult = AudioRunResult


def resolve_mode(cfg: CascadeConfig, backend: Backend) -> Literal["generate", "logprob"]:
    if cfg.mode == "auto":
        # A backend that chooses among options without writing is scored from its choice.
        return "logprob" if getattr(backend, "chooses_option", False) else "generate"
    if cfg.mode == "logprob" and not backend.supports_logprobs:
        raise ConfigError(f"backend '{backend.name}' cannot read log-probabilities; use --mode generate")
    return cfg.mode


def select(items: Sequence[AudioItem], cfg: CascadeConfig) -> list[AudioItem]:
    out = list(items)
    if cfg.groups:
        known = {i.group for i in items if i.group}
        bad = [g for g in cfg.groups if g not in known]
        if bad:
            raise ConfigError(f"unknown group(s) {', '.join(bad)}; this benchmark has: {', '.join(sorted(known))}")
        out = [i for i in out if i.group in cfg.groups]
    if cfg.limit:
        out = out[: cfg.limit]
    if not out:
        raise ConfigError("no items selected")
    return out


def build_request(item: AudioItem, caption: str, cfg: CascadeConfig) -> ChatRequest:
    p = cfg.prompt
    letters = item.letters
    body = p.template.format(caption=caption.strip(), question=item.question,
                             options=format_options(item.choices, letters))
    messages = [Message(role="system", content=p.system)] if p.system else []
    messages.append(Message(role="user", content=body.rstrip("\n") + "\n\n" + (p.cot_instruction if p.cot else p.instruction)))
    return ChatRequest(
        messages=messages,
        max_tokens=cfg.max_tokens or (2048 if p.cot else 64),
        temperature=cfg.temperature,
        seed=cfg.seed if cfg.temperature > 0 else None,
        letters=letters,
        mcq=MCQ(question=item.question, choices=item.choices, letters=letters, context=caption),
    )


def score_item(item: AudioItem, resp: Response, mode: str) -> dict[str, Any]:
    """One cascade sample (core.results.AudioSample) from the LLM's response."""
    if resp.error:
        rec = score_sample(item, None, method="error")
    elif mode == "logprob":
        lp = {k: v for k, v in (resp.letter_logprobs or {}).items() if v is not None and v > float("-inf")}
        letter = max(lp, key=lambda k: lp[k]) if lp else None
        # The chosen option's text is the prediction the official rule reads.
        pred = item.choices[item.letters.index(letter)] if letter in item.letters else None
        rec = score_sample(item, pred, letter=letter, method="logprob" if letter else "no-logprobs")
        rec["letter_logprobs"] = resp.letter_logprobs
    else:
        rec = score_sample(item, resp.text)
    rec.update({
        "audio": item.audio, "caption_key": item.audio, "response": resp.text,
        "prompt_tokens": resp.prompt_tokens, "completion_tokens": resp.completion_tokens,
        "latency_s": round(resp.latency_s, 4), "cached": resp.cached,
    })
    if resp.error:
        rec["error"] = resp.error
    return rec


def default_run_dir(cfg: CascadeConfig, bench_name: str, mode: str) -> Path:
    return Path("runs") / "cascade" / f"{bench_name}-{slug(cfg.captioner, 60)}-{slug(cfg.model.spec, 60)}-{mode}"


def _caption_progress(console: Console, enabled: bool) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, disable=not enabled, transient=False)


def _record_captions(run_dir: Path, outcomes: dict[str, CaptionOutcome], clips: dict[str, Clip], spec: str) -> None:
    path = run_dir / CAPTIONS_FILE
    seen = {r.get("audio") for _, r in iter_jsonl(path)} if path.exists() else set()
    with JsonlAppender(path) as out:
        for key, o in outcomes.items():
            if o.ok and key not in seen:
                out.write({"audio": key, "item_ids": clips[key].item_ids, "captioner": spec, "caption": o.caption})


class CascadeTask(TaskBase[AudioItem]):
    """The cascade as an :class:`~akb.runs.engine.EvalTask`: ``prepare`` captions the
    pending clips; each item is then one request to the text LLM."""

    def __init__(self, cfg: CascadeConfig, captioner: Any, console: Console) -> None:
        self.cfg = cfg
        self.captioner = captioner
        self.console = console
        self.description = f"answering ({cfg.model.spec})"
        self.failures: list[str] = []
        self.outcomes: dict[str, CaptionOutcome] = {}

    def load(self) -> list[AudioItem]:
        name, _ = parse_spec(self.cfg.benchmark)
        kwargs = {"per_task": self.cfg.synth_per_task, "seed": self.cfg.synth_seed} if name == "synth" else {}
        self.bench = load_audio_benchmark(self.cfg.benchmark, self.cfg.audio_root, **kwargs)
        if not self.bench.items:
            first = self.bench.problems[0] if self.bench.problems else "-"
            raise ConfigError(f"{self.bench.path}: no usable items ({len(self.bench.problems)} could not be read; first: {first})")
        return self.bench.items

    def select(self, items: Sequence[AudioItem]) -> list[AudioItem]:
        return select(items, self.cfg)

    def key(self, item: AudioItem) -> str:
        return item.id

    def fingerprint(self, backend: Backend, mode: Mode) -> dict[str, Any]:
        cfg, bench = self.cfg, self.bench
        if self.captioner is None:
            self.captioner = create_captioner(cfg.captioner, cfg.captioner_options)
        return {
            "task": "cascade",
            "benchmark": {"name": bench.name, "split": bench.split, "sha256": bench.sha256},
            "captioner": self.captioner.identity(),
            "model": backend.identity(),
            "mode": mode,
            "prompt": cfg.prompt.model_dump(),
            "decoding": {"max_tokens": cfg.max_tokens, "temperature": cfg.temperature, "seed": cfg.seed},
        }

    def run_dir(self, backend: Backend, mode: Mode) -> Path:
        self.mode = mode
        return Path(self.cfg.out) if self.cfg.out else default_run_dir(self.cfg, self.bench.name, mode)

    def prepare(self, run_dir: Path, pending: Sequence[AudioItem]) -> None:
        cfg = self.cfg
        clips = clips_for(pending, self.bench.audio_root)
        caption_cache = CaptionCache(cfg.caption_cache or default_caption_cache_path()) if cfg.use_cache else None
        try:
            with _caption_progress(self.console, cfg.progress) as bar:
                t = bar.add_task(f"captioning ({cfg.captioner})", total=len(clips))
                self.outcomes = caption_clips(self.captioner, list(clips.values()), caption_cache,
                                              lambda n: bar.advance(t, n))
        finally:
            self.captioner.close()
            if caption_cache is not None:
                caption_cache.close()
        _record_captions(run_dir, self.outcomes, clips, cfg.captioner)
        self.failures = [f"{iid}: {self.outcomes[c.key].error}" for c in clips.values()
                         if not self.outcomes[c.key].ok for iid in c.item_ids]

    def requests(self, item: AudioItem) -> list[ChatRequest] | None:
        o = self.outcomes[item.audio]
        return [build_request(item, o.caption or "", self.cfg)] if o.ok else None

    def score(self, item: AudioItem, responses: list[Response]) -> dict[str, Any]:
        return score_item(item, responses[0], self.mode)

    def summarise(self, run_dir: Path, items: Sequence[AudioItem], stats: RunStats,
                  record: dict[str, Any]) -> CascadeResult:
        return summarise(run_dir, self.bench, items, self.cfg, self.mode, stats, record,
                         self.failures + stats.failures, captioner_identity=record["fingerprint"]["captioner"])


def run_cascade(cfg: CascadeConfig, *, backend: Backend | None = None, captioner: Any = None,
                console: Console | None = None) -> CascadeResult:
    """Caption ``cfg.benchmark`` and answer it with ``cfg.model`` (resumable; see
    :func:`akb.runs.engine.run_eval`)."""
    console = console or Console(stderr=True)
    task = CascadeTask(cfg, captioner, console)
    return run_eval(task, backend or (lambda: create_backend(cfg.model)), mode=lambda b: resolve_mode(cfg, b),
                    cache=cfg.cache, use_cache=cfg.use_cache, overwrite=cfg.overwrite, progress=cfg.progress,
                    console=console)


def summarise(run_dir: Path, bench: AudioBenchmark, items: Sequence[AudioItem], cfg: CascadeConfig, mode: str,
              stats: RunStats, record: dict[str, Any], failures: list[str], *, captioner_identity: dict[str, Any]) -> CascadeResult:
    samples, metrics, counts = collect_run(run_dir, bench, items, PREDICTIONS_FILE)
    failed = counts["failed"]
    stat_dict = {
        **counts, "resumed": stats.resumed, "from_cache": stats.from_cache,
        "computed": stats.computed, "retry_later": stats.retry_later, "final_errors": stats.final_errors,
        "seconds": round(stats.seconds, 3),
        "prompt_tokens": sum(s.get("prompt_tokens") or 0 for s in samples),
        "completion_tokens": sum(s.get("completion_tokens") or 0 for s in samples),
    }
    complete = failed == 0
    summary = audio_summary(
        task="cascade", model=cfg.model.spec, benchmark=bench.name, split=bench.split, metrics=metrics,
        complete=complete, captioner=cfg.captioner, mode=mode, prompt_version=cfg.prompt.version,
        identity={"model": record["fingerprint"]["model"], "captioner": captioner_identity},
        data={"path": str(bench.path), "audio_root": str(bench.audio_root), "sha256": bench.sha256, "items": len(items)},
        seed=cfg.seed, stats=stat_dict, failures=failures, load_problems=[str(p) for p in bench.problems[:50]],
        versions=record.get("versions"), git_commit=record.get("git_commit"), created=record.get("created"),
    )
    write_audio_summary(run_dir, summary)
    return CascadeResult(run_dir=str(run_dir), metrics=metrics, stats=stat_dict, complete=complete, summary=summary)

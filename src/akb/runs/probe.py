"""Direct probing: a text LLM answers AKB-style multiple choice; accuracy with intervals.

*What is asked* comes from ``akb.bench`` (items, prompt), *who answers* from
``akb.models`` (any backend), *how it is judged* here: the letter with the highest
log-probability (logprob mode) or the letter extracted from the reply (generate mode);
circular evaluation asks every rotation of the options and counts the item right only
if all are right.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from akb.analysis.metrics import Metrics, compute_metrics, table1_markdown
from akb.bench.extract import extract_choice
from akb.bench.fewshot import shots_for
from akb.bench.items import LETTERS, Item
from akb.bench.loader import default_items_path, load_items
from akb.bench.prompts import PromptConfig, build_messages, prompt_hash, render_plain
from akb.bench.sampling import stratified_sample
from akb.bench.taxonomy import load_taxonomy
from akb.core.errors import ConfigError
from akb.core.jsonl import iter_jsonl, write_json_atomic
from akb.core.paths import check_cache_file, check_dir_target
from akb.core.results import SUMMARY_FILE, SUMMARY_MD_FILE, TASK_PROBE, ProbeSummary
from akb.models.base import MCQ, Backend, ChatRequest, Message, Mode, Response
from akb.models.registry import create_backend
from akb.models.spec import ModelConfig
from akb.runs.engine import TaskBase, run_eval
from akb.runs.results import slug
from akb.runs.runner import SAMPLES_FILE, RunStats, Task


class ProbeConfig(BaseModel):
    """Everything a probe run needs; loadable from YAML (``--config run.yaml``)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    model: ModelConfig
    mode: Mode | None = Field(None, description="generate or logprob; default: logprob for a local model without a "
                              "chat template (a base model), generate otherwise")
    data: str | None = Field(None, description="items JSONL; default: the shipped AKB-2000")
    categories: list[str] | None = None
    subcategories: list[str] | None = None
    limit: int | None = Field(None, ge=1, description="only the first N selected items, in file order")
    sample: int | None = Field(None, ge=1, description="a random sample of N items stratified by category (seed: seed)")
    prompt: PromptConfig = Field(default_factory=PromptConfig)
    max_tokens: int | None = Field(None, ge=1, description="default 16, or 2048 with cot")
    stop_at_letter: bool = Field(False, description="generate mode: the reply ends at the delimiter after a leading "
                                 "option letter ('B.'), and a local model stops generating there; a scoring protocol, "
                                 "not only a speed-up (akb.models.letter_stop)")
    temperature: float = Field(0.0, ge=0.0, le=100.0)
    seed: int = 0
    circular: bool = False
    out: str | None = None
    cache: str | None = Field(None, description="SQLite cache path; default ~/.cache/akb/responses.sqlite")
    use_cache: bool = True
    progress: bool = True
    overwrite: bool = False

    @field_validator("out")
    @classmethod
    def _out_is_a_folder(cls, v: str | None) -> str | None:
        return check_dir_target(v, "run folder (--out)") if v is not None else None

    @model_validator(mode="after")
    def _letter_stop_needs_a_direct_answer(self) -> ProbeConfig:
        if self.stop_at_letter and (self.prompt.cot or self.mode == "logprob"):
            raise ValueError("stop_at_letter applies to direct answers in generate mode: not with cot or logprob mode")
        return self

    @field_validator("cache")
    @classmethod
    def _cache_is_sqlite(cls, v: str | None) -> str | None:
        return check_cache_file(v) if v is not None else None


class ProbeResult(BaseModel):
    run_dir: str
    metrics: Metrics
    stats: dict[str, Any]
    complete: bool
    warnings: list[str] = []


# More invalid replies than this and the accuracy mostly measures the reply format.
INVALID_WARN_RATE = 0.2


def probe_warnings(m: Metrics, mode: Mode | None) -> list[str]:
    out = []
    if m.invalid_rate is not None and m.invalid_rate > INVALID_WARN_RATE:
        hint = ("; try --mode logprob (one forward pass, no parsing) or a model that follows the instruction"
                if mode == "generate" else "")
        out.append(f"{100 * m.invalid_rate:.1f}% of the replies are invalid (no single letter found), counted wrong: "
                   f"the accuracy mostly measures the reply format{hint}")
    return out


def show_prompt(cfg: ProbeConfig, item_id: str, backend: Any = None) -> str:
    """The exact messages the run asks for one item (what ``prompt_sha256`` fingerprints),
    the plain text a model without a chat template reads, and, given a local backend,
    the exact text its chat template makes."""
    import json

    data_path = Path(cfg.data) if cfg.data else default_items_path()
    items = load_items(data_path)
    item = next((i for i in items if i.id == item_id), None)
    if item is None:
        raise ConfigError(f"no item '{item_id}' in {data_path}")
    req = build_request(item, item.choices, cfg, shots_for(cfg.prompt.num_fewshot, items))
    msgs = [m.model_dump() for m in req.messages]
    out = [f"# {item_id}: prompt {cfg.prompt.version}, prompt_sha256 {prompt_hash(msgs)}, "
           f"{cfg.prompt.num_fewshot} shot(s)", "", "## messages", json.dumps(msgs, indent=1, ensure_ascii=False), "",
           "## plain text (no chat template; lm-eval's default; the letter follows as ' A')", render_plain(msgs)]
    render = getattr(backend, "render", None)
    if callable(render):
        out += ["", f"## as {cfg.model.spec} reads it", render(req)]
    return "\n".join(out) + "\n"


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def select_items(items: Sequence[Item], cfg: ProbeConfig) -> list[Item]:
    out = list(items)
    if cfg.categories:
        known = {i.category for i in items}
        bad = [c for c in cfg.categories if c not in known]
        if bad:
            raise ConfigError(f"unknown categor{'ies' if len(bad) > 1 else 'y'} {', '.join(bad)}; known: {', '.join(sorted(known))}")
        out = [i for i in out if i.category in cfg.categories]
    if cfg.subcategories:
        wanted = set(cfg.subcategories)
        out = [i for i in out if i.subcategory in wanted or f"{i.category}/{i.subcategory}" in wanted]
    if cfg.sample:
        out = stratified_sample(out, cfg.sample, cfg.seed)
    if cfg.limit:
        out = out[: cfg.limit]
    if not out:
        raise ConfigError("no items selected")
    return out


def rotate(choices: Sequence[str], r: int) -> list[str]:
    """Options shifted by ``r`` positions: option k moves to position (k + r) mod n."""
    n = len(choices)
    return [choices[(i - r) % n] for i in range(n)]


def build_request(item: Item, choices: Sequence[str], cfg: ProbeConfig,
                  shots: Sequence[tuple[str, Sequence[str], str]] = ()) -> ChatRequest:
    letters = list(LETTERS[: len(choices)])
    max_tokens = cfg.max_tokens or (2048 if cfg.prompt.cot else 16)
    return ChatRequest(
        messages=[Message(**m) for m in build_messages(item.question, choices, cfg.prompt, letters, shots)],
        max_tokens=max_tokens,
        temperature=cfg.temperature,
        seed=cfg.seed if cfg.temperature > 0 else None,
        stop_at_letter=True if cfg.stop_at_letter else None,  # absent otherwise: earlier cache keys stay valid
        letters=letters,
        mcq=MCQ(question=item.question, choices=list(choices), letters=letters),
    )


def build_tasks(items: Sequence[Item], cfg: ProbeConfig) -> list[Task]:
    task = ProbeTask(cfg)
    task.select(items)
    return [Task(key=it.id, requests=task.requests(it), payload=it) for it in items]


def _pick(resp: Response, choices: Sequence[str], mode: Mode) -> tuple[str | None, str]:
    if resp.error:
        return None, "error"
    if mode == "logprob":
        lp = resp.letter_logprobs or {}
        finite = {k: v for k, v in lp.items() if v is not None and v > float("-inf")}
        if not finite:
            return None, "no-logprobs"
        return max(finite, key=lambda k: finite[k]), "logprob"
    ex = extract_choice(resp.text, choices)
    return ex.letter, ex.method


def score_item(item: Item, resps: list[Response], mode: Mode, prompt_sha256: str | None = None) -> dict[str, Any]:
    """One probe sample (core.results.ProbeSample) from an item's responses."""
    n = len(item.choices)
    preds: list[str | None] = []
    methods: list[str] = []
    for r, resp in enumerate(resps):
        choices = rotate(item.choices, r)
        letter, method = _pick(resp, choices, mode)
        # Map the rotated letter back to the item's own option order.
        preds.append(LETTERS[(LETTERS.index(letter) - r) % n] if letter else None)
        methods.append(method)
    pred = preds[0]
    invalid = pred is None
    correct = all(p == item.answer for p in preds)
    rec: dict[str, Any] = {
        "id": item.id,
        "category": item.category,
        "subcategory": item.subcategory,
        "answer": item.answer,
        "pred": pred,
        "correct": correct,
        "invalid": invalid,
        "method": methods[0],
        "response": resps[0].text,
        # The exact messages asked (akb probe --show-prompt ID prints them).
        "prompt_sha256": prompt_sha256,
    }
    if mode == "logprob":
        rec["letter_logprobs"] = resps[0].letter_logprobs
    if len(resps) > 1:
        rec["circular_preds"] = preds
        rec["circular_responses"] = [x.text for x in resps]
    errors = [x.error for x in resps if x.error]
    if errors:
        rec["error"] = errors[0]
    rec["prompt_tokens"] = sum(x.prompt_tokens or 0 for x in resps)
    rec["completion_tokens"] = sum(x.completion_tokens or 0 for x in resps)
    rec["latency_s"] = round(sum(x.latency_s for x in resps), 4)
    rec["cached"] = all(x.cached for x in resps)
    return rec


def default_run_dir(cfg: ProbeConfig) -> Path:
    extra = "-circular" if cfg.circular else ""
    extra += "-cot" if cfg.prompt.cot else ""
    extra += "-letterstop" if cfg.stop_at_letter else ""
    extra += f"-{cfg.prompt.num_fewshot}shot" if cfg.prompt.num_fewshot else ""
    extra += f"-sample{cfg.sample}-seed{cfg.seed}" if cfg.sample else ""
    return Path("runs") / "probe" / f"{slug(cfg.model.spec)}-{cfg.mode}{extra}"


def default_mode(backend: Backend) -> Mode:
    """logprob for a local model without a chat template (a base model scores 0% in generate
    mode, answering with text rather than a letter), generate otherwise."""
    fn = getattr(backend, "default_mode", None)
    mode = fn() if callable(fn) else None
    return "logprob" if mode == "logprob" else "generate"


class ProbeTask(TaskBase[Item]):
    """AKB-2000 probing as an :class:`~akb.runs.engine.EvalTask`."""

    def __init__(self, cfg: ProbeConfig) -> None:
        self.cfg = cfg
        self.data_path = Path(cfg.data) if cfg.data else default_items_path()
        self.description = f"probe {cfg.model.spec}"
        self.shots: list[Any] = []
        self.prompt_hashes: dict[str, str] = {}

    def load(self) -> list[Item]:
        return load_items(self.data_path)

    def select(self, items: Sequence[Item]) -> list[Item]:
        selected = select_items(items, self.cfg)
        self.shots = shots_for(self.cfg.prompt.num_fewshot, selected)  # the same fixed examples before every question
        return selected

    def key(self, item: Item) -> str:
        return item.id

    def fingerprint(self, backend: Backend, mode: Mode) -> dict[str, Any]:
        cfg = self.cfg
        return {
            "task": TASK_PROBE,
            "model": backend.identity(),
            "mode": mode,
            "prompt": cfg.prompt.model_dump(),
            "decoding": {"max_tokens": cfg.max_tokens, "temperature": cfg.temperature, "seed": cfg.seed,
                         **({"stop_at_letter": True} if cfg.stop_at_letter else {})},
            "circular": cfg.circular,
            "data_sha256": file_sha256(self.data_path),
        }

    def run_dir(self, backend: Backend, mode: Mode) -> Path:
        return Path(self.cfg.out) if self.cfg.out else default_run_dir(self.cfg)

    def requests(self, item: Item) -> list[ChatRequest]:
        rotations = range(len(item.choices)) if self.cfg.circular else range(1)
        reqs = [build_request(item, rotate(item.choices, r), self.cfg, self.shots) for r in rotations]
        self.prompt_hashes[item.id] = prompt_hash([m.model_dump() for m in reqs[0].messages])
        return reqs

    def score(self, item: Item, responses: list[Response]) -> dict[str, Any]:
        assert self.cfg.mode is not None
        return score_item(item, responses, self.cfg.mode, self.prompt_hashes.get(item.id))

    def summarise(self, run_dir: Path, items: Sequence[Item], stats: RunStats, record: dict[str, Any]) -> ProbeResult:
        return summarise(run_dir, items, self.cfg, stats, record, self.data_path)


def check_mode(task: ProbeTask, backend: Backend) -> Mode:
    """The run's mode (the backend's default when none was asked for), checked against the backend."""
    cfg = task.cfg
    mode: Mode = cfg.mode or default_mode(backend)
    if mode == "logprob" and not backend.supports_logprobs:
        raise ConfigError(f"backend '{cfg.model.backend}' cannot read log-probabilities; use --mode generate")
    if mode == "logprob" and cfg.stop_at_letter:
        raise ConfigError("--stop-at-letter applies to generate mode (this model defaults to logprob): add --mode generate")
    task.cfg = cfg.model_copy(update={"mode": mode})
    return mode


def run_probe(cfg: ProbeConfig, *, backend: Backend | None = None, console: Any = None) -> ProbeResult:
    """Probe ``cfg.model`` on AKB-2000 (resumable; see :func:`akb.runs.engine.run_eval`)."""
    task = ProbeTask(cfg)
    return run_eval(task, backend or (lambda: create_backend(cfg.model)),
                    mode=lambda b: check_mode(task, b), cache=cfg.cache, use_cache=cfg.use_cache,
                    overwrite=cfg.overwrite, progress=cfg.progress, console=console)


def summarise(run_dir: Path, items: Sequence[Item], cfg: ProbeConfig, stats: RunStats, record: dict[str, Any], data_path: Path) -> ProbeResult:
    wanted = {i.id for i in items}
    samples = [rec for _, rec in iter_jsonl(run_dir / SAMPLES_FILE) if rec["id"] in wanted] if (run_dir / SAMPLES_FILE).exists() else []
    metrics = compute_metrics(samples)
    stat_dict = {
        "items_selected": len(items),
        "items_scored": len(samples),
        "resumed": stats.resumed,
        "from_cache": stats.from_cache,
        "computed": stats.computed,
        "retry_later": stats.retry_later,
        "final_errors": stats.final_errors,
        "seconds": round(stats.seconds, 3),
        "items_per_s": round(stats.computed / stats.seconds, 3) if stats.seconds and stats.computed else None,
        "prompt_tokens": sum(s.get("prompt_tokens") or 0 for s in samples),
        "completion_tokens": sum(s.get("completion_tokens") or 0 for s in samples),
    }
    complete = len(samples) == len(items)
    summary = ProbeSummary.model_validate({
        "task": TASK_PROBE,
        "model": cfg.model.spec,
        "identity": record["fingerprint"]["model"],
        "mode": cfg.mode,
        "circular": cfg.circular,
        "prompt_version": cfg.prompt.version,
        "prompt": cfg.prompt.model_dump(),
        "data": {"path": str(data_path), "sha256": record["fingerprint"]["data_sha256"], "items": len(items)},
        "seed": cfg.seed,
        "complete": complete,
        "metrics": metrics.model_dump(),
        "stats": stat_dict,
        "failures": stats.failures[:20],
        "versions": record.get("versions"),
        "git_commit": record.get("git_commit"),
        "created": record.get("created"),
    })
    warnings = probe_warnings(metrics, cfg.mode)
    data = summary.model_dump(mode="json")
    data["warnings"] = warnings
    write_json_atomic(run_dir / SUMMARY_FILE, data)
    md = summary_markdown(cfg, metrics, stat_dict, complete)
    if warnings:
        md = md.replace("\n\n", "\n\n" + "".join(f"**Warning**: {w}.\n\n" for w in warnings), 1)
    write_json_atomic(run_dir / SUMMARY_MD_FILE, md)
    return ProbeResult(run_dir=str(run_dir), metrics=metrics, stats=stat_dict, complete=complete, warnings=warnings)


def summary_markdown(cfg: ProbeConfig, m: Metrics, stats: dict[str, Any], complete: bool) -> str:
    tax = load_taxonomy()
    names = {c.id: c.name for c in tax.categories}
    lines = [f"# AKB probe: {cfg.model.spec} ({cfg.mode}{', circular' if cfg.circular else ''})", ""]
    if not complete:
        lines += [f"**Incomplete**: {stats['items_scored']} of {stats['items_selected']} items scored; "
                  "re-run the same command to finish.", ""]
    lines += [table1_markdown([(cfg.model.spec, m)], names), ""]
    lines += ["## Accuracy with 95% Wilson intervals", "", "| Scope | n | Accuracy % [95% CI] |", "|---|---:|---|"]
    lines.append(f"| **Overall** | {m.overall.n} | {m.overall.pct_ci()} |")
    for c, s in m.categories.items():
        lines.append(f"| {names.get(c, c)} | {s.n} | {s.pct_ci()} |")
    lines += ["", "## Subcategories", "", "| Subcategory | n | Accuracy % [95% CI] |", "|---|---:|---|"]
    for key, s in m.subcategories.items():
        c, _, sc = key.partition("/")
        lines.append(f"| {names.get(c, c)} / {tax.subcategory_name(c, sc)} | {s.n} | {s.pct_ci()} |")
    rate = f"{100 * m.invalid_rate:.1f}%" if m.invalid_rate is not None else "-"
    lines += ["", f"Invalid answers: {m.invalid} ({rate}), counted wrong. Errors: {m.errors}.",
              f"Predicted letters: {m.predicted_letters}. Gold letters: {m.gold_letters}."]
    if m.invalid_reasons:
        lines.append(f"Invalid reasons: {m.invalid_reasons}.")
    return "\n".join(lines) + "\n"

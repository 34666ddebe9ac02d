"""``akb ground build-data``: the backbone LLM writes its own DeSTA training targets.

Each clip's metadata becomes a seed description; one or more instructions are drawn for it
(a hash of seed and clip id decides which, so any shard draws the same); the LLM answers
*seed description + instruction* through any backend (hf, vllm, an OpenAI-compatible
server...). Answers go through the shared runner, so every call is cached and a killed
job continues where it stopped.

Sharding: ``shard=(i, n)`` keeps the samples whose id hashes to ``i``; n workers (or n
servers) with the same settings split one job without overlap, each in its own folder
``OUT/shard-i-of-n``. Training reads every ``samples.jsonl`` below ``OUT``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from akb.audio.io import AudioError, resolve_in_root
from akb.core.errors import ConfigError
from akb.core.hashing import stable_hash
from akb.lalm.config import DEFAULT_SYSTEM_PROMPT
from akb.lalm.data import (
    ClipMeta,
    generation_messages,
    load_instructions,
    load_metadata,
    pick_instructions,
    seed_description,
    shard_of,
    training_messages,
)
from akb.models.base import Backend, ChatRequest, Message, Mode, Response
from akb.models.registry import create_backend
from akb.models.spec import ModelConfig
from akb.runs.engine import TaskBase, run_eval
from akb.runs.probe import file_sha256
from akb.runs.runner import SAMPLES_FILE, RunStats, Task


class DistillConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: ModelConfig
    metadata: str = Field(description="clip metadata JSONL (see akb.lalm.data.ClipMeta)")
    audio_root: str
    out: str
    dataset: str | None = Field(None, description="dataset name for clips without one; default: metadata file stem")
    instructions: list[str] = Field(default_factory=list, description="extra instruction files (.txt or .yaml)")
    replace_instructions: bool = False
    per_clip: int = Field(1, ge=1, description="instructions (so samples) per clip")
    seed: int = 0
    system_prompt: str | None = DEFAULT_SYSTEM_PROMPT
    max_tokens: int = Field(512, ge=1)
    temperature: float = Field(0.0, ge=0.0)
    shard: tuple[int, int] = (0, 1)
    limit: int | None = Field(None, ge=1, description="only the first N clips")
    cache: str | None = None
    use_cache: bool = True
    progress: bool = True
    overwrite: bool = False

    @field_validator("shard")
    @classmethod
    def _shard(cls, v: tuple[int, int]) -> tuple[int, int]:
        i, n = v
        if n < 1 or not 0 <= i < n:
            raise ValueError(f"shard must be i/N with 0 <= i < N, got {i}/{n}")
        return v


def parse_shard(text: str) -> tuple[int, int]:
    i, sep, n = text.partition("/")
    try:
        if not sep:
            raise ValueError
        shard = (int(i), int(n))
    except ValueError:
        raise ConfigError(f"--shard expects i/N (e.g. 0/4), got {text!r}") from None
    if shard[1] < 1 or not 0 <= shard[0] < shard[1]:
        raise ConfigError(f"--shard {text}: need 0 <= i < N")
    return shard


def shard_dir(cfg: DistillConfig) -> Path:
    i, n = cfg.shard
    return Path(cfg.out) if n == 1 else Path(cfg.out) / f"shard-{i}-of-{n}"


def _duration(meta: ClipMeta, root: Path) -> float:
    if meta.duration is not None:
        return meta.duration
    import soundfile as sf

    path = resolve_in_root(root, meta.audio)
    try:
        return float(sf.info(str(path)).duration)
    except Exception as e:  # noqa: BLE001 - libsndfile raises several types
        raise AudioError(f"cannot read the duration ({str(e).strip() or type(e).__name__})", file=path) from None


def build_tasks(clips: Sequence[ClipMeta], cfg: DistillConfig, pool: Sequence[str], default_dataset: str) -> list[Task]:
    root = Path(cfg.audio_root)
    tasks: list[Task] = []
    i, n = cfg.shard
    for meta in clips:
        own = meta.instructions
        if own is not None and cfg.per_clip > len(own):
            raise ConfigError(f"clip {meta.clip_id!r} has {len(own)} instruction(s) of its own, "
                              f"--per-clip asks for {cfg.per_clip}")
        picks = pick_instructions(own or pool, meta.clip_id, cfg.per_clip, cfg.seed)
        wanted = [(k, ins) for k, ins in enumerate(picks)
                  if shard_of(sample_id(meta.clip_id, k, cfg.per_clip), n) == i]
        if not wanted:
            continue
        resolve_in_root(root, meta.audio)  # refuse paths outside the root before any LLM call
        seed = seed_description(meta, duration=_duration(meta, root))
        for k, instruction in wanted:
            sid = sample_id(meta.clip_id, k, cfg.per_clip)
            request = ChatRequest(
                messages=[Message(**m) for m in generation_messages(seed, instruction, cfg.system_prompt)],
                max_tokens=cfg.max_tokens, temperature=cfg.temperature,
                seed=cfg.seed if cfg.temperature > 0 else None,
            )
            payload = {"id": sid, "dataset": meta.dataset or default_dataset, "seed_description": seed,
                       "prompt": instruction,
                       "messages": training_messages(meta.audio, meta.transcript, instruction, cfg.system_prompt)}
            tasks.append(Task(key=sid, requests=[request], payload=payload))
    return tasks


def sample_id(clip_id: str, k: int, per_clip: int) -> str:
    return clip_id if per_clip == 1 else f"{clip_id}#{k}"


def _short(spec: str, width: int = 40) -> str:
    """A model spec for a progress line: a long local path keeps its end."""
    return spec if len(spec) <= width else "..." + spec[-(width - 3):]


def make_scorer(spec: str) -> Any:
    def record(task: Task, resps: list[Response]) -> dict[str, Any]:
        resp = resps[0]
        rec = {**task.payload, "response": resp.text.strip(), "generator": spec,
               "finish_reason": resp.finish_reason}
        if resp.error:
            rec["error"] = resp.error
        return rec

    return record


class DistillTask(TaskBase[Task]):
    """DeSTA data building as an :class:`~akb.runs.engine.EvalTask`: each item is one
    (clip, instruction) request to the backbone LLM, each sample one training record."""

    def __init__(self, cfg: DistillConfig) -> None:
        self.cfg = cfg
        self.meta_path = Path(cfg.metadata)
        self.description = f"distill {_short(cfg.model.spec)}"
        self.scorer = make_scorer(cfg.model.spec)

    def load(self) -> list[Task]:
        cfg = self.cfg
        clips = load_metadata(self.meta_path, limit=cfg.limit)
        self.pool = load_instructions(cfg.instructions, replace=cfg.replace_instructions)
        return build_tasks(clips, cfg, self.pool, cfg.dataset or self.meta_path.stem)

    def select(self, items: Sequence[Task]) -> list[Task]:
        return list(items)

    def key(self, item: Task) -> str:
        return item.key

    def fingerprint(self, backend: Backend, mode: Mode) -> dict[str, Any]:
        cfg = self.cfg
        return {
            "task": "desta-distill",
            "model": backend.identity(),
            "metadata_sha256": file_sha256(self.meta_path),
            "instructions": stable_hash(self.pool, 16),
            "per_clip": cfg.per_clip,
            "seed": cfg.seed,
            "system_prompt": cfg.system_prompt,
            "decoding": {"max_tokens": cfg.max_tokens, "temperature": cfg.temperature},
            "shard": list(cfg.shard),
            "limit": cfg.limit,
            "dataset": cfg.dataset,
        }

    def run_dir(self, backend: Backend, mode: Mode) -> Path:
        return shard_dir(self.cfg)

    def requests(self, item: Task) -> list[ChatRequest]:
        return item.requests

    def score(self, item: Task, responses: list[Response]) -> dict[str, Any]:
        result: dict[str, Any] = self.scorer(item, responses)
        return result

    def summarise(self, run_dir: Path, items: Sequence[Task], stats: RunStats,
                  record: dict[str, Any]) -> tuple[Path, RunStats]:
        return run_dir / SAMPLES_FILE, stats


def run_build_data(cfg: DistillConfig, *, backend: Backend | None = None, console: Any = None) -> tuple[Path, RunStats]:
    """Write this shard's distillation records (resumable; see :func:`akb.runs.engine.run_eval`)."""
    return run_eval(DistillTask(cfg), backend or (lambda: create_backend(cfg.model)), mode="generate",
                    cache=cfg.cache, use_cache=cfg.use_cache, overwrite=cfg.overwrite, progress=cfg.progress,
                    console=console)

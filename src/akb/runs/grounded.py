"""``akb ground eval``: a trained DeSTA model answers an audio benchmark from the audio.

*What is asked*: an audio benchmark (MMAU, MMAR, the synthetic suite; read by
:mod:`akb.audiobench.benchmarks`) with DeSTA's MMAU prompt. *Who answers*: the DeSTA model
(frozen backbone LLM + trained connector + frozen Whisper encoder), with Whisper's transcript
where speech is heard. *How it is judged*: the official MMAU/MMAR rule on the raw answer and
akb's robust rule (:mod:`akb.audiobench.scoring`), missing answers counted wrong.

The run directory works like every akb run: ``run.json`` (model = backbone + connector
fingerprint + encoder, ASR, prompt, decoding, benchmark hash), ``samples.jsonl`` appended
batch by batch (the scored sample plus ``response`` and ``transcript``; a rerun resumes),
every answer cached in SQLite under the model identity and the clip's content,
``predictions.json`` (the benchmark's entries plus the answer under the key its official
script reads) and ``summary.json`` / ``summary.md`` (docs/results.md). A clip that is
missing, unreadable or outside the audio root fails its items alone: they are counted
wrong, listed, and retried on the next run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console

from akb.audio.clip import clips_for
from akb.audio.io import AudioError
from akb.audiobench.benchmarks import AudioBenchmark, benchmark_spec, load_audio_benchmark
from akb.audiobench.items import AudioItem
from akb.audiobench.scoring import score_sample
from akb.audiobench.summary import AudioRunResult, audio_summary, collect_run, write_audio_summary
from akb.core.errors import ConfigError
from akb.core.hashing import directory_fingerprint
from akb.models.base import AudioRef, Backend, ChatRequest, Message, Mode, Response
from akb.runs.engine import TaskBase, run_eval
from akb.runs.results import slug
from akb.runs.runner import RunStats

PREDICTIONS_FILE = "predictions.json"
PROMPT_VERSION = "desta-mmau-v1"  # DeSTA's MMAU prompt (akb.lalm.infer), greedy


class GroundedEvalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkpoint: str = Field(description="a saved DeSTA model folder (train's final/ or a checkpoint's model/)")
    data: str = Field(description="mmau:FILE, mmar:FILE, synth[:DIR], or a plain benchmark file (see benchmark)")
    audio_root: str | None = Field(None, description="clip paths are relative to this folder; default: the file's folder")
    benchmark: str | None = Field(None, description="mmau, mmar or synth, for a plain file; default mmau's format")
    split: str | None = Field(None, description="override the split read from the file (test-mini, test)")
    out: str | None = None
    label: str | None = None
    llm: str | None = Field(None, description="where the backbone LLM lives now, if not where the config says")
    encoder: str | None = None
    asr: str = Field("auto", description="Whisper model for transcripts; auto: the model's encoder; none: no transcripts")
    language: str | None = "en"
    no_speech_threshold: float = 0.6
    system_prompt: str | None = None
    batch_size: int = Field(8, ge=1)
    max_new_tokens: int = Field(512, ge=1)
    limit: int | None = Field(None, ge=1)
    device: str | None = None
    cache: str | None = None
    use_cache: bool = True
    progress: bool = True
    overwrite: bool = False


GroundedResult = AudioRunResult


def default_run_dir(llm: str, benchmark: str) -> Path:
    return Path("runs") / "grounded" / f"{slug(llm)}-{benchmark}"


def load_benchmark(cfg: GroundedEvalConfig) -> tuple[AudioBenchmark, list[AudioItem]]:
    bench = load_audio_benchmark(benchmark_spec(cfg.data, cfg.benchmark), cfg.audio_root)
    if not bench.items:
        first = bench.problems[0] if bench.problems else "-"
        raise ConfigError(f"{bench.path}: no usable items ({len(bench.problems)} could not be read; first: {first})")
    items = bench.items[: cfg.limit] if cfg.limit else list(bench.items)
    return bench, items


def load_desta(cfg: GroundedEvalConfig, model: Any = None, asr: Any = None) -> Any:
    """The DeSTA model (and its Whisper ASR) behind the backend interface."""
    from akb.audio.whisper import WhisperASR
    from akb.lalm.backend import DestaBackend
    from akb.lalm.model import DestaModel

    if model is None:
        model = DestaModel.from_pretrained(cfg.checkpoint, device=cfg.device, llm=cfg.llm, encoder=cfg.encoder)
    if asr is None and cfg.asr != "none":
        name = model.config.encoder if cfg.asr == "auto" else cfg.asr
        asr = WhisperASR(name, device=model.device, language=cfg.language,
                         no_speech_threshold=cfg.no_speech_threshold, batch_size=cfg.batch_size)
    llm_dir = Path(model.config.llm).expanduser()
    identity = {
        "llm": model.config.llm,
        "llm_revision": "sha256:" + directory_fingerprint(llm_dir) if llm_dir.is_dir() else None,
        "connector": "sha256:" + directory_fingerprint(cfg.checkpoint),
        "encoder": model.config.encoder,
        "asr": asr.identity() if asr is not None else None,
    }
    return DestaBackend(model, asr=asr, identity=identity, batch_size=cfg.batch_size)


class GroundedTask(TaskBase[AudioItem]):
    """The grounded eval as an :class:`~akb.runs.engine.EvalTask`: each item is one request
    carrying its clip, answered by the DeSTA model through :class:`~akb.lalm.backend.DestaBackend`."""

    def __init__(self, cfg: GroundedEvalConfig) -> None:
        from akb.lalm.infer import EVAL_SYSTEM_PROMPT

        self.cfg = cfg
        self.system = cfg.system_prompt if cfg.system_prompt is not None else EVAL_SYSTEM_PROMPT
        self.failures: dict[str, str] = {}
        self.clips: dict[str, Any] = {}

    def load(self) -> list[AudioItem]:
        self.bench, items = load_benchmark(self.cfg)
        self.description = f"grounded {self.bench.name}"
        return items

    def select(self, items: Sequence[AudioItem]) -> list[AudioItem]:
        return list(items)

    def key(self, item: AudioItem) -> str:
        return item.id

    def fingerprint(self, backend: Backend, mode: Mode) -> dict[str, Any]:
        bench = self.bench
        self.locator = backend.model.config.audio_locator  # type: ignore[attr-defined]
        return {"task": "grounded", "benchmark": {"name": bench.name, "split": bench.split, "sha256": bench.sha256},
                "model": backend.identity(), "system_prompt": self.system,
                "decoding": {"max_new_tokens": self.cfg.max_new_tokens, "greedy": True}}

    def run_dir(self, backend: Backend, mode: Mode) -> Path:
        llm = backend.model.config.llm  # type: ignore[attr-defined]
        return Path(self.cfg.out) if self.cfg.out else default_run_dir(llm, self.bench.name)

    def prepare(self, run_dir: Path, pending: Sequence[AudioItem]) -> None:
        self.clips = clips_for(pending, self.bench.audio_root)
        self.sha: dict[str, str] = {}
        for it in pending:
            try:
                self.sha[it.id] = self.clips[it.audio].sha256()  # raises for a path outside the root or a missing file
            except AudioError as e:
                self.failures.setdefault(it.id, str(e))

    def requests(self, item: AudioItem) -> list[ChatRequest] | None:
        from akb.lalm.infer import mcq_chat

        if item.id in self.failures:
            return None
        clip = self.clips[item.audio]
        return [ChatRequest(messages=[Message(**m) for m in mcq_chat(item, self.system, self.locator)],
                            max_tokens=self.cfg.max_new_tokens, audio=AudioRef(sha256=self.sha[item.id], path=str(clip.path)))]

    def score(self, item: AudioItem, responses: list[Response]) -> dict[str, Any]:
        r = responses[0]
        rec = score_sample(item, None, method="error") if r.error else score_sample(item, r.text)
        rec.update({"response": r.text, "transcript": (r.meta or {}).get("transcript", ""), "audio": item.audio,
                    "cached": r.cached})
        if r.error:
            rec["error"] = r.error
        return rec

    def summarise(self, run_dir: Path, items: Sequence[AudioItem], stats: RunStats,
                  record: dict[str, Any]) -> GroundedResult:
        run_stats = {"resumed": stats.resumed, "from_cache": stats.from_cache, "computed": stats.computed,
                     "seconds": round(stats.seconds, 3)}
        failures = [f"{iid}: {reason}" for iid, reason in self.failures.items()]
        failures += [f.replace(": retryable: ", ": ", 1) for f in stats.failures]
        return summarise(run_dir, self.bench, items, self.cfg, record, record["fingerprint"]["model"], run_stats,
                         failures)


def run_grounded(cfg: GroundedEvalConfig, *, model: Any = None, asr: Any = None,
                 console: Console | None = None) -> GroundedResult:
    """Answer ``cfg.data`` with the DeSTA model at ``cfg.checkpoint`` (resumable; see
    :func:`akb.runs.engine.run_eval`)."""
    return run_eval(GroundedTask(cfg), lambda: load_desta(cfg, model, asr), mode="generate", cache=cfg.cache,
                    use_cache=cfg.use_cache, overwrite=cfg.overwrite, progress=cfg.progress,
                    console=console or Console(stderr=True))


def summarise(run_dir: Path, bench: AudioBenchmark, items: Sequence[AudioItem], cfg: GroundedEvalConfig,
              record: dict[str, Any], identity: dict[str, Any], run_stats: dict[str, Any],
              failures: list[str]) -> GroundedResult:
    _, metrics, counts = collect_run(run_dir, bench, items, PREDICTIONS_FILE)
    failed = counts["failed"]
    stats = {**counts, **run_stats}
    llm_spec = f"hf:{identity['llm']}"
    summary = audio_summary(
        task="grounded", model=llm_spec, benchmark=bench.name, split=cfg.split or bench.split, metrics=metrics,
        complete=failed == 0, label=cfg.label, connector=cfg.checkpoint, identity=identity,
        mode="generate", prompt_version=PROMPT_VERSION,
        data={"path": str(bench.path), "audio_root": str(bench.audio_root), "sha256": bench.sha256, "items": len(items)},
        stats=stats, failures=failures, load_problems=[str(p) for p in bench.problems[:50]],
        versions=record.get("versions"), git_commit=record.get("git_commit"), created=record.get("created"),
    )
    write_audio_summary(run_dir, summary)
    return GroundedResult(run_dir=str(run_dir), metrics=metrics, stats=stats, complete=failed == 0, summary=summary)

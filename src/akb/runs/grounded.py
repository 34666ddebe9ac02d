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

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from akb.audio.clip import clips_for
from akb.audio.io import AudioError
from akb.audiobench.benchmarks import AudioBenchmark, benchmark_spec, load_audio_benchmark
from akb.audiobench.items import AudioItem
from akb.audiobench.scoring import score_sample
from akb.audiobench.summary import AudioRunResult, audio_summary, collect_run, write_audio_summary
from akb.core.cache import ResponseCache, cache_key
from akb.core.errors import ConfigError
from akb.core.hashing import directory_fingerprint
from akb.core.jsonl import JsonlAppender
from akb.core.paths import default_cache_path
from akb.runs.results import open_run_dir, slug
from akb.runs.runner import SAMPLES_FILE, read_done

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


def _progress(console: Console | None, enabled: bool, title: str) -> Progress:
    return Progress(TextColumn(f"[bold]{title}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, disable=not enabled)


def run_grounded(cfg: GroundedEvalConfig, *, model: Any = None, asr: Any = None,
                 console: Console | None = None) -> GroundedResult:
    from akb.audio.whisper import WhisperASR
    from akb.lalm.infer import EVAL_SYSTEM_PROMPT, answer_batch, mcq_chat
    from akb.lalm.model import DestaModel
    from akb.lalm.processor import SAMPLING_RATE

    console = console or Console(stderr=True)
    bench, items = load_benchmark(cfg)
    if model is None:
        model = DestaModel.from_pretrained(cfg.checkpoint, device=cfg.device, llm=cfg.llm, encoder=cfg.encoder)
    if asr is None and cfg.asr != "none":
        name = model.config.encoder if cfg.asr == "auto" else cfg.asr
        asr = WhisperASR(name, device=model.device, language=cfg.language,
                         no_speech_threshold=cfg.no_speech_threshold, batch_size=cfg.batch_size)
    system = cfg.system_prompt if cfg.system_prompt is not None else EVAL_SYSTEM_PROMPT
    llm_dir = Path(model.config.llm).expanduser()
    identity = {
        "llm": model.config.llm,
        "llm_revision": "sha256:" + directory_fingerprint(llm_dir) if llm_dir.is_dir() else None,
        "connector": "sha256:" + directory_fingerprint(cfg.checkpoint),
        "encoder": model.config.encoder,
        "asr": asr.identity() if asr is not None else None,
    }
    decoding = {"max_new_tokens": cfg.max_new_tokens, "greedy": True}
    fingerprint = {"task": "grounded", "benchmark": {"name": bench.name, "split": bench.split, "sha256": bench.sha256},
                   "model": identity, "system_prompt": system, "decoding": decoding}
    run_dir = Path(cfg.out) if cfg.out else default_run_dir(model.config.llm, bench.name)
    record = open_run_dir(run_dir, fingerprint, overwrite=cfg.overwrite)
    samples_path = run_dir / SAMPLES_FILE
    done = read_done(samples_path)
    pending = [it for it in items if it.id not in done]
    clips = clips_for(pending, bench.audio_root)
    failures: dict[str, str] = {}

    def fail(item_ids: Sequence[str], reason: str) -> None:
        for iid in item_ids:
            failures.setdefault(iid, reason)

    keys: dict[str, str] = {}
    requests: dict[str, dict[str, Any]] = {}
    for it in pending:
        try:
            sha = clips[it.audio].sha256()  # raises for a path outside the root or a missing file
        except AudioError as e:
            fail([it.id], str(e))
            continue
        requests[it.id] = {"audio_sha256": sha, "chat": mcq_chat(it, system, model.config.audio_locator), **decoding}
        keys[it.id] = cache_key(identity, requests[it.id])

    cache = ResponseCache(Path(cfg.cache) if cfg.cache else default_cache_path()) if cfg.use_cache else None
    t0 = time.perf_counter()
    from_cache = computed = 0
    try:
        hits = cache.get_many(list(keys.values())) if cache is not None else {}
        progress = _progress(console, cfg.progress, f"grounded {bench.name}")
        with JsonlAppender(samples_path) as out, progress:
            bar = progress.add_task("eval", total=len(items), completed=len(items) - len(pending))

            def write(it: AudioItem, answer: dict[str, Any], cached: bool) -> None:
                out.write({**score_sample(it, answer["response"]), **answer, "audio": it.audio, "cached": cached})
                progress.advance(bar)

            todo: list[AudioItem] = []
            for it in pending:
                if it.id in failures:
                    progress.advance(bar)
                    continue
                hit = hits.get(keys[it.id])
                if hit is None:
                    todo.append(it)
                    continue
                write(it, json.loads(hit), True)
                from_cache += 1
            model.eval()
            for start in range(0, len(todo), cfg.batch_size):
                chunk, waves = [], []
                for it in todo[start:start + cfg.batch_size]:
                    try:
                        waves.append(clips[it.audio].load(sr=SAMPLING_RATE)[0])
                        chunk.append(it)
                    except AudioError as e:
                        fail([it.id], str(e))
                        progress.advance(bar)
                if not chunk:
                    continue
                answers = answer_batch(model, chunk, waves, asr=asr, max_new_tokens=cfg.max_new_tokens, system=system)
                for it, ans in zip(chunk, answers, strict=True):
                    rec = {"response": ans.text, "transcript": ans.transcript}
                    if cache is not None:
                        cache.put(keys[it.id], identity, requests[it.id], json.dumps(rec, ensure_ascii=False))
                    write(it, rec, False)
                    computed += 1
                for it in chunk:
                    clips[it.audio].release()
    finally:
        if cache is not None:
            cache.close()
    stats = {"resumed": len(items) - len(pending), "from_cache": from_cache, "computed": computed,
             "seconds": round(time.perf_counter() - t0, 3)}
    return summarise(run_dir, bench, items, cfg, record, identity, stats,
                     [f"{iid}: {reason}" for iid, reason in failures.items()])


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

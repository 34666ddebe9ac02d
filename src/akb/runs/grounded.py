"""``akb ground eval``: a trained DeSTA model answers an audio benchmark.

The run directory works like every akb run: ``run.json`` (model = backbone + connector
fingerprint + encoder, ASR, prompt, decoding, data hash), ``samples.jsonl`` appended batch
by batch (``id``, ``response``, ``transcript``; a rerun resumes), every answer cached in
SQLite under the model identity and the clip's content, ``predictions.json`` (the items
with ``model_output`` and ``answer_prediction``, the keys MMAU's and MMAR's official
scripts read) and ``summary.json`` / ``summary.md``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from akb.audio.io import resolve_in_root
from akb.bench.audio_items import AudioItem
from akb.core.cache import ResponseCache, cache_key
from akb.core.hashing import directory_fingerprint
from akb.core.jsonl import JsonlAppender, iter_jsonl, write_json_atomic
from akb.core.paths import default_cache_path
from akb.runs import _grounded_interim as interim
from akb.runs.probe import file_sha256
from akb.runs.results import open_run_dir
from akb.runs.runner import SAMPLES_FILE, read_done


class GroundedEvalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkpoint: str = Field(description="a saved DeSTA model folder (train's final/ or a checkpoint's model/)")
    data: str = Field(description="benchmark file")
    audio_root: str
    benchmark: str | None = Field(None, description="mmau, mmar, synth; default: the items' benchmark")
    split: str | None = None
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


class GroundedResult(BaseModel):
    run_dir: str
    summary: dict[str, Any]


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:32]


def default_run_dir(llm: str, benchmark: str) -> Path:
    slug = "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in llm)[:80]
    return Path("runs") / "grounded" / f"{slug}-{benchmark}"


def run_grounded(cfg: GroundedEvalConfig, *, model: Any = None, asr: Any = None, console: Any = None) -> GroundedResult:
    from akb.lalm.asr import WhisperASR
    from akb.lalm.infer import EVAL_SYSTEM_PROMPT, answer_items, mcq_chat
    from akb.lalm.model import DestaModel

    data_path = Path(cfg.data)
    items: list[AudioItem] = interim.load_items(data_path)  # WIRE 1: the cascade branch's benchmark loader
    if cfg.limit:
        items = items[: cfg.limit]
    benchmark = cfg.benchmark or items[0].benchmark
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
    fingerprint = {"task": "grounded", "model": identity, "system_prompt": system, "decoding": decoding,
                   "data_sha256": file_sha256(data_path), "limit": cfg.limit}
    run_dir = Path(cfg.out) if cfg.out else default_run_dir(model.config.llm, benchmark)
    record = open_run_dir(run_dir, fingerprint, overwrite=cfg.overwrite)
    samples_path = run_dir / SAMPLES_FILE
    done = read_done(samples_path)
    pending = [it for it in items if it.id not in done]

    cache = ResponseCache(Path(cfg.cache) if cfg.cache else default_cache_path()) if cfg.use_cache else None
    keys: dict[str, str] = {}
    requests: dict[str, dict[str, Any]] = {}
    for it in pending:
        requests[it.id] = request = {"audio_sha256": _file_hash(resolve_in_root(cfg.audio_root, it.audio)),
                   "chat": mcq_chat(it, system, model.config.audio_locator), **decoding}
        keys[it.id] = cache_key(identity, request)
    hits = cache.get_many(list(keys.values())) if cache is not None else {}
    progress = Progress(TextColumn(f"[bold]grounded {benchmark}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, disable=not cfg.progress)
    try:
        with JsonlAppender(samples_path) as out, progress:
            bar = progress.add_task("eval", total=len(items), completed=len(items) - len(pending))
            todo = []
            for it in pending:
                hit = hits.get(keys[it.id])
                if hit is None:
                    todo.append(it)
                    continue
                out.write({"id": it.id, **json.loads(hit), "cached": True})
                progress.advance(bar)
            for start in range(0, len(todo), cfg.batch_size):
                chunk = todo[start:start + cfg.batch_size]

                def write(batch: list[Any], chunk: list[AudioItem] = chunk) -> None:
                    for it, ans in zip(chunk, batch, strict=True):
                        rec = {"response": ans.text, "transcript": ans.transcript}
                        if cache is not None:
                            cache.put(keys[it.id], identity, requests[it.id], json.dumps(rec, ensure_ascii=False))
                        out.write({"id": it.id, **rec, "cached": False})
                        progress.advance(bar)

                answer_items(model, chunk, cfg.audio_root, asr=asr, batch_size=cfg.batch_size,
                             max_new_tokens=cfg.max_new_tokens, system=system, on_batch=write)
    finally:
        if cache is not None:
            cache.close()

    wanted = {it.id for it in items}
    preds = {rec["id"]: rec.get("response") for _, rec in iter_jsonl(samples_path) if rec["id"] in wanted}
    write_json_atomic(run_dir / "predictions.json",
                      [{**it.meta, "id": it.id, "model_output": preds.get(it.id),
                        "answer_prediction": preds.get(it.id)} for it in items])
    metrics = interim.score(items, preds)  # WIRE 2: the official scorer (metrics.official / robust / missing)
    llm_spec = f"hf:{model.config.llm}"
    summary = {
        "task": "grounded",
        "model": llm_spec,
        "label": cfg.label or llm_spec,
        "benchmark": benchmark,
        "split": cfg.split,
        "connector": cfg.checkpoint,
        "identity": identity,
        "complete": len(preds) == len(items),
        "metrics": metrics,
        "data": {"path": str(data_path), "sha256": fingerprint["data_sha256"], "items": len(items)},
        "created": record.get("created"),
        "versions": record.get("versions"),
        "git_commit": record.get("git_commit"),
    }
    interim.write_summary(run_dir, summary)  # WIRE 3: the shared summary writer (docs/results.md)
    return GroundedResult(run_dir=str(run_dir), summary=summary)


"""DeSTA training with accelerate: one GPU, DDP on many GPUs and nodes (``accelerate launch``
or ``torchrun``), bf16 mixed precision, exact resume.

The loss covers the response tokens and the end-of-sequence token only. AdamW, warm-up then
cosine (or linear / constant), grad-norm clipping; gradient accumulation by hand so that an
optimizer step never straddles an epoch boundary or a checkpoint.

A training folder holds ``train_config.json`` (what decides the result; a different config
refuses to resume), ``metrics.csv`` (one row per logged step), ``checkpoints/step-N/`` and,
at the end, ``final/`` (the connector, loadable by ``DestaModel.from_pretrained``). A
checkpoint is the connector (``model/``, the same format as ``final/``), the optimizer,
every rank's RNG states, the scheduler and the position in the data (epoch, batches done),
all as safetensors or JSON (:mod:`akb.lalm.checkpoint`): resuming never unpickles anything,
so a crafted file planted in a checkpoint cannot run code. Running the same command again
resumes from the newest checkpoint, mid-epoch included, and continues the same loss curve:
the data order is a function of (seed, epoch), and the RNG streams are restored.

``train_config.json`` is written only once the data has loaded, so a run that fails on its
input leaves nothing that blocks the corrected command; a folder without checkpoints takes
a new config; ``overwrite`` (``akb ground train --overwrite``) clears a finished or
different run's files first.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from akb.core.errors import MissingDependencyError, ResumeError
from akb.core.hashing import canonical_json
from akb.lalm.checkpoint import load_training_state, save_training_state
from akb.lalm.config import TrainConfig
from akb.lalm.dataset import DistillDataset, EpochBatchSampler
from akb.lalm.model import DestaModel

CONFIG_FILE = "train_config.json"
METRICS_FILE = "metrics.csv"
STATE_FILE = "state.json"
METRIC_FIELDS = ["step", "epoch", "loss", "lr", "grad_norm", "tokens", "samples_per_s", "elapsed_s"]
# Settings that change how a run is carried out, not what it computes.
NOT_DECISIVE = {"max_steps", "progress", "num_workers", "log_every", "save_every", "keep_checkpoints", "log_with", "out",
                "overwrite"}
# What a training folder holds (and --overwrite removes); anything else there is left alone.
RUN_FILES = (CONFIG_FILE, METRICS_FILE)
RUN_DIRS = ("checkpoints", "final")


class TrainState:
    """Where training stands; saved in every checkpoint (``state.json``)."""

    def __init__(self) -> None:
        self.epoch = 0
        self.batches_done = 0  # in the current epoch, on this rank
        self.step = 0  # optimizer steps
        self.seconds = 0.0  # training time before this process started

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "batches_done": self.batches_done, "step": self.step, "seconds": self.seconds}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        self.epoch, self.batches_done, self.step = int(d["epoch"]), int(d["batches_done"]), int(d["step"])
        self.seconds = float(d.get("seconds", 0.0))


@dataclass
class TrainResult:
    out: str
    final: str | None
    steps: int
    planned_steps: int
    resumed_from: str | None
    losses: list[tuple[int, float]] = field(default_factory=list)
    records: int = 0
    skipped: int = 0
    main_process: bool = True


def _precision(name: str) -> str:
    if name != "auto":
        return name
    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return "bf16"
    return "no"


def _lr_lambda(schedule: str, warmup: int, total: int) -> Any:
    def f(step: int) -> float:
        if warmup and step < warmup:
            return (step + 1) / warmup
        if schedule == "constant":
            return 1.0
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        if schedule == "linear":
            return max(0.0, 1.0 - progress)
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    return f


def _fingerprint(cfg: TrainConfig) -> dict[str, Any]:
    return {k: v for k, v in cfg.model_dump(mode="json").items() if k not in NOT_DECISIVE}


def _check_config(out: Path, cfg: TrainConfig) -> None:
    """Refuse to resume a different run; a folder without checkpoints has nothing to resume."""
    path = out / CONFIG_FILE
    if not path.exists() or not checkpoints(out):
        return
    fp = _fingerprint(cfg)
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise ResumeError(f"{path}: not valid JSON; pass --overwrite to start the run again") from None
    if canonical_json(old) != canonical_json(fp):
        changed = sorted(k for k in set(fp) | set(old) if canonical_json(old.get(k)) != canonical_json(fp.get(k)))
        raise ResumeError(f"{out} holds a training run with other settings (changed: {', '.join(changed)}); "
                          "choose another out folder, or pass --overwrite to start it again")


def _write_config(out: Path, cfg: TrainConfig) -> None:
    from akb.core.jsonl import write_json_atomic

    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / CONFIG_FILE, _fingerprint(cfg))


def clear_run(out: Path) -> None:
    """Remove what a training run wrote in ``out`` (its config, metrics, checkpoints, final model)."""
    for name in RUN_FILES:
        (out / name).unlink(missing_ok=True)
    for name in RUN_DIRS:
        if (out / name).is_dir():
            shutil.rmtree(out / name)


def checkpoints(out: Path) -> list[Path]:
    """Complete checkpoints, oldest first (a crash mid-save leaves only a ``.tmp`` folder)."""
    root = out / "checkpoints"
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir()
             if p.is_dir() and p.name.startswith("step-") and p.name[5:].isdigit() and (p / STATE_FILE).exists()]
    return sorted(found, key=lambda p: int(p.name.split("-")[1]))


def _rewrite_metrics(path: Path, upto: int) -> None:
    """Keep only rows up to step ``upto``: steps after the checkpoint are about to be redone."""
    if not path.exists():
        return
    with path.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if int(r["step"]) <= upto]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=METRIC_FIELDS)
        w.writeheader()
        w.writerows(rows)


def read_metrics(out: str | Path) -> list[dict[str, float]]:
    with (Path(out) / METRICS_FILE).open(newline="", encoding="utf-8") as f:
        return [{k: float(v) for k, v in r.items() if v != ""} for r in csv.DictReader(f)]


def train(cfg: TrainConfig, *, model: DestaModel | None = None, console: Console | None = None) -> TrainResult:
    try:
        from accelerate import Accelerator
        from accelerate.utils import set_seed
    except ImportError:
        raise MissingDependencyError("accelerate", "hf", "DeSTA training") from None
    out = Path(cfg.out)
    console = console or Console(stderr=True)
    # cpu=True on machines without CUDA: torchrun processes then form one gloo group (MULTI_CPU)
    # instead of each training alone.
    acc = Accelerator(mixed_precision=_precision(cfg.precision), log_with=cfg.log_with or None,
                      project_dir=str(out), cpu=not torch.cuda.is_available())
    if cfg.overwrite:
        if acc.is_main_process:
            clear_run(out)
        acc.wait_for_everyone()
    _check_config(out, cfg)  # every rank refuses, so none waits forever
    set_seed(cfg.seed)

    if model is None:
        model = DestaModel.build(cfg.model, device=acc.device)
    else:
        model = model.to(acc.device)
    if cfg.init_from:
        model.load_trainable(cfg.init_from)
    dataset = DistillDataset(cfg.data, cfg.audio_root, model.processor, cfg.max_response_tokens)
    # The input is valid: only now does the folder become this run's.
    if acc.is_main_process:
        _write_config(out, cfg)  # replaces one left by a run that never reached a checkpoint
    acc.wait_for_everyone()
    sampler = EpochBatchSampler(len(dataset), cfg.batch_size, seed=cfg.seed, rank=acc.process_index,
                                world=acc.num_processes)
    loader = torch.utils.data.DataLoader(
        dataset, batch_sampler=sampler, collate_fn=dataset.collate, num_workers=cfg.num_workers,
        # Its own generator: creating an iterator must not draw from the global RNG.
        generator=torch.Generator().manual_seed(cfg.seed),
    )
    batches_per_epoch = len(sampler)
    steps_per_epoch = math.ceil(batches_per_epoch / cfg.grad_accum)
    planned = cfg.epochs * steps_per_epoch
    if cfg.warmup_steps >= planned and acc.is_main_process:
        console.print(f"[yellow]note[/yellow]: {cfg.warmup_steps} warm-up steps >= the {planned} planned steps")

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_lambda(cfg.schedule, cfg.warmup_steps, planned))
    model, optimizer = acc.prepare(model, optimizer)
    raw: DestaModel = acc.unwrap_model(model)
    state = TrainState()

    resumed_from = None
    found = checkpoints(out)
    if found:
        ckpt = found[-1]
        saved = json.loads((ckpt / STATE_FILE).read_text(encoding="utf-8"))
        if saved.get("world") != acc.num_processes:
            raise ResumeError(f"{ckpt} was written by {saved.get('world')} processes, this run has "
                              f"{acc.num_processes}; resume with the same number")
        raw.load_trainable(ckpt / "model")
        # safetensors and JSON only: nothing in the folder is unpickled (see akb.lalm.checkpoint)
        load_training_state(ckpt, rank=acc.process_index, optimizer=optimizer, scheduler=scheduler,
                            scaler=getattr(acc, "scaler", None))
        state.load_state_dict(saved)
        resumed_from = str(ckpt)
        if acc.is_main_process:
            console.print(f"resuming from {ckpt} (step {state.step}, epoch {state.epoch + 1}, "
                          f"batch {state.batches_done} of {batches_per_epoch})")
    metrics_path = out / METRICS_FILE
    if acc.is_main_process:
        _rewrite_metrics(metrics_path, state.step)
        if not metrics_path.exists():
            with metrics_path.open("w", newline="", encoding="utf-8") as f:
                csv.DictWriter(f, fieldnames=METRIC_FIELDS).writeheader()
    if cfg.log_with:
        acc.init_trackers("desta", config=_fingerprint(cfg))

    def save_checkpoint() -> None:
        state.seconds = base_seconds + time.perf_counter() - t0
        final = out / "checkpoints" / f"step-{state.step:08d}"
        tmp = final.with_name(final.name + ".tmp")
        if acc.is_main_process and tmp.exists():
            shutil.rmtree(tmp)
        acc.wait_for_everyone()
        # every rank writes its own RNG states into tmp; the main process the rest
        save_training_state(tmp, rank=acc.process_index, main=acc.is_main_process, optimizer=optimizer,
                            scheduler=scheduler, scaler=getattr(acc, "scaler", None))
        acc.wait_for_everyone()
        if acc.is_main_process:
            raw.save_pretrained(tmp / "model")
            (tmp / STATE_FILE).write_text(json.dumps({**state.state_dict(), "world": acc.num_processes}) + "\n",
                                          encoding="utf-8")
            if final.exists():
                shutil.rmtree(final)
            tmp.rename(final)
            for old in checkpoints(out)[: -cfg.keep_checkpoints]:
                shutil.rmtree(old, ignore_errors=True)
        acc.wait_for_everyone()

    stop_at = min(planned, cfg.max_steps) if cfg.max_steps else planned
    losses: list[tuple[int, float]] = []
    window: list[float] = []
    window_tokens = 0
    window_samples = 0
    t_window = time.perf_counter()
    t0 = time.perf_counter()
    base_seconds = state.seconds
    progress = Progress(TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                        TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=console,
                        disable=not (cfg.progress and acc.is_main_process))
    model.train()
    with progress:
        bar = progress.add_task("train", total=stop_at, completed=min(state.step, stop_at), info="")
        while state.step < stop_at and state.epoch < cfg.epochs:
            sampler.start(state.epoch, state.batches_done)
            group: list[dict[str, torch.Tensor]] = []
            for batch in loader:
                group.append(batch)
                state.batches_done += 1
                if len(group) < cfg.grad_accum and state.batches_done < batches_per_epoch:
                    continue
                step_loss = 0.0
                for j, micro in enumerate(group):
                    micro = {k: v.to(acc.device) for k, v in micro.items()}
                    sync = j == len(group) - 1
                    ctx = acc.no_sync(model) if not sync else contextlib.nullcontext()
                    with ctx:
                        res = model(**micro)
                        acc.backward(res["loss"] / len(group))
                    step_loss += float(res["loss"].detach()) / len(group)
                    window_tokens += int(res["tokens"])
                    window_samples += int(micro["input_ids"].shape[0])
                grad_norm = acc.clip_grad_norm_(params, cfg.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                group = []
                state.step += 1
                losses.append((state.step, step_loss))
                window.append(step_loss)
                progress.update(bar, completed=state.step, info=f"loss {step_loss:.4f}")
                if state.step % cfg.log_every == 0 or state.step == stop_at:
                    local = torch.tensor(sum(window) / len(window), device=acc.device)
                    mean = float(acc.reduce(local, reduction="mean"))
                    dt = time.perf_counter() - t_window
                    row = {"step": state.step, "epoch": round(state.epoch + state.batches_done / batches_per_epoch, 4),
                           "loss": round(mean, 6), "lr": scheduler.get_last_lr()[0],
                           "grad_norm": round(float(grad_norm), 6) if grad_norm is not None else "",
                           "tokens": window_tokens, "samples_per_s": round(window_samples * acc.num_processes / dt, 3),
                           "elapsed_s": round(base_seconds + time.perf_counter() - t0, 3)}
                    if acc.is_main_process:
                        with metrics_path.open("a", newline="", encoding="utf-8") as f:
                            csv.DictWriter(f, fieldnames=METRIC_FIELDS).writerow(row)
                    if cfg.log_with:
                        acc.log({"loss": mean, "lr": row["lr"]}, step=state.step)
                    window, window_tokens, window_samples, t_window = [], 0, 0, time.perf_counter()
                if state.step % cfg.save_every == 0 or state.step == stop_at:
                    save_checkpoint()
                if state.step >= stop_at:
                    break
            if state.batches_done >= batches_per_epoch:
                state.epoch += 1
                state.batches_done = 0
    final_dir = None
    if state.step >= planned or state.epoch >= cfg.epochs:
        final_dir = out / "final"
        if acc.is_main_process:
            raw.save_pretrained(final_dir)
    acc.wait_for_everyone()
    if cfg.log_with:
        acc.end_training()
    return TrainResult(out=str(out), final=str(final_dir) if final_dir else None, steps=state.step,
                       planned_steps=planned, resumed_from=resumed_from, losses=losses,
                       records=dataset.stats.records,
                       skipped=dataset.stats.skipped_error + dataset.stats.skipped_empty,
                       main_process=acc.is_main_process)

"""The audio-grounded step of ``akb quickstart``: the whole DeSTA pipeline on a tiny world.

Every stage is the real one (``akb ground build-data``, ``train``, ``eval`` machinery); only
the models are tiny demonstration models built offline (:mod:`akb.lalm.tiny`):

1. *Data*: the synthetic suite twice: a training suite (its own seed) and the held-out
   suite the cascade step answers (seed 0, 6 clips per task), so both settings score the
   same items.
2. *Backbone*: a tiny Llama whose tokenizer is trained here, fitted from text alone to
   answer the suite's questions from seed descriptions of the training clips (the suite's
   ``metadata.jsonl`` through :func:`akb.lalm.data.seed_description`): a stand-in for an
   instruction-tuned LLM that can read a description. It knows nothing else.
3. *Self-distillation*: the backbone answers *seed description + question* for every
   training clip (the suite's metadata with each clip's own questions); its answers are
   the training targets.
4. *Training*: a random tiny Whisper encoder (frozen) and a small Q-Former connector,
   trained so the audio stands in for the description.
5. *Evaluation*: the held-out questions, from audio alone (no transcripts: the tiny Whisper
   transcribes nothing, so "what is said" stays at chance), scored by the official rule.

The world lives in ``WORLD/<settings hash>/``; each stage is skipped or resumed when its
output is already there, so a second quickstart reuses it. Scores show that the pipeline
works end to end, not anything about a real backbone.
"""

from __future__ import annotations

import contextlib
import json
import random
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from akb.audiobench.benchmarks import load_audio_benchmark
from akb.audiobench.items import AudioItem
from akb.audiobench.synth import METADATA_FILE
from akb.build.synth import make_suite
from akb.core.hashing import stable_hash
from akb.core.jsonl import write_json_atomic

LABEL = "tiny-desta (demo)"


@dataclass(frozen=True)
class DemoSettings:
    """What decides the tiny world; its hash names the world's folder."""

    train_per_task: int = 32
    train_seed: int = 1  # the held-out suite is seed 0
    orders: int = 3  # option orders per training question
    lm_steps: int = 200
    lm_hidden: int = 64
    vocab_size: int = 1000  # whole words: shorter prompts, easier copying
    per_clip: int = 2
    window_s: int = 6  # the tiny Whisper's input window; the suite's longest clip is under 6 s
    mel_bins: int = 40
    queries: int = 16
    epochs: int = 8
    batch_size: int = 16
    lr: float = 3e-3
    seed: int = 0

    @classmethod
    def quick(cls) -> DemoSettings:
        """A smaller world for a quick look (``akb quickstart --limit``) and the tests."""
        return cls(train_per_task=8, lm_steps=100, epochs=4)


def _ordered(item: AudioItem, k: int, rng: random.Random) -> list[AudioItem]:
    """``k`` copies of the item with its options in different orders (the original first)."""
    out, seen = [item], {tuple(item.choices)}
    for _ in range(8 * k):
        if len(out) == k:
            break
        c = list(item.choices)
        rng.shuffle(c)
        if tuple(c) not in seen:
            seen.add(tuple(c))
            out.append(item.model_copy(update={"choices": c}))
    return out


def text_examples(items: list[AudioItem], seeds: dict[str, str], orders: int, seed: int) -> list[tuple[list[dict[str, str]], str]]:
    """(chat, answer) pairs: each question about a training clip, its options in several
    orders, in the build-data layout and in the evaluation layout."""
    from akb.lalm.config import DEFAULT_SYSTEM_PROMPT
    from akb.lalm.data import generation_messages
    from akb.lalm.infer import EVAL_SYSTEM_PROMPT, mcq_question

    rng = random.Random(seed)
    out = []
    for it in items:
        assert it.answer is not None
        for variant in _ordered(it, orders, rng):
            q = mcq_question(variant)
            out.append((generation_messages(seeds[it.id], q, DEFAULT_SYSTEM_PROMPT), it.answer))
            out.append(([{"role": "system", "content": EVAL_SYSTEM_PROMPT},
                         {"role": "user", "content": f"{seeds[it.id]}\n\n{q}"}], it.answer))
    return out


@dataclass
class DemoResult:
    run_dir: Path
    summary: dict[str, Any]
    world: Path
    lm_loss: float | None
    train_loss: tuple[float, float] | None  # mean of the first and of the last tenth of the steps
    chance: float  # expected accuracy of random guessing on the items scored


@contextlib.contextmanager
def _no_transformers_bars() -> Iterator[None]:
    """transformers draws a bar for every tiny load and save; akb's own progress says enough."""
    from transformers.utils import logging as hf_logging

    was = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was:
            hf_logging.enable_progress_bar()


def run_grounded_demo(run_dir: Path, world_root: Path, *, settings: DemoSettings | None = None,
                      limit: int | None = None, progress: bool = True, console: Console | None = None) -> DemoResult:
    """Build (or reuse) the tiny world under ``world_root`` and evaluate it into ``run_dir``."""
    with _no_transformers_bars():
        return _run(run_dir, world_root, settings or DemoSettings(), limit, progress, console or Console(stderr=True))


def _run(run_dir: Path, world_root: Path, s: DemoSettings, limit: int | None, progress: bool,
         console: Console) -> DemoResult:
    from akb.lalm import tiny
    from akb.lalm.config import DestaConfig, TrainConfig
    from akb.lalm.data import ClipMeta, seed_description
    from akb.lalm.infer import mcq_question
    from akb.lalm.train import read_metrics, train
    from akb.models.spec import ModelConfig
    from akb.runs.distill import DistillConfig, run_build_data
    from akb.runs.grounded import GroundedEvalConfig, run_grounded

    world = (world_root / stable_hash(asdict(s), 10)).resolve()  # the saved configs hold absolute paths
    clock = [time.perf_counter()]

    def say(message: str) -> None:
        now = time.perf_counter()
        console.print(f"  {message} [dim]({now - clock[0]:.0f} s)[/dim]")
        clock[0] = now

    world.mkdir(parents=True, exist_ok=True)
    write_json_atomic(world / "settings.json", asdict(s))

    # 1. data: a training suite, and the held-out suite exactly as `akb cascade` builds it
    suite = world / "train-suite"
    make_suite(suite, per_task=s.train_per_task, seed=s.train_seed)
    bench = load_audio_benchmark(f"synth:{suite}")
    metas = {m["id"]: m for m in map(json.loads, (suite / METADATA_FILE).read_text(encoding="utf-8").splitlines())}
    seeds = {iid: seed_description(ClipMeta.model_validate(m)) for iid, m in metas.items()}
    heldout = load_audio_benchmark("synth")
    say(f"data: {len(bench.items)} training clips in {suite}; {len(heldout.items)} held-out items in {heldout.path.parent}")

    # 2. the backbone, fitted from text alone
    lm = world / "lm"
    if not (lm / tiny.FIT_FILE).exists():
        examples = text_examples(bench.items, seeds, s.orders, s.seed)
        tiny.build_text_fitted_lm(lm, examples, steps=s.lm_steps, hidden=s.lm_hidden, vocab_size=s.vocab_size,
                                 seed=s.seed)
    fit = json.loads((lm / tiny.FIT_FILE).read_text(encoding="utf-8"))
    lm_loss = fit.get("final_loss")
    whisper = world / "whisper"
    if not (whisper / tiny.FIT_FILE).exists():
        tiny.build_tiny_whisper(whisper, seed=s.seed, window_s=s.window_s, mel_bins=s.mel_bins)
    say(f"backbone: a tiny Llama fitted on {fit.get('examples')} (seed description, question) -> answer texts, "
        f"final loss {lm_loss:.3f}; a random tiny Whisper encoder")

    # 3. self-distillation: the suite's metadata, each clip with its own questions
    meta_file = world / "train-metadata.jsonl"
    rng = random.Random(s.seed)
    lines = []
    for it in bench.items:
        questions = [mcq_question(v) for v in _ordered(it, max(s.orders, s.per_clip), rng)]
        lines.append(json.dumps({**metas[it.id], "instructions": questions}, ensure_ascii=False) + "\n")
    if not meta_file.exists():
        write_json_atomic(meta_file, "".join(lines))
    hf = ModelConfig(backend="hf", model=str(lm), options={"device": "cpu", "dtype": "float32", "batch_size": 64})
    _, stats = run_build_data(DistillConfig(model=hf, metadata=str(meta_file), audio_root=str(suite),
                                            out=str(world / "distill"), per_clip=s.per_clip, max_tokens=24,
                                            cache=str(world / "responses.sqlite"), progress=progress),
                              console=console)
    say(f"build-data: {stats.written + stats.resumed} targets written by the backbone itself")

    # 4. training
    model_cfg = DestaConfig(llm=str(lm), encoder=str(whisper), queries=s.queries, n_taps=2, qformer_layers=2,
                            qformer_heads=4, qformer_ffn=128, llm_dtype="float32", encoder_dtype="float32")
    out = world / "train"
    if not (out / "final" / "desta_config.json").exists():
        train(TrainConfig(model=model_cfg, data=[str(world / "distill")], audio_root=str(suite), out=str(out),
                          epochs=s.epochs, batch_size=s.batch_size, lr=s.lr, warmup_steps=10, save_every=10_000,
                          log_every=1, num_workers=0, seed=s.seed, precision="no", progress=progress),
              console=console)
    losses = [r["loss"] for r in read_metrics(out)]
    k = max(1, len(losses) // 10)
    train_loss = (sum(losses[:k]) / k, sum(losses[-k:]) / k) if losses else None
    if train_loss:
        say(f"train: connector loss {train_loss[0]:.3f} -> {train_loss[1]:.3f} (first and last tenth of "
            f"{len(losses)} steps)")

    # 5. evaluation on the held-out suite, with the `akb ground eval` machinery
    res = run_grounded(GroundedEvalConfig(
        checkpoint=str(out / "final"), data=f"synth:{heldout.path.parent}", out=str(run_dir), label=LABEL, asr="none",
        device="cpu", batch_size=32, max_new_tokens=24, limit=limit, cache=str(world / "responses.sqlite"),
        progress=progress, overwrite=True), console=console)
    scored = heldout.items[:limit] if limit else heldout.items
    chance = sum(1 / len(it.choices) for it in scored) / len(scored)
    return DemoResult(run_dir=Path(res.run_dir), summary=res.summary, world=world, lm_loss=lm_loss,
                      train_loss=train_loss, chance=chance)

"""``akb ground``: DeSTA self-distillation turns a text LLM into an audio LLM.

build-data (the LLM writes its own targets) -> train (the connector learns to stand in for
the description) -> eval (answer audio benchmarks); params counts parameters for a shape.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError

from akb.cli.common import console, err_console, parse_options, run_audio_command
from akb.core.errors import ConfigError


def _validated(cls: type[BaseModel], **values: Any) -> Any:
    try:
        return cls(**values)
    except ValidationError as e:
        err = e.errors()[0]
        raise ConfigError(f"option '{'.'.join(map(str, err['loc']))}': {err['msg']}") from None

app = typer.Typer(help="Audio-grounded evaluation: DeSTA self-distillation, training and evaluation.",
                  no_args_is_help=True)


@app.command("build-data")
def build_data(
    metadata: Annotated[Path, typer.Argument(help="clip metadata JSONL: audio, transcript, attributes (see docs)")],
    audio_root: Annotated[Path, typer.Option("--audio-root", help="clip paths are relative to this folder")],
    model: Annotated[str, typer.Option("--model", "-m", help="the backbone LLM: hf:NAME, vllm:NAME, openai:NAME ...")],
    out: Annotated[Path, typer.Option("--out", help="output folder (a shard writes OUT/shard-i-of-N)")],
    shard: Annotated[str, typer.Option(help="i/N: this worker's share of the job")] = "0/1",
    instructions: Annotated[list[Path] | None, typer.Option("--instructions", help="extra instruction file (.txt or .yaml), repeatable")] = None,
    replace_instructions: Annotated[bool, typer.Option("--replace-instructions", help="use only --instructions files, not the shipped pool")] = False,
    per_clip: Annotated[int, typer.Option(help="instructions (samples) per clip")] = 1,
    dataset: Annotated[str | None, typer.Option(help="dataset name for clips without one (default: file stem)")] = None,
    seed: Annotated[int, typer.Option(help="seed of the instruction draw (and of sampling)")] = 0,
    max_tokens: Annotated[int, typer.Option(help="longest response")] = 512,
    temperature: Annotated[float, typer.Option(help="0 = greedy")] = 0.0,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server URL")] = None,
    batch_size: Annotated[int | None, typer.Option(help="local models: requests per batch")] = None,
    concurrency: Annotated[int | None, typer.Option(help="API models: requests in flight")] = None,
    option: Annotated[list[str] | None, typer.Option("--option", "-o", help="backend option KEY=VALUE")] = None,
    limit: Annotated[int | None, typer.Option(help="only the first N clips")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache")] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="discard a different job in the output folder")] = False,
) -> None:
    """Write DeSTA self-distillation data: seed description + instruction -> the LLM's answer.

    Sharded and resumable: run the same command again to continue; run shards 0/N .. N-1/N
    anywhere (different servers too) to split one job.
    """
    from akb.models.spec import parse_model_spec
    from akb.runs.distill import DistillConfig, parse_shard, run_build_data

    opts = parse_options(option or [])
    opts.update({k: v for k, v in {"base_url": base_url, "batch_size": batch_size, "concurrency": concurrency}.items()
                 if v is not None})
    cfg = _validated(DistillConfig, model=parse_model_spec(model, **opts), metadata=str(metadata), audio_root=str(audio_root),
                        out=str(out), dataset=dataset, instructions=[str(p) for p in instructions or []],
                        replace_instructions=replace_instructions, per_clip=per_clip, seed=seed,
                        max_tokens=max_tokens, temperature=temperature, shard=parse_shard(shard), limit=limit,
                        use_cache=not no_cache, progress=not no_progress, overwrite=overwrite)
    try:
        path, stats = run_build_data(cfg, console=err_console)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/yellow]: finished samples are saved; run the same command to resume")
        raise typer.Exit(130) from None
    console.print(f"{stats.written + stats.resumed} samples in {path} ({stats.computed} generated, "
                  f"{stats.from_cache} from cache, {stats.resumed} already there, {stats.final_errors} failed)")
    if not stats.complete:
        err_console.print(f"[yellow]incomplete[/yellow]: {stats.retry_later} requests failed after retries; "
                          "run the same command again to retry them")
        raise typer.Exit(3)


@app.command()
def train(
    config: Annotated[Path, typer.Argument(help="training config YAML (model, data, audio_root, out, recipe)")],
    out: Annotated[Path | None, typer.Option("--out", help="override the config's out folder")] = None,
    max_steps: Annotated[int | None, typer.Option(help="stop after this many optimizer steps (resumable)")] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="discard the run in the out folder and start again")] = False,
) -> None:
    """Train the connector on self-distillation data (accelerate: one GPU, DDP, multi-node).

    Re-running the same command resumes from the newest checkpoint, mid-epoch included.
    Multi-GPU: accelerate launch -m akb ground train config.yaml.
    """
    from akb.lalm.config import load_train_config
    from akb.lalm.train import read_metrics
    from akb.lalm.train import train as run_train

    cfg = load_train_config(config, {"out": str(out) if out else None, "max_steps": max_steps,
                                     "progress": False if no_progress else None, "overwrite": overwrite or None})
    res = run_train(cfg, console=err_console)
    if not res.main_process:
        return
    rows = read_metrics(res.out)
    last = f", last logged loss {rows[-1]['loss']:.4f}" if rows else ""
    console.print(f"{res.steps}/{res.planned_steps} steps on {res.records} records ({res.skipped} skipped){last}")
    console.print(f"metrics: {res.out}/metrics.csv; " + (f"model: {res.final}" if res.final else
                  "stopped early: run the same command to continue"))


@app.command("eval")
def evaluate(
    checkpoint: Annotated[Path, typer.Argument(help="a saved DeSTA model folder (train's final/)")],
    data: Annotated[str, typer.Option("--data", help="mmau:FILE, mmar:FILE, synth:DIR, or a plain file (see --benchmark)")],
    audio_root: Annotated[Path | None, typer.Option("--audio-root", help="clip paths are relative to this folder (default: the file's folder)")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="run directory (default runs/grounded/LLM-BENCH)")] = None,
    benchmark: Annotated[str | None, typer.Option(help="mmau, mmar or synth: the format of a plain --data file (default mmau)")] = None,
    split: Annotated[str | None, typer.Option(help="test-mini, test ... (default: from the file)")] = None,
    asr: Annotated[str, typer.Option(help="Whisper model for transcripts; auto = the encoder's; none")] = "auto",
    llm: Annotated[str | None, typer.Option(help="where the backbone LLM lives, if moved")] = None,
    encoder: Annotated[str | None, typer.Option(help="where the Whisper encoder lives, if moved")] = None,
    batch_size: Annotated[int, typer.Option(help="clips per generation batch")] = 8,
    max_new_tokens: Annotated[int, typer.Option(help="longest answer")] = 512,
    limit: Annotated[int | None, typer.Option(help="only the first N items")] = None,
    device: Annotated[str | None, typer.Option(help="cpu, cuda, cuda:N")] = None,
    label: Annotated[str | None, typer.Option(help="display name in tables")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache")] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite")] = False,
) -> None:
    """Answer an audio benchmark with a trained DeSTA model; scored like MMAU/MMAR's official
    scripts and akb's robust rule. Resumable; items whose clip fails are retried on a rerun."""
    from akb.runs.grounded import GroundedEvalConfig, run_grounded

    cfg = _validated(GroundedEvalConfig, checkpoint=str(checkpoint), data=data,
                     audio_root=str(audio_root) if audio_root else None, out=str(out) if out else None,
                     benchmark=benchmark, split=split, asr=asr, llm=llm, encoder=encoder, batch_size=batch_size,
                     max_new_tokens=max_new_tokens, limit=limit, device=device, label=label,
                     use_cache=not no_cache, progress=not no_progress, overwrite=overwrite)
    run_audio_command(lambda: run_grounded(cfg, console=err_console), saved="answers",
                      files="summary.json, summary.md, samples.jsonl, predictions.json")


@app.command()
def params(
    encoder_width: Annotated[int | None, typer.Option(help="encoder hidden size (Whisper-large-v3: 1280)")] = None,
    llm_width: Annotated[int | None, typer.Option(help="LLM hidden size (Llama-3.1-8B: 4096)")] = None,
    taps: Annotated[int, typer.Option(help="encoder layers tapped")] = 4,
    queries: Annotated[int, typer.Option(help="learned queries per tap")] = 64,
    qformer_layers: Annotated[int, typer.Option(help="Q-Former layers")] = 6,
    qformer_heads: Annotated[int, typer.Option(help="Q-Former attention heads")] = 20,
    qformer_ffn: Annotated[int, typer.Option(help="Q-Former feed-forward size")] = 3072,
    encoder: Annotated[str | None, typer.Option(help="encoder config for the frozen count: a preset, config.json or "
                                                     "model folder (default whisper-large-v3 when the width is 1280)")] = None,
    llm: Annotated[str | None, typer.Option(help="LLM config for the frozen count: a preset, config.json or model "
                                                 "folder (default llama-3.1-8b when the width is 4096)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Trainable and frozen parameter counts (M) of a DeSTA shape, without loading weights."""
    from akb.lalm.config import PRESETS
    from akb.lalm.params import count_params

    def preset_for(width: int | None, key: str, name: str) -> str | None:
        return name if width in (None, PRESETS[name][1][key]) else None

    encoder = encoder or preset_for(encoder_width, "d_model", "whisper-large-v3")
    llm = llm or preset_for(llm_width, "hidden_size", "llama-3.1-8b")
    r = count_params(encoder_width=encoder_width, llm_width=llm_width, taps=taps, queries=queries,
                     qformer_layers=qformer_layers, qformer_ffn=qformer_ffn, qformer_heads=qformer_heads,
                     encoder=encoder, llm=llm)
    if as_json:
        typer.echo(json.dumps({**r.as_dict(), "encoder": encoder, "llm": llm}))
        return

    def m(n: int | None, missing: str) -> str:
        return f"n/a ({missing})" if n is None else f"{n / 1e6:.1f} M"

    console.print(f"trainable (connector): {m(r.trainable, '')}  [{r.trainable:,}]")
    tap_note = f", up to tap {r.taps[-1]}" if r.taps else ""
    console.print(f"frozen encoder ({encoder or 'no config'}{tap_note}): {m(r.encoder_frozen, 'give --encoder')}")
    console.print(f"frozen LLM ({llm or 'no config'}): {m(r.llm_frozen, 'give --llm')}")
    console.print(f"frozen total: {m(r.frozen, 'give --encoder and --llm')}")

"""``akb cascade``: a captioner describes each clip, a text LLM answers MMAU/MMAR from the words."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from akb.cli.common import (
    build_run_config,
    err_console,
    parse_options,
    read_run_config,
    run_audio_command,
    split_csv,
)


def cascade(
    benchmark: Annotated[str | None, typer.Option("--benchmark", "-b", help="mmau:PATH.json, mmar:PATH/MMAR-meta.json, synth (default: built on the fly) or synth:DIR")] = None,
    audio_root: Annotated[Path | None, typer.Option(help="folder the benchmark's audio paths are relative to (default: the JSON's folder)")] = None,
    captioner: Annotated[str | None, typer.Option("--captioner", "-c", help="dsp (default), whisper:NAME, faster-whisper:tiny.en (or a CTranslate2 folder), hf-audio-lm:NAME, api:PROVIDER:MODEL (provider gemini or openai), file:CAPTIONS.jsonl, or A+B joined")] = None,
    captioner_option: Annotated[list[str] | None, typer.Option("--captioner-option", "-C", help="captioner option KEY=VALUE (NAME.KEY=VALUE for a joined captioner)")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="backbone LLM BACKEND:NAME (default: embedding, offline)")] = None,
    mode: Annotated[str | None, typer.Option(help="auto (default), generate, or logprob")] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server for the LLM")] = None,
    api_key_env: Annotated[str | None, typer.Option(help="environment variable with the LLM's API key")] = None,
    dtype: Annotated[str | None, typer.Option(help="hf/vllm LLM: auto, bfloat16, float16, float32")] = None,
    device: Annotated[str | None, typer.Option(help="hf LLM: auto, cpu, cuda, cuda:N")] = None,
    batch_size: Annotated[int | None, typer.Option(help="local LLM: requests per forward pass")] = None,
    concurrency: Annotated[int | None, typer.Option(help="API LLM: requests in flight")] = None,
    option: Annotated[list[str] | None, typer.Option("--option", "-o", help="any LLM backend option KEY=VALUE")] = None,
    groups: Annotated[list[str] | None, typer.Option(help="only these MMAU tasks / MMAR modalities (comma-separated)")] = None,
    limit: Annotated[int | None, typer.Option(help="only the first N items")] = None,
    cot: Annotated[bool | None, typer.Option("--cot/--no-cot", help="let the LLM reason before the answer")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="answer length (default 64; 2048 with --cot)")] = None,
    temperature: Annotated[float | None, typer.Option(help="sampling temperature (default 0)")] = None,
    seed: Annotated[int | None, typer.Option(help="sampling seed")] = None,
    per_task: Annotated[int | None, typer.Option(help="synth: clips per task when built on the fly (default 6)")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="run directory (default runs/cascade/...)")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="YAML with any CascadeConfig field")] = None,
    cache: Annotated[Path | None, typer.Option(help="SQLite cache of LLM responses")] = None,
    caption_cache: Annotated[Path | None, typer.Option(help="SQLite cache of captions")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="neither read nor write the caches")] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="no progress bars")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="discard a different run in --out")] = False,
) -> None:
    """Caption every clip, ask the LLM, score with the official MMAU/MMAR rule and akb's robust rule.

    With no arguments: the synthetic suite, the dsp captioner and the offline embedding
    baseline. Re-running the same command on the same --out resumes.
    """
    from akb.models.spec import ModelConfig, parse_model_spec
    from akb.runs.cascade import CascadeConfig, run_cascade

    raw: dict[str, Any] = read_run_config(config)
    opts = parse_options(option or [])
    opts.update({k: v for k, v in {"base_url": base_url, "api_key_env": api_key_env, "dtype": dtype, "device": device,
                                   "batch_size": batch_size, "concurrency": concurrency}.items() if v is not None})
    spec = model or raw.get("model")
    if isinstance(spec, dict):
        mcfg = ModelConfig.model_validate(spec)
        mcfg.options.update(opts)
        raw["model"] = mcfg.model_dump()
    elif spec or opts:
        raw["model"] = parse_model_spec(str(spec or "embedding"), **opts).model_dump()
    copts = parse_options(captioner_option or [], "--captioner-option")
    if copts:
        raw.setdefault("captioner_options", {}).update(copts)
    overrides = {"benchmark": benchmark, "audio_root": str(audio_root) if audio_root else None, "captioner": captioner,
                 "mode": mode, "groups": split_csv(groups), "limit": limit, "max_tokens": max_tokens,
                 "temperature": temperature, "seed": seed, "synth_per_task": per_task, "out": str(out) if out else None,
                 "cache": str(cache) if cache else None, "caption_cache": str(caption_cache) if caption_cache else None}
    cfg = build_run_config(CascadeConfig, raw, overrides, source=config, cot=cot, no_cache=no_cache,
                           no_progress=no_progress, overwrite=overwrite)
    run_audio_command(lambda: run_cascade(cfg, console=err_console), saved="answers and captions",
                      files="summary.json, summary.md, samples.jsonl, captions.jsonl, predictions.json")


def caption(
    files: Annotated[list[Path], typer.Argument(help="audio files to caption")],
    captioner: Annotated[str, typer.Option("--captioner", "-c", help="captioner spec (see akb cascade --help)")] = "dsp",
    captioner_option: Annotated[list[str] | None, typer.Option("--captioner-option", "-C", help="KEY=VALUE")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="do not use the caption cache")] = False,
) -> None:
    """Caption audio files with any captioner and print one caption per file."""
    from akb.audio.captioners.base import CaptionCache, create_captioner
    from akb.audio.captioners.batch import caption_clips
    from akb.audio.clip import Clip

    cap = create_captioner(captioner, parse_options(captioner_option or [], "--captioner-option"))
    clips = [Clip(key=str(f), path=f, item_ids=[f.stem]) for f in files]
    cache = None if no_cache else CaptionCache()
    try:
        outcomes = caption_clips(cap, clips, cache)
    finally:
        cap.close()
        if cache is not None:
            cache.close()
    failed = 0
    for c in clips:
        o = outcomes[c.key]
        if o.ok:
            typer.echo(f"{c.key}\n{o.caption}\n")
        else:
            failed += 1
            err_console.print(f"[red]error[/red]: {o.error}", highlight=False)
    if failed:
        raise typer.Exit(2)

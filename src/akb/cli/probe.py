"""``akb probe``: one command from a model spec to AKB accuracy per category."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from akb.cli.common import build_run_config, console, err_console, parse_options, read_run_config
from akb.cli.common import split_csv as _split

DEFAULT_MODEL = "embedding"


def probe(
    model: Annotated[str | None, typer.Option("--model", "-m", help="BACKEND:NAME, e.g. hf:Qwen/Qwen3-8B, openai:gpt-4o, random, embedding (default)")] = None,
    mode: Annotated[str | None, typer.Option(help="generate (parse the letter) or logprob (one forward pass per item); default: logprob for a local model without a chat template, else generate")] = None,
    base_url: Annotated[str | None, typer.Option(help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1")] = None,
    api_key_env: Annotated[str | None, typer.Option(help="environment variable that holds the API key")] = None,
    dtype: Annotated[str | None, typer.Option(help="hf/vllm: auto, bfloat16, float16, float32")] = None,
    device: Annotated[str | None, typer.Option(help="hf: auto, cpu, cuda, cuda:N")] = None,
    batch_size: Annotated[int | None, typer.Option(help="local models: requests per forward pass")] = None,
    concurrency: Annotated[int | None, typer.Option(help="API models: requests in flight")] = None,
    option: Annotated[list[str] | None, typer.Option("--option", "-o", help="any backend option KEY=VALUE (repeatable)")] = None,
    data: Annotated[Path | None, typer.Option(help="items JSONL (default: shipped AKB-2000)")] = None,
    categories: Annotated[list[str] | None, typer.Option(help="only these categories (comma-separated or repeated)")] = None,
    limit: Annotated[int | None, typer.Option(help="only the first N selected items, in file order (not a sample: see --sample)")] = None,
    sample: Annotated[int | None, typer.Option(help="a random sample of N items stratified by category (with --seed)")] = None,
    num_fewshot: Annotated[int | None, typer.Option("--num-fewshot", help="K solved examples first, the first K of the fixed pool (0-6)")] = None,
    show_prompt: Annotated[str | None, typer.Option("--show-prompt", help="print the exact prompt of item ID with these settings and exit")] = None,
    cot: Annotated[bool | None, typer.Option("--cot/--no-cot", help="chain-of-thought prompt")] = None,
    circular: Annotated[bool | None, typer.Option("--circular/--no-circular", help="ask all 4 rotations; right only if all right")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="generation length (default 16; 2048 with --cot)")] = None,
    stop_at_letter: Annotated[bool, typer.Option("--stop-at-letter", help="generate mode: the reply ends after a leading "
                                                 "option letter ('B.'); local models stop there (faster; changes what "
                                                 "a reply that runs on counts as: docs/performance.md)")] = False,
    temperature: Annotated[float | None, typer.Option(help="sampling temperature (default 0: greedy)")] = None,
    seed: Annotated[int | None, typer.Option(help="seed of --sample and of sampled decoding (default 0)")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="run directory (default runs/probe/MODEL-MODE)")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="run.yaml with any of these fields")] = None,
    cache: Annotated[Path | None, typer.Option(help="SQLite cache file")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="do not read or write the response cache")] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="no progress bar")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="discard a different run in --out")] = False,
) -> None:
    """Evaluate a text LLM on AKB-2000 (or any items JSONL); accuracy per category with intervals.

    Re-running the same command on the same --out resumes where it stopped.
    """
    from akb.analysis.metrics import table1_markdown
    from akb.bench.taxonomy import load_taxonomy
    from akb.models.spec import parse_model_spec
    from akb.runs.probe import ProbeConfig, run_probe

    raw: dict[str, Any] = read_run_config(config)
    opts = parse_options(option or [])
    flag_opts = {"base_url": base_url, "api_key_env": api_key_env, "dtype": dtype, "device": device,
                 "batch_size": batch_size, "concurrency": concurrency}
    opts.update({k: v for k, v in flag_opts.items() if v is not None})
    # An explicit --model "" is an error (parse_model_spec says so), never the default model.
    spec = model if model is not None else raw.get("model", DEFAULT_MODEL)
    if spec is None:
        spec = DEFAULT_MODEL
    if isinstance(spec, dict):
        from akb.models.spec import ModelConfig

        mcfg = ModelConfig.model_validate(spec)
        mcfg.options.update(opts)
    else:
        mcfg = parse_model_spec(str(spec), **opts)
    raw["model"] = mcfg.model_dump()
    overrides = {"mode": mode, "data": str(data) if data else None, "categories": _split(categories), "limit": limit, "sample": sample,
                 "circular": circular, "max_tokens": max_tokens, "temperature": temperature, "seed": seed,
                 "stop_at_letter": True if stop_at_letter else None,
                 "out": str(out) if out else None, "cache": str(cache) if cache else None}
    if num_fewshot is not None:
        raw.setdefault("prompt", {})["num_fewshot"] = num_fewshot
    cfg = build_run_config(ProbeConfig, raw, overrides, source=config, cot=cot, no_cache=no_cache,
                           no_progress=no_progress, overwrite=overwrite)
    if show_prompt:
        from akb.runs.probe import show_prompt as render_prompt

        backend = None
        if cfg.model.backend == "hf":  # the exact chat-templated text
            from akb.models.registry import create_backend

            backend = create_backend(cfg.model)
        typer.echo(render_prompt(cfg, show_prompt, backend), nl=False)
        return
    try:
        result = run_probe(cfg, console=err_console)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/yellow]: finished answers are saved; run the same command again to resume")
        raise typer.Exit(130) from None
    names = {c.id: c.name for c in load_taxonomy().categories}
    typer.echo(table1_markdown([(cfg.model.spec, result.metrics)], names))
    m = result.metrics
    rate = f"{100 * m.invalid_rate:.1f}%" if m.invalid_rate is not None else "-"
    console.print(f"overall {m.overall.pct_ci()} on {m.overall.n} items; invalid {m.invalid} ({rate})")
    console.print(f"results: {result.run_dir}/summary.json, summary.md, samples.jsonl")
    for w in result.warnings:
        err_console.print(f"[bold red]WARNING[/bold red]: {w}", highlight=False)
    if not result.complete:
        err_console.print(f"[yellow]incomplete[/yellow]: {result.stats['retry_later']} items failed after retries; "
                          "run the same command again to retry them")
        raise typer.Exit(3)

"""Console and error helpers shared by the CLI command modules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from akb.core.errors import ConfigError

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def parse_options(pairs: list[str], flag: str = "--option") -> dict[str, Any]:
    """``KEY=VALUE`` pairs; values are read as YAML (numbers, booleans, lists, mappings)."""
    out: dict[str, Any] = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        if not sep or not key:
            raise ConfigError(f"{flag} expects KEY=VALUE, got {p!r}")
        from akb.core.configfile import load_yaml_text

        try:
            out[key.strip()] = load_yaml_text(value)
        except yaml.YAMLError as e:
            raise ConfigError(f"{flag} {key.strip()}: not a valid value ({' '.join(str(e).split())})") from None
    return out


def split_csv(values: list[str] | None) -> list[str] | None:
    """Repeated and comma-separated values, flattened."""
    if not values:
        return None
    return [v.strip() for x in values for v in x.split(",") if v.strip()]


def read_run_config(path: Path | None) -> dict[str, Any]:
    """A YAML run config as a dict ({} without one); one-line errors."""
    from akb.core.configfile import read_yaml_mapping

    return read_yaml_mapping(path, "run settings") if path else {}


def build_run_config(cls: Any, raw: dict[str, Any], overrides: dict[str, Any], *, source: Path | None,
                     cot: bool | None, no_cache: bool, no_progress: bool, overwrite: bool) -> Any:
    """Flags over a YAML run config, validated into ``cls`` with a one-line error."""
    from pydantic import ValidationError

    raw.update({k: v for k, v in overrides.items() if v is not None})
    if cot is not None:
        raw.setdefault("prompt", {})["cot"] = cot
    if no_cache:
        raw["use_cache"] = False
    if no_progress:
        raw["progress"] = False
    if overwrite:
        raw["overwrite"] = True
    try:
        return cls.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        msg = err["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{source or 'options'}: field '{'.'.join(map(str, err['loc']))}': {msg}") from None


def run_audio_command(run: Callable[[], Any], *, saved: str, files: str) -> None:
    """Run an audio evaluation (cascade, grounded) and print its summary and headline. Ctrl-C
    says what was kept; exit code 3 while items failed, since the same command retries them."""
    import typer

    from akb.audiobench.summary import summary_markdown

    try:
        res = run()
    except KeyboardInterrupt:
        err_console.print(f"[yellow]interrupted[/yellow]: finished {saved} are saved; run the same command again to resume")
        raise typer.Exit(130) from None
    typer.echo(summary_markdown(res.summary))
    m = res.metrics
    console.print(f"official {m.official.overall.pct_ci()} | robust {m.robust.overall.pct_ci()} on {m.official.overall.n} items; "
                  f"missing {m.missing}, invalid {m.robust.invalid}")
    console.print(f"results: {res.run_dir}/{files}")
    if not res.complete:
        err_console.print(f"[yellow]incomplete[/yellow]: {res.stats['failed']} item(s) failed (see summary.md); "
                          "they are counted wrong; fix the cause and run the same command again")
        raise typer.Exit(3)

"""``akb synth``: the synthetic audio suite (offline, ground truth by construction)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from akb.cli.common import console, split_csv

app = typer.Typer(help="Build the synthetic audio suite (MMAU format, computed answers).", no_args_is_help=True)


@app.command()
def make(
    out: Annotated[Path, typer.Argument(help="folder to write audio/, synth.json, metadata.jsonl, manifest.json")],
    per_task: Annotated[int, typer.Option(help="clips (and questions) per task")] = 6,
    seed: Annotated[int, typer.Option(help="seed for notes, voices, sentences, option order")] = 0,
    tasks: Annotated[list[str] | None, typer.Option(help="only these tasks (comma-separated or repeated)")] = None,
    force: Annotated[bool, typer.Option("--force", help="rebuild even if the folder holds the same suite")] = False,
) -> None:
    """Build the suite: tones, intervals, click-track tempo, loudness, clipping, noise colour,
    reverberation and filtering (sox), and espeak-ng speech (content, rate, voice pitch)."""
    from rich.progress import Progress

    from akb.build.synth import make_suite

    with Progress(console=console, transient=True) as bar:
        t = bar.add_task("synthesising", total=None)
        manifest = make_suite(out, per_task=per_task, seed=seed, tasks=split_csv(tasks), force=force,
                              progress=lambda done, total: bar.update(t, completed=done, total=total))
    console.print(f"{out}: {manifest['items']} items, {manifest['clips']} clips, {manifest['seconds_of_audio']} s of audio "
                  f"({len(manifest['tasks'])} tasks)")
    for name, why in manifest["skipped"].items():
        console.print(f"[yellow]skipped[/yellow] {name}: {why}")
    console.print(f"run it: akb cascade --benchmark synth:{out}")


@app.command("tasks")
def list_tasks() -> None:
    """List the tasks with their MMAU group, category and tools needed."""
    from akb.build.synth import TASKS

    for t in TASKS.values():
        console.print(f"{t.name:16s} {t.group:7s} {t.category:15s} {t.subcategory:17s} {', '.join(t.needs) or '-'}")

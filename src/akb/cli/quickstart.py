"""``akb quickstart``: every evaluation on its offline defaults, then the report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from akb.cli.common import console, err_console


def quickstart(
    out: Annotated[Path, typer.Option("--out", help="folder for the runs and the report")] = Path("runs/quickstart"),
    steps: Annotated[str | None, typer.Option(help="only these steps, comma-separated (see --list)")] = None,
    limit: Annotated[int | None, typer.Option(help="only the first N items of each evaluation (a quick look)")] = None,
    list_steps: Annotated[bool, typer.Option("--list", help="list the steps and exit")] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="no progress bars")] = False,
) -> None:
    """Run every evaluation offline on its embedded defaults and write the report beside the published numbers.

    Re-running continues where it stopped; finished steps are not repeated.
    """
    from akb.analysis.correlation import matrix_markdown
    from akb.core.errors import ConfigError
    from akb.runs.quickstart import STEPS, run_quickstart, select_steps

    if list_steps:
        for s in STEPS:
            typer.echo(f"{s.name:22s} {s.title}")
        return
    if limit is not None and limit < 1:
        raise ConfigError(f"--limit {limit}: must be at least 1")
    chosen = select_steps([x.strip() for x in steps.split(",") if x.strip()] if steps else None)
    res = run_quickstart(out, steps=chosen, progress=not no_progress, console=err_console, limit=limit)
    rep = res.report
    for n in rep.notices:
        err_console.print(f"[yellow]note[/yellow]: {n}", highlight=False)
    typer.echo(matrix_markdown(rep.matrix, "pearson"))
    typer.echo("")
    for o in res.outcomes:
        extra = f" ({o.seconds:.0f} s) -> {o.run_dir}" if o.status == "ran" else f": {o.message}"
        typer.echo(f"{o.step:22s} {o.status}{extra}")
    console.print(f"\nreport: {rep.html} (open it in a browser; no server needed)", highlight=False)
    if res.failed:
        raise typer.Exit(1)

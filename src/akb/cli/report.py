"""``akb report``: tables, correlations, plots and paired tests for runs and the published numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from akb.cli.common import console, err_console


def report(
    runs: Annotated[list[Path] | None, typer.Argument(help="run directories, or folders holding them (e.g. runs/)")] = None,
    reference: Annotated[str, typer.Option(help="'paper' (the study's published numbers, bundled), 'none', or a JSON file")] = "none",
    out: Annotated[Path, typer.Option("--out", help="folder for the report")] = Path("report"),
    bootstrap: Annotated[int, typer.Option(help="bootstrap resamples for the correlation intervals")] = 2000,
    seed: Annotated[int, typer.Option(help="bootstrap seed")] = 0,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="do not print the steps")] = False,
) -> None:
    """Leaderboards (Tables 1-3), correlations between settings, plots and paired tests, in one HTML page.

    Example: akb report runs/ --reference paper --out report
    """
    from akb.analysis.correlation import matrix_markdown
    from akb.analysis.report_render import reproduction_markdown
    from akb.runs.report import make_report

    say = None if no_progress else (lambda m: err_console.print(f"[dim]report: {m}[/dim]"))
    res = make_report(runs or [], reference, out, n_boot=bootstrap, seed=seed, progress=say)
    for n in res.notices:
        err_console.print(f"[yellow]note[/yellow]: {n}", highlight=False)
    typer.echo(matrix_markdown(res.matrix, "pearson"))
    if res.reproduction:
        typer.echo("\nThe published heatmap, recomputed from the published tables:")
        typer.echo(reproduction_markdown(res.reproduction, res.index))
    console.print(f"\nreport: {res.html} (opens without a server); tables, figures and CSV in {res.out}/", highlight=False)

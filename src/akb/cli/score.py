"""``akb score mmau|mmar PREDICTIONS.json``: the official MMAU/MMAR scores of existing outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from akb.cli.common import console


def score(
    benchmark: Annotated[str, typer.Argument(help="mmau, mmar (or synth): whose rules and field names")],
    predictions: Annotated[Path, typer.Argument(help="JSON/JSONL entries with the model's answer (official script format)")],
    key: Annotated[str | None, typer.Option(help="prediction key (default: model_output/model_prediction for MMAU, answer_prediction for MMAR)")] = None,
    benchmark_file: Annotated[Path | None, typer.Option(help="official benchmark JSON to take items from; predictions then need only id + answer")] = None,
    label: Annotated[str | None, typer.Option(help="model name for the summary (default: the file name)")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="write summary.json and summary.md here")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Score a predictions file with the official rule (missing predictions counted wrong) and akb's robust rule."""
    from akb.audiobench.summary import summary_markdown, write_audio_summary
    from akb.runs.score import score_file

    summary = score_file(benchmark, predictions, key=key, benchmark_file=benchmark_file, label=label)
    if out:
        write_audio_summary(out, summary)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    typer.echo(summary_markdown(summary))
    m = summary["metrics"]
    console.print(f"official {100 * (m['official']['overall']['accuracy'] or 0):.2f}% on {m['official']['overall']['n']} items "
                  f"(key '{summary['predictions']['key']}', {m['missing']} missing counted wrong)")

"""``akb predict``: a new backbone's expected audio-grounded score from its text-only score."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from akb.core.errors import ConfigError


def _score(name: str, v: float | None) -> float | None:
    if v is None:
        return None
    if not 0 <= v <= 100:
        raise ConfigError(f"{name} {v}: scores are percentages between 0 and 100")
    if 0 < v <= 1:
        raise ConfigError(f"{name} {v}: scores are percentages; did you mean {100 * v:g}?")
    return v


def predict(
    akb: Annotated[float | None, typer.Option("--akb", help="AKB-2000 accuracy (%) of the new backbone")] = None,
    mmau_text: Annotated[float | None, typer.Option(help="its cascade MMAU score, MMAU(T) (%)")] = None,
    mmar_text: Annotated[float | None, typer.Option(help="its cascade MMAR score, MMAR(T) (%)")] = None,
    runs: Annotated[list[Path] | None, typer.Option("--runs", help="your runs to add to the fit (repeatable)")] = None,
    reference: Annotated[str, typer.Option(help="'paper' (bundled), 'none', or a JSON file")] = "paper",
    level: Annotated[float, typer.Option(help="prediction interval level")] = 0.95,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Expected MMAU/MMAR score after DeSTA training, with a prediction interval and the n it rests on.

    Example: akb predict --akb 81.2
    """
    from akb.analysis.predict import predict_all, prediction_text
    from akb.analysis.reference import resolve_reference
    from akb.analysis.runs_index import build_index

    given = {k: v for k, v in (("akb2000_text", _score("--akb", akb)), ("mmau_cascade_text", _score("--mmau-text", mmau_text)),
                               ("mmar_cascade_text", _score("--mmar-text", mmar_text))) if v is not None}
    if not given:
        raise ConfigError("give the new backbone's text-only score: --akb, --mmau-text or --mmar-text")
    if not 0.5 <= level < 1:
        raise ConfigError(f"--level {level}: use a level between 0.5 and 1, e.g. 0.95")
    ref = resolve_reference(reference)
    if ref is None and not runs:
        raise ConfigError("nothing to fit: keep --reference paper, or give --runs with text-only and audio-grounded runs")
    index = build_index(list(runs or []), ref)
    pairs = predict_all(index, given, level)
    if as_json:
        typer.echo(json.dumps([{"fit": f.model_dump(), "prediction": p.model_dump()} for f, p in pairs], indent=2))
        return
    typer.echo(prediction_text(pairs, index))

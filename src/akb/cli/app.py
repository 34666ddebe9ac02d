"""The ``akb`` command. Command groups live one per module; no logic beyond parsing here."""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape

from akb.cli import bench, build, ground, predict, probe, quickstart, report, review
from akb.cli import cascade as cascade_cli
from akb.cli import score as score_cli
from akb.cli import synth as synth_cli
from akb.cli.common import console, err_console
from akb.core.errors import AkbError

app = typer.Typer(
    name="akb",
    help="Auditory knowledge of LLM backbones: AKB-2000 probing and friends.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        from akb import __version__

        typer.echo(f"akb {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="print the akb version and exit"),
) -> None:
    """Auditory knowledge of LLM backbones: AKB-2000 probing and friends.

    Everywhere, -o is --option (a backend option KEY=VALUE); output folders are --out."""


app.add_typer(bench.app, name="bench")
app.add_typer(build.app, name="build")
app.add_typer(review.app, name="review")
app.add_typer(ground.app, name="ground")
app.command("probe")(probe.probe)
app.command("report")(report.report)
app.command("predict")(predict.predict)
app.command("quickstart")(quickstart.quickstart)
app.command("cascade")(cascade_cli.cascade)
app.command("caption")(cascade_cli.caption)
app.command("score")(score_cli.score)
app.add_typer(synth_cli.app, name="synth")


@app.command("backends")
def backends() -> None:
    """List the model backends a spec prefix can name."""
    from akb.models.registry import available_backends

    for name, target in sorted(available_backends().items()):
        console.print(f"{name:14s} {target}")


@app.command("version")
def version() -> None:
    """Print the akb version."""
    from akb import __version__

    console.print(__version__)


def error_line(exc: BaseException) -> str:
    """The one line an error prints as: scrubbed of secrets, newlines folded."""
    from akb.core.secrets import scrub

    text = str(exc) if isinstance(exc, AkbError) else f"{type(exc).__name__}: {exc}"
    return scrub(" ".join(text.split()))


def main(argv: list[str] | None = None) -> None:
    # Quiet third-party chatter (download bars, advisory warnings) so errors stay one line.
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        app(args=argv)
    except AkbError as e:
        err_console.print(f"[red]error[/red]: {escape(error_line(e))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except (OSError, ValueError, RecursionError, MemoryError, UnicodeError) as e:
        # Input the checks did not foresee still ends in one line, never a traceback with
        # local values (which could hold a key); AKB_DEBUG=1 shows the traceback.
        if os.environ.get("AKB_DEBUG"):
            raise
        err_console.print(f"[red]error[/red]: {escape(error_line(e))}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()

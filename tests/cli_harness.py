"""Run the ``akb`` command in-process, exactly as a user's shell would see it.

``akb.cli.app.main`` (which turns errors into one line and an exit code) runs under click's
``CliRunner`` isolation, so stdout and stderr are captured without a subprocess.
"""

from __future__ import annotations

import sys

from typer.testing import CliRunner


def run_cli(*args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``akb ARGS``."""
    from akb.cli.app import main

    runner = CliRunner()
    code = 0
    saved = sys.argv
    sys.argv = ["akb", *args]  # main() reads the command line, as the console script does
    try:
        with runner.isolation() as streams:
            try:
                main()
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            out, err = streams[0].getvalue(), streams[1].getvalue()
    finally:
        sys.argv = saved
    return code, out.decode(errors="replace"), err.decode(errors="replace")

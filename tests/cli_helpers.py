"""Running the akb command as a user types it (tests/ is on sys.path: ``from cli_helpers import akb``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def akb(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "akb", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, r
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    return lines[0]

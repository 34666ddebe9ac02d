"""The layering (import-linter contract in pyproject.toml) and the public API."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_imports_point_downwards_only() -> None:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(exe).exists():
        pytest.skip("import-linter is not installed (pip install 'akb[dev]')")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([exe, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-3000:]
    assert "0 broken" in r.stdout


def test_the_public_api_names_what_users_run_and_plugin_authors_implement() -> None:
    import akb
    import akb.audio
    import akb.audiobench
    import akb.models

    for name in ("run_probe", "run_cascade", "run_grounded", "make_report", "run_eval", "load_items"):
        assert callable(getattr(akb, name)), name
    for name in akb.__all__:
        assert getattr(akb, name) is not None
    for mod in (akb.models, akb.audio, akb.audiobench):
        for name in mod.__all__:
            assert getattr(mod, name) is not None, f"{mod.__name__}.{name}"
    assert {"Backend", "BaseBackend", "ChatRequest", "Response", "register_backend"} <= set(akb.models.__all__)
    assert {"BaseCaptioner", "Clip", "register_captioner"} <= set(akb.audio.__all__)


def test_importing_akb_stays_light() -> None:
    code = "import sys, akb, akb.models, akb.audio, akb.audiobench; print('torch' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_every_test_folder_is_collected(pytestconfig: pytest.Config) -> None:
    """pytest skips folders matching ``norecursedirs``; its default list holds "build", which once
    left tests/build (the construction package's tests) out of every run without a word."""
    from fnmatch import fnmatch

    patterns = pytestconfig.getini("norecursedirs")
    folders = {p.name for p in (ROOT / "tests").rglob("*") if p.is_dir() and "__pycache__" not in p.parts}
    skipped = sorted(f for f in folders if any(fnmatch(f, pat) for pat in patterns))
    assert skipped == [], f"pytest would not collect tests/**/{skipped}: fix norecursedirs in pyproject.toml"

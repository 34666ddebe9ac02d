"""Debian programs some tests need (``apt-get install espeak-ng sox``; ``.ci/run`` installs
them). Where one is missing the test skips with one line naming it, so the README's test
command passes on a fresh machine; in CI (``CI=true``) a missing program fails the test.
``skip_or_fail`` does the same for anything else a test needs (an optional package)."""

from __future__ import annotations

import os
import shutil

import pytest

PACKAGES = {"espeak-ng": "espeak-ng", "sox": "sox", "chromium": "chromium"}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_tools(*programs: str) -> list[str]:
    return [p for p in programs if shutil.which(p) is None]


def require_tools(*programs: str) -> None:
    """Skip (or, in CI, fail) unless every program is on PATH."""
    missing = missing_tools(*programs)
    if not missing:
        return
    skip_or_fail(f"needs {', '.join(missing)} (apt-get install {' '.join(PACKAGES.get(m, m) for m in missing)})")


def skip_or_fail(why: str) -> None:
    """Skip with one line saying what is missing, or, in CI, where everything is installed, fail."""
    if in_ci():
        pytest.fail(f"{why}; CI must install it", pytrace=False)
    pytest.skip(why)


def register_marker(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "tools(*programs): needs these Debian programs (espeak-ng, sox); where one is missing the test "
        "skips with one line naming it, except under CI=true, where it fails")


def check_item(item: pytest.Item) -> None:
    """Before any fixture of the test runs (conftest's pytest_runtest_setup)."""
    for mark in item.iter_markers("tools"):
        require_tools(*mark.args)

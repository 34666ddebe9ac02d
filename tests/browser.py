"""A real headless Chromium for tests that click through or render pages.

The browser is Debian's (``apt-get install chromium``; ``.ci/run`` installs it), driven by
Playwright's Python package. ``playwright install`` is never run: it would download a
browser build, and there is no network. Every page gets a fresh profile directory, and
the flags keep Chromium from reaching out (no background networking, component updates,
sync or QUIC) so a test only ever talks to loopback servers or local files.

    from browser import chromium_page
    with chromium_page() as page:
        page.goto(url)

Where Chromium or Playwright is missing the tests skip, except in CI (``CI`` set), where
``.ci/run`` installs them: there a missing browser fails the test.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("AKB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-proxy-server",
]


def unavailable() -> str | None:
    """Why a browser test cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)"
    return None


def require_chromium() -> None:
    """Skip where no browser is installed, except in CI, where a missing browser fails."""
    why = unavailable()
    if why is None:
        return
    from tools import in_ci

    if in_ci():
        pytest.fail(why)
    pytest.skip(why)


@contextmanager
def chromium_page(profile_parent: Path | None = None, *, viewport: tuple[int, int] = (1100, 900)) -> Iterator[Any]:
    """A Playwright ``Page`` in a fresh headless Chromium profile, closed afterwards."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="akb-chromium-", dir=str(profile_parent) if profile_parent else None)
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": viewport[0], "height": viewport[1]})
            try:
                ctx.set_default_timeout(15_000)
                yield ctx.pages[0] if ctx.pages else ctx.new_page()
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)

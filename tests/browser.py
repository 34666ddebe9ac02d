"""A real headless Chromium for tests that render pages (Debian's chromium, driven by Playwright).

Never `playwright install`: the browser comes from the Debian package (`apt-get install
chromium chromium-driver`, done by .ci/run), and each test gets a fresh profile, no
network chatter (updates, sync, QUIC) and no GPU.

    from browser import chromium_page
    with chromium_page(tmp_path) as page:
        page.goto(url)
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def require_chromium() -> None:
    """Skip where Chromium is not installed, except in CI, where .ci/run installs it: there, fail."""
    if Path(CHROMIUM).exists() or shutil.which("chromium"):
        return
    msg = f"{CHROMIUM} not found: apt-get install chromium chromium-driver (as .ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(msg)
    pytest.skip(msg)


@contextmanager
def chromium_page(tmp_path: Path, *, width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A page in a fresh headless Chromium profile under ``tmp_path``; closed afterwards."""
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tmp_path / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            headless=True, args=CHROMIUM_ARGS, viewport={"width": width, "height": height},
        )
        try:
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            yield page
        finally:
            ctx.close()

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# A fresh datasets cache per session: datasets keys a local folder's cache on its path, so a
# release rebuilt at a reused temp path could otherwise be read back stale.
os.environ["HF_DATASETS_CACHE"] = tempfile.mkdtemp(prefix="akb-hf-datasets-")
# Derived model files (a GGUF model's dequantised copy) are kept across tests and sessions:
# the per-test response cache below must not make every test convert a real model again.
if "AKB_MODELS_DIR" not in os.environ:
    from akb.core.paths import models_dir

    os.environ["AKB_MODELS_DIR"] = str(models_dir())

sys.path.insert(0, str(Path(__file__).parent))

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own response cache, never the user's."""
    monkeypatch.setenv("AKB_CACHE_DIR", str(tmp_path_factory.mktemp("akb-cache")))


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch):
    """A fake OpenAI/Anthropic/Gemini server on 127.0.0.1 (see tests/servers.py)."""
    from servers import FakeAPIServer

    # Loopback must never go through a proxy from the environment.
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    srv = FakeAPIServer(lifetime_s=120.0).start()
    try:
        yield srv
    finally:
        srv.stop()



def pytest_configure(config: pytest.Config) -> None:
    from tools import register_marker

    register_marker(config)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    from tools import check_item

    check_item(item)

"""Issue 11's hf identity bug, shown by a test that failed before its fix. (The vLLM batch bug,
the first request's settings and letters used for a whole batch, is covered by
tests/models/test_vllm_backend.py::test_each_request_keeps_its_own_sampling_settings.)"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import huggingface_hub
import pytest

from akb.models.hf import HFBackend

COMMIT = "c" * 40


def test_a_hub_model_first_run_and_its_resume_have_one_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """First run: the weights are not cached, so the revision cannot be read from disk; it
    used to become "unresolved", and the resume (weights now cached) refused the run."""
    cached = {"yes": False}

    def snapshot_download(name: str, revision: str | None = None, local_files_only: bool = False) -> str:
        if not cached["yes"]:
            raise OSError("not in the local cache")
        return f"/cache/models--org--model/snapshots/{COMMIT}"

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    first = HFBackend("org/model")

    def load() -> tuple[Any, Any]:  # fetching the weights caches them
        first._model = SimpleNamespace(config=SimpleNamespace(_commit_hash=COMMIT))
        cached["yes"] = True
        return first._model, None

    monkeypatch.setattr(first, "_load", load)
    assert first.identity()["revision"] == COMMIT
    assert HFBackend("org/model").identity()["revision"] == COMMIT  # the resume agrees

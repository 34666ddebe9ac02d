"""Extension is one file plus one registration: a backend, a captioner and an audio benchmark,
each added here as a third-party plugin installed for the test (a dist-info on sys.path with
``akb.backends`` / ``akb.captioners`` / ``akb.benchmarks`` entry points), and each runs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

PLUGIN = '''
"""One file: a backend, a captioner and an audio benchmark."""
from typing import Any, ClassVar

from akb.audio import BaseCaptioner, CaptionFailure, AudioError
from akb.audiobench import BenchmarkSpec
from akb.audiobench import mmau
from akb.models import BaseBackend, Response


class EchoBackend(BaseBackend):
    """Always the first option: by letter, or by its text in a cascade."""
    name: ClassVar[str] = "echo"

    def __init__(self, model: str) -> None:
        self.model = model
        self._batch_size = 8

    @classmethod
    def from_config(cls, cfg: Any) -> "EchoBackend":
        return cls(cfg.model)

    def identity(self) -> dict[str, Any]:
        return {"backend": "echo", "model": self.model}

    def generate(self, requests: Any) -> list[Response]:
        return [Response(text=r.mcq.choices[0] if r.mcq and r.mcq.context else "A") for r in requests]


class LengthCaptioner(BaseCaptioner):
    name: ClassVar[str] = "length"

    @classmethod
    def from_spec(cls, arg: str, options: dict[str, Any]) -> "LengthCaptioner":
        return cls()

    def identity(self) -> dict[str, Any]:
        return {"captioner": "length"}

    def caption(self, clips: Any) -> list[Any]:
        out = []
        for c in clips:
            try:
                x, sr = c.load()
                out.append(f"{len(x) / sr:.1f} seconds of sound")
            except AudioError as e:
                out.append(CaptionFailure(str(e)))
        return out


def load(arg: Any, audio_root: Any = None) -> Any:
    return mmau.load(arg, audio_root, name="tinybench")


SPEC = BenchmarkSpec("tinybench", "akb_demo_plugin:load", "TinyBench", prediction_key="tiny_prediction")
'''

ENTRY_POINTS = '''
[akb.backends]
echo = akb_demo_plugin:EchoBackend

[akb.captioners]
length = akb_demo_plugin:LengthCaptioner

[akb.benchmarks]
tinybench = akb_demo_plugin:SPEC
'''


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    dist = site / "akb_demo_plugin-0.1.dist-info"
    dist.mkdir(parents=True)
    (site / "akb_demo_plugin.py").write_text(textwrap.dedent(PLUGIN))
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: akb-demo-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(site))
    return site


def tiny_benchmark(d: Path) -> Path:
    (d / "audio").mkdir(parents=True)
    items = []
    for i, secs in enumerate((0.5, 1.0)):
        wavfile.write(d / "audio" / f"c{i}.wav", 16000, (0.1 * np.sin(np.arange(int(16000 * secs)) / 5)).astype(np.float32))
        items.append({"id": f"t{i}", "audio_id": f"audio/c{i}.wav", "question": "How long is it?",
                      "choices": ["half a second", "one second"], "answer": ["half a second", "one second"][i],
                      "task": "sound"})
    (d / "tiny.json").write_text(json.dumps(items))
    return d / "tiny.json"


def test_plugins_register_through_entry_points(plugin: Path) -> None:
    from akb.audio import available_captioners
    from akb.audiobench import available_benchmarks
    from akb.models import available_backends

    assert available_backends()["echo"] == "akb_demo_plugin:EchoBackend"
    assert available_captioners()["length"] == "akb_demo_plugin:LengthCaptioner"
    assert available_benchmarks()["tinybench"].label == "TinyBench"


def test_a_plugin_backend_probes(plugin: Path, tmp_path: Path) -> None:
    from akb import ProbeConfig, run_probe
    from akb.models import parse_model_spec

    res = run_probe(ProbeConfig(model=parse_model_spec("echo:m"), out=str(tmp_path / "run"), progress=False, limit=8))
    assert res.complete and res.metrics.predicted_letters == {"A": 8}


def test_a_plugin_benchmark_and_captioner_run_a_cascade(plugin: Path, tmp_path: Path) -> None:
    from akb import CascadeConfig, run_cascade
    from akb.models import parse_model_spec

    bench = tiny_benchmark(tmp_path / "bench")
    res = run_cascade(CascadeConfig(benchmark=f"tinybench:{bench}", captioner="length", model=parse_model_spec("echo:m"),
                                    out=str(tmp_path / "run"), progress=False))
    assert res.complete and res.metrics.official.overall.n == 2 and res.metrics.official.overall.correct == 1
    preds = json.loads((tmp_path / "run" / "predictions.json").read_text())
    assert [p["tiny_prediction"] for p in preds] == ["half a second", "half a second"]  # the spec's key
    captions = [json.loads(x)["caption"] for x in (tmp_path / "run" / "captions.jsonl").read_text().splitlines()]
    assert captions == ["0.5 seconds of sound", "1.0 seconds of sound"]


def test_registering_in_code_is_one_line(tmp_path: Path) -> None:
    from akb.models import available_backends, create_backend, register_backend
    from akb.models.baselines import PositionBackend

    register_backend("always-b", PositionBackend)
    try:
        assert create_backend("always-b:B").identity()["letter"] == "B"
    finally:
        from akb.models.registry import BUILTIN

        BUILTIN.pop("always-b")
    assert "always-b" not in available_backends()

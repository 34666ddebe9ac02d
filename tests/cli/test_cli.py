"""The akb command as a user types it: outputs, config files, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from akb.bench.loader import load_items
from cli_helpers import akb, one_line_error


def test_probe_prints_table_and_writes_results(tmp_path: Path) -> None:
    r = akb("probe", "--model", "position:B", "--out", str(tmp_path / "run"), "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "| Model | Sound | Paralinguistic | Phonetic | Music | Audio Quality | Technical | Avg. |" in r.stdout
    assert "| position:B |" in r.stdout
    for f in ("run.json", "samples.jsonl", "summary.json", "summary.md"):
        assert (tmp_path / "run" / f).is_file()


def test_probe_from_yaml_config_with_cli_override(tmp_path: Path) -> None:
    conf = tmp_path / "run.yaml"
    conf.write_text(
        "model:\n  backend: random\n  model: '3'\n"
        "categories: [phonetic, music]\n"
        "prompt:\n  system: null\n"
        f"out: {tmp_path / 'run'}\n"
    )
    r = akb("probe", "--config", str(conf), "--limit", "5", "--no-progress")
    assert r.returncode == 0, r.stderr
    samples = [json.loads(x) for x in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 5 and {s["category"] for s in samples} <= {"phonetic", "music"}
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["fingerprint"]["prompt"]["system"] is None
    assert run["fingerprint"]["model"] == {"backend": "random", "seed": 3}


def test_errors_are_one_line(tmp_path: Path) -> None:
    assert "unknown backend 'nope'" in one_line_error(akb("probe", "--model", "nope:x", "--out", str(tmp_path / "a")))
    assert "unknown category" in one_line_error(akb("probe", "--model", "random", "--categories", "acoustics", "--out", str(tmp_path / "b")))
    assert "no option 'temperature_x'" in one_line_error(akb("probe", "--model", "random", "-o", "temperature_x=1", "--out", str(tmp_path / "c")))
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("model: random\nlimit: -3\n")
    assert "limit" in one_line_error(akb("probe", "--config", str(bad_yaml)))
    assert "no item with id" in one_line_error(akb("bench", "show", "music.nope.001"))
    assert "OPENAI_API_KEY" in one_line_error(akb("probe", "--model", "openai:gpt-4o", "--out", str(tmp_path / "d")))


def test_bench_stats_json_and_show() -> None:
    r = akb("bench", "stats", "--json")
    assert r.returncode == 0
    s = json.loads(r.stdout)
    n = len(load_items())
    assert s["items"] == n and sum(s["gold_letters"].values()) == n
    assert s["subcategories_total"] == 48
    first = load_items()[0]
    r = akb("bench", "show", first.id)
    assert r.returncode == 0 and first.question in r.stdout and first.rationale[:30] in r.stdout


def test_backends_lists_registry() -> None:
    r = akb("backends")
    for name in ("hf", "openai", "anthropic", "gemini", "vllm", "random", "position", "options-only", "embedding"):
        assert name in r.stdout


def test_vllm_missing_is_a_clear_message(tmp_path: Path) -> None:
    import importlib.util

    import pytest

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed here")
    line = one_line_error(akb("probe", "--model", "vllm:some/model", "--out", str(tmp_path / "v")))
    assert "pip install" in line and "vllm" in line

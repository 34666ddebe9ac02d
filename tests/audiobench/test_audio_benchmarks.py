"""MMAU/MMAR loaders, item problems, and the synthetic suite."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from akb.audio.features import analyse
from akb.audio.io import load_audio
from akb.audiobench.benchmarks import benchmark_spec, load_audio_benchmark
from akb.audiobench.synth import METADATA_FILE, SUITE_FILE
from akb.build.synth import TASKS, make_suite
from akb.cli.app import app
from akb.core.errors import ConfigError, DataError


def mmau_entry(i: int, n_choices: int = 4, **kw: object) -> dict:
    choices = [f"option {k}" for k in range(n_choices)]
    return {"id": f"m{i}", "audio_id": f"./test-mini-audios/m{i}.wav", "question": f"question {i}?", "choices": choices,
            "answer": choices[i % n_choices], "dataset": "ds", "task": ["sound", "music", "speech"][i % 3],
            "split": "test-mini", "category": "Perception", "sub-category": "Counting", "difficulty": "easy", **kw}


def test_mmau_fields_letters_and_meta(tmp_path: Path) -> None:
    entries = [mmau_entry(i, n) for i, n in enumerate(range(2, 9))]
    p = tmp_path / "mmau-test-mini.json"
    p.write_text(json.dumps(entries))
    b = load_audio_benchmark(f"mmau:{p}")
    assert b.name == "mmau" and b.split == "test-mini" and b.audio_root == tmp_path and not b.problems
    assert [len(i.letters) for i in b.items] == list(range(2, 9))
    it = b.items[-1]
    assert it.letters == list("ABCDEFGH") and it.group == "sound" and it.subcategory == "Counting"
    assert it.meta == entries[-1] and it.audio == "./test-mini-audios/m6.wav"
    assert b.prediction_key == "model_output"


def test_mmar_mixed_modalities_and_jsonl(tmp_path: Path) -> None:
    mods = ["sound", "mix-sound-speech", "mix-sound-music-speech"]
    rows = [{"id": f"r{i}", "audio_path": f"./audio/r{i}.wav", "question": "q", "choices": ["yes", "no"], "answer": "no",
             "modality": mods[i], "category": "Semantic Layer", "sub-category": "Emotion", "language": "en",
             "source": "x", "url": "u", "timestamp": "0", "thinking": "..."} for i in range(3)]
    p = tmp_path / "MMAR-meta.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n")
    b = load_audio_benchmark(f"mmar:{p}")
    assert [i.group for i in b.items] == mods and b.prediction_key == "answer_prediction"
    assert b.items[0].meta["thinking"] == "..." and b.items[0].answer_letter == "B"
    assert len(b.problems) == 1 and f"{p}:4" in str(b.problems[0]) and "not valid JSON" in str(b.problems[0])


def test_mmar_entries_with_an_empty_choice_are_scored_as_the_official_rule_does(tmp_path: Path) -> None:
    from akb.audiobench.scoring import official_match

    rows = [{"id": f"e{i}", "audio_path": f"./audio/e{i}.wav", "question": "Which instrument?",
             "choices": ["piano", "", "violin", "drum"], "answer": "violin", "modality": "music",
             "category": "Perception Layer", "sub-category": "Instrument"} for i in range(2)]
    p = tmp_path / "MMAR-meta.json"
    p.write_text(json.dumps(rows))
    b = load_audio_benchmark(f"mmar:{p}")
    assert not b.problems and len(b.items) == 2  # the real MMAR release has four such entries
    it = b.items[0]
    assert it.choices[1] == "" and it.answer_letter == "C"
    assert official_match(it.answer or "", "violin", it.choices)
    assert not official_match(it.answer or "", "piano", it.choices)
    assert not official_match(it.answer or "", "", it.choices)
    # akb score mmar accepts the file whole: every entry scored.
    preds = [{**r, "answer_prediction": pred} for r, pred in zip(rows, ["violin", "piano"], strict=True)]
    pf = tmp_path / "preds.json"
    pf.write_text(json.dumps(preds))
    r = CliRunner().invoke(app, ["score", "mmar", str(pf)])
    assert r.exit_code == 0, r.output
    assert "50.0" in r.output


def test_bad_items_are_set_aside_with_file_entry_and_field(tmp_path: Path) -> None:
    entries = [mmau_entry(0), mmau_entry(1), {**mmau_entry(2), "choices": [str(k) for k in range(9)]},
               {k: v for k, v in mmau_entry(3).items() if k != "question"}, {**mmau_entry(4), "answer": "nope"},
               {**mmau_entry(5), "id": "m0"}]
    p = tmp_path / "m.json"
    p.write_text(json.dumps(entries))
    b = load_audio_benchmark(f"mmau:{p}")
    assert [i.id for i in b.items] == ["m0", "m1"]
    msgs = [str(x) for x in b.problems]
    assert "[#2]" in msgs[0] and "field 'choices'" in msgs[0] and "2 to 8" in msgs[0]
    assert "field 'question' is missing" in msgs[1]
    assert "not one of the choices" in msgs[2]
    assert "duplicate id" in msgs[3]


def test_a_broken_json_file_is_one_error_with_line(tmp_path: Path) -> None:
    p = tmp_path / "m.json"
    p.write_text('[\n{"id": "x",\n "question": }\n]')
    with pytest.raises(DataError, match=r"m.json:3: not valid JSON"):
        load_audio_benchmark(f"mmau:{p}")
    with pytest.raises(DataError, match="not found"):
        load_audio_benchmark(f"mmau:{tmp_path / 'nope.json'}")
    with pytest.raises(ConfigError, match="unknown benchmark 'mmlu'"):
        load_audio_benchmark("mmlu:x.json")


def test_unlabelled_test_split_loads(tmp_path: Path) -> None:
    e = {k: v for k, v in mmau_entry(0).items() if k != "answer"} | {"split": "test"}
    p = tmp_path / "mmau-test.json"
    p.write_text(json.dumps([e]))
    b = load_audio_benchmark(f"mmau:{p}")
    assert b.split == "test" and not b.items[0].labelled


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("synth")
    make_suite(d, per_task=3, seed=1)
    return d


@pytest.mark.tools("espeak-ng", "sox")
def test_suite_files_and_mmau_format(suite: Path) -> None:
    items = json.loads((suite / SUITE_FILE).read_text())
    meta = [json.loads(x) for x in (suite / METADATA_FILE).read_text().splitlines()]
    manifest = json.loads((suite / "manifest.json").read_text())
    assert len(items) == len(meta) == 3 * len(TASKS) and not manifest["skipped"]
    assert set(items[0]) == {"id", "audio_id", "question", "choices", "answer", "dataset", "task", "split", "category",
                             "sub-category", "difficulty"}
    b = load_audio_benchmark(f"synth:{suite}")
    assert len(b.items) == len(items) and not b.problems and {i.group for i in b.items} == {"sound", "music", "speech"}
    speech = [m for m in meta if m["kind"] == "speech"]
    assert speech and all(m["transcript"] and m["attributes"]["gender"] in ("male", "female") for m in speech)
    for m in meta:
        x, sr = load_audio(suite / m["audio"])
        assert sr == 16000 and abs(len(x) / sr - m["duration_s"]) < 0.01 and m["caption"]


def test_suite_answers_come_from_the_parameters(suite: Path) -> None:
    meta = {m["id"]: m for m in map(json.loads, (suite / METADATA_FILE).read_text().splitlines())}
    items = {i["id"]: i for i in json.loads((suite / SUITE_FILE).read_text())}
    for iid, it in items.items():
        m = meta[iid]
        if it["sub-category"] == "tempo":
            assert it["answer"] == f"{m['attributes']['bpm']} BPM"
        if it["sub-category"] == "loudness":
            x, sr = load_audio(suite / m["audio"], sr=None)
            assert abs(analyse(x, sr).lufs - m["attributes"]["loudness_lufs"]) < 0.5
        if it["sub-category"] == "pitch direction":
            up = m["attributes"]["semitones"] > 0
            assert it["answer"] == ("The second tone is higher" if up else "The second tone is lower")


@pytest.mark.tools("espeak-ng")
def test_suite_is_deterministic_reused_and_rebuilt(tmp_path: Path) -> None:
    a = make_suite(tmp_path / "a", per_task=1, seed=3, tasks=["tempo", "voice-pitch"])
    b = make_suite(tmp_path / "b", per_task=1, seed=3, tasks=["tempo", "voice-pitch"])
    assert (tmp_path / "a" / SUITE_FILE).read_text() == (tmp_path / "b" / SUITE_FILE).read_text()
    wav_a, wav_b = (load_audio(tmp_path / d / "audio" / "voice-pitch-000.wav")[0] for d in ("a", "b"))
    assert np.array_equal(wav_a, wav_b) and a["items"] == b["items"] == 2
    mtime = (tmp_path / "a" / SUITE_FILE).stat().st_mtime_ns
    make_suite(tmp_path / "a", per_task=1, seed=3, tasks=["tempo", "voice-pitch"])
    assert (tmp_path / "a" / SUITE_FILE).stat().st_mtime_ns == mtime  # same settings: reused
    with pytest.raises(ConfigError, match="unknown synthetic task"):
        make_suite(tmp_path / "c", tasks=["nope"])


def test_synth_make_cli(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["synth", "make", str(tmp_path / "s"), "--per-task", "1", "--tasks", "tempo,loudness"])
    assert r.exit_code == 0, r.output
    assert "2 items" in r.output and (tmp_path / "s" / SUITE_FILE).exists()


def test_a_plain_file_is_read_as_the_benchmark_named_or_as_mmau(tmp_path: Path) -> None:
    """``akb ground eval --data``: a spec, or a plain file with --benchmark (default MMAU's format)."""
    assert benchmark_spec("data/mmau-test-mini.json") == "mmau:data/mmau-test-mini.json"
    assert benchmark_spec("MMAR-meta.json", "MMAR") == "mmar:MMAR-meta.json"
    assert benchmark_spec("mmar:MMAR-meta.json", "mmar") == "mmar:MMAR-meta.json"
    assert benchmark_spec("synth:suite/") == "synth:suite/" and benchmark_spec("synth") == "synth"
    with pytest.raises(ConfigError, match="names the benchmark mmau, but mmar was asked for"):
        benchmark_spec("mmau:x.json", "mmar")
    with pytest.raises(ConfigError, match="unknown benchmark 'audiocaps'"):
        benchmark_spec("x.json", "audiocaps")
    meta = tmp_path / "MMAR-meta.json"
    meta.write_text(json.dumps([{"id": "m1", "audio_path": "a.wav", "question": "q?", "choices": ["x", "y"],
                                 "answer": "y", "modality": "mix-sound-speech"}]))
    bench = load_audio_benchmark(benchmark_spec(str(meta), "mmar"))
    assert bench.name == "mmar" and bench.items[0].group == "mix-sound-speech" and bench.prediction_key == "answer_prediction"

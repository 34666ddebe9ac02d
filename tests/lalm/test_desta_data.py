"""DeSTA self-distillation data: seed descriptions, metadata errors, instruction pool, and
build-data against a real (loopback) OpenAI-compatible server: sharded, resumable, cached."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from akb.core.errors import ConfigError, DataError
from akb.lalm.data import (
    ClipMeta,
    DistillRecord,
    load_instructions,
    load_metadata,
    pick_instructions,
    seed_description,
)
from akb.models.spec import ModelConfig
from akb.runs.distill import DistillConfig, parse_shard, run_build_data


def test_seed_description_matches_desta_examples() -> None:
    speech = ClipMeta.model_validate({
        "audio": "a.wav", "transcript": "Excuse me?", "emotion": "Neutral", "gender": "Female",
        "pitch": "Very high", "volume": "Low", "speaking_speed": "Very slow", "duration": 2.0})
    assert seed_description(speech) == ("[00:00-00:02] Excuse me? (Emotion: Neutral, Gender: Female, Pitch: Very high, "
                                        "Volume: Low, Speaking speed: Very slow, Duration: 2s)")
    sound = ClipMeta.model_validate({"path": "b.wav", "labels": "speech, gush", "duration": 10})
    assert seed_description(sound) == "[00:00-00:10] (speech, gush)"
    music = ClipMeta.model_validate({"audio": "c.wav", "genre": "reggae", "duration": 30})
    assert seed_description(music) == "[00:00-00:30] (Genre: reggae, Duration: 30s)"
    caption = ClipMeta.model_validate({"audio": "d.wav", "caption": "Someone opening and closing a door",
                                       "attributes": {"noise_level": "Noisy"}, "duration": 26.4})
    assert seed_description(caption) == "[00:00-00:26] (Someone opening and closing a door) (Noise level: Noisy, Duration: 26s)"


def test_unknown_keys_are_kept_and_described_except_bookkeeping() -> None:
    meta = ClipMeta.model_validate({"audio": "t.wav", "frequency_hz": 440, "split": "train", "question": "q?",
                                    "nested": {"a": 1}, "duration": 65})
    assert meta.model_extra == {"frequency_hz": 440, "split": "train", "question": "q?", "nested": {"a": 1}}
    assert seed_description(meta) == "[00:00-01:05] (Frequency hz: 440, Duration: 65s)"
    assert seed_description(meta, describe_extra=False) == "[00:00-01:05]"
    assert seed_description(ClipMeta(audio="x.wav", duration=3725)) == "[00:00-01:02:05]"


def test_metadata_errors_name_file_line_and_field(tmp_path: Path) -> None:
    f = tmp_path / "meta.jsonl"
    f.write_text('{"audio": "a.wav"}\n\n{"transcript": "no audio"}\n')
    with pytest.raises(DataError) as e:
        load_metadata(f)
    assert e.value.line == 3 and e.value.field == "audio" and str(f) in str(e.value)
    f.write_text('{"audio": "a.wav"}\n{"audio": "a.wav"}\n')
    with pytest.raises(DataError, match="duplicate clip id 'a.wav' \\(first on line 1\\)"):
        load_metadata(f)
    f.write_text('{"audio": "a.wav", "duration": -1}\n')
    with pytest.raises(DataError) as e:
        load_metadata(f)
    assert e.value.field == "duration"


def test_instruction_pool_is_shipped_extensible_and_drawn_by_hash(tmp_path: Path) -> None:
    shipped = load_instructions()
    assert len(shipped) >= 20 and "Describe the audio." in shipped
    extra = tmp_path / "more.txt"
    extra.write_text("# comment\nName the loudest sound.\nDescribe the audio.\n")
    pool = load_instructions([extra])
    assert pool[: len(shipped)] == shipped and pool[-1] == "Name the loudest sound." and len(pool) == len(shipped) + 1
    assert load_instructions([extra], replace=True) == ["Name the loudest sound.", "Describe the audio."]
    yml = tmp_path / "more.yaml"
    yml.write_text("instructions:\n  - A?\n  - B?\n")
    assert load_instructions([yml], replace=True) == ["A?", "B?"]
    draws = {tuple(pick_instructions(pool, f"clip{i}", 2, seed=0)) for i in range(40)}
    assert len(draws) > 20  # spread over the pool
    assert pick_instructions(pool, "clip7", 2, 0) == pick_instructions(list(pool), "clip7", 2, 0)
    with pytest.raises(ConfigError):
        pick_instructions(["only"], "c", 2, 0)
    with pytest.raises(ConfigError, match="i/N"):
        parse_shard("3")


def _clips(root: Path, n: int) -> Path:
    rows = []
    for i in range(n):
        sf.write(root / f"c{i}.wav", np.zeros(8000 + 1600 * i, dtype=np.float32), 16000)
        row = {"audio": f"c{i}.wav", "gender": "Female" if i % 2 else "Male"}
        if i % 3 == 0:
            row["transcript"] = f"sentence number {i}"
        rows.append(row)
    meta = root / "meta.jsonl"
    meta.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return meta


def test_build_data_sharded_resumable_against_an_openai_server(tmp_path: Path, fake_api) -> None:
    meta = _clips(tmp_path, 9)
    fake_api.answer = lambda rec: "Answer to: " + rec.prompt_text().splitlines()[-1]
    common = dict(model=ModelConfig(backend="openai", model="tiny", options={"base_url": fake_api.openai_base_url}),
                  metadata=str(meta), audio_root=str(tmp_path), out=str(tmp_path / "distill"), per_clip=2,
                  progress=False)
    paths = []
    for i in range(3):
        path, stats = run_build_data(DistillConfig(**common, shard=(i, 3)))
        assert stats.complete and stats.final_errors == 0
        paths.append(path)
    records = [DistillRecord.model_validate(json.loads(line)) for p in paths for line in p.read_text().splitlines()]
    ids = [r.id for r in records]
    assert sorted(ids) == sorted(f"c{i}.wav#{k}" for i in range(9) for k in range(2))  # every sample once
    assert all(p.read_text() for p in paths) and len({p.parent for p in paths}) == 3
    r0 = next(r for r in records if r.id == "c0.wav#0")
    assert r0.seed_description == "[00:00-00:00] sentence number 0 (Gender: Male, Duration: 0.5s)"
    assert r0.response == f"Answer to: {r0.prompt}"
    assert r0.dataset == "meta" and r0.audio() == ("c0.wav", "sentence number 0")
    assert r0.messages[-1].content == f"<|AUDIO|>\n{r0.prompt}"
    sent = [q.body["messages"] for q in fake_api.requests]
    assert {"role": "user", "content": f"{r0.seed_description}\n{r0.prompt}"} in [m[-1] for m in sent]
    assert all(m[0] == {"role": "system", "content": "Focus on the audio clips and instructions."} for m in sent)
    n_requests = len(fake_api.requests)
    assert n_requests == 18
    # Resume: the same command finds everything done and sends nothing.
    _, stats = run_build_data(DistillConfig(**common, shard=(1, 3)))
    assert stats.resumed == stats.total and len(fake_api.requests) == n_requests
    # A killed job (a lost last line) is redone from the cache, not from the server.
    lines = paths[0].read_bytes().splitlines(keepends=True)
    paths[0].write_bytes(b"".join(lines[:-1]) + lines[-1][:10])
    _, stats = run_build_data(DistillConfig(**common, shard=(0, 3)))
    assert stats.from_cache == 1 and len(fake_api.requests) == n_requests
    assert len(paths[0].read_text().splitlines()) == len(lines)


def test_build_data_refuses_clips_outside_the_root(tmp_path: Path, fake_api) -> None:
    meta = tmp_path / "meta.jsonl"
    meta.write_text('{"audio": "../outside.wav", "duration": 1}\n')
    cfg = DistillConfig(model=ModelConfig(backend="openai", model="m", options={"base_url": fake_api.openai_base_url}),
                        metadata=str(meta), audio_root=str(tmp_path / "root"), out=str(tmp_path / "o"), progress=False)
    with pytest.raises(Exception, match="escapes the audio root"):
        run_build_data(cfg)
    assert fake_api.requests == []


def test_a_clip_with_its_own_instructions_draws_from_them(tmp_path: Path, fake_api) -> None:
    """Questions about one clip (a QA set's, the synthetic suite's) replace the shared pool for it."""
    sf.write(tmp_path / "a.wav", np.zeros(16000, dtype=np.float32), 16000)
    sf.write(tmp_path / "b.wav", np.zeros(16000, dtype=np.float32), 16000)
    own = ["Is the tone rising?", "How many tones are there?", " "]
    meta = tmp_path / "meta.jsonl"
    meta.write_text(json.dumps({"audio": "a.wav", "labels": ["tone"], "instructions": own}) + "\n"
                    + json.dumps({"audio": "b.wav", "labels": ["noise"]}) + "\n")
    assert load_metadata(meta)[0].instructions == own[:2]  # blanks dropped
    assert seed_description(load_metadata(meta)[0], duration=1.0) == "[00:00-00:01] (tone)"
    fake_api.answer = lambda rec: "ok"
    common = dict(model=ModelConfig(backend="openai", model="m", options={"base_url": fake_api.openai_base_url}),
                  metadata=str(meta), audio_root=str(tmp_path), progress=False)
    path, stats = run_build_data(DistillConfig(**common, out=str(tmp_path / "o"), per_clip=2))
    assert stats.complete
    prompts = {}
    for rec in map(json.loads, path.read_text().splitlines()):
        prompts.setdefault(rec["id"].split("#")[0], set()).add(rec["prompt"])
    assert prompts["a.wav"] == set(own[:2])
    assert prompts["b.wav"] <= set(load_instructions()) and len(prompts["b.wav"]) == 2
    with pytest.raises(ConfigError, match="clip 'a.wav' has 2 instruction\\(s\\) of its own, --per-clip asks for 3"):
        run_build_data(DistillConfig(**common, out=str(tmp_path / "o3"), per_clip=3))
    meta.write_text(json.dumps({"audio": "a.wav", "instructions": [" "]}) + "\n")
    with pytest.raises(DataError) as e:
        load_metadata(meta)
    assert e.value.field == "instructions"

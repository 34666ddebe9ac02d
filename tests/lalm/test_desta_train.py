"""DeSTA end to end on CPU: a tiny LLM that has learnt (from text alone) to answer about seed
descriptions writes its own targets for synthetic clips; training the connector must cut
the loss by a clear margin and make audio-only answers beat chance on held-out clips.
Then: exact mid-epoch resume, and the training run's refusals."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("accelerate")

from scipy.stats import binomtest  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

import tiny_desta as T  # noqa: E402
from akb.cli.app import app  # noqa: E402
from akb.core.errors import DataError, ResumeError  # noqa: E402
from akb.lalm.config import DestaConfig, TrainConfig  # noqa: E402
from akb.lalm.model import DestaModel  # noqa: E402
from akb.lalm.tiny import build_tiny_whisper  # noqa: E402
from akb.lalm.train import read_metrics, train  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny ops on shared cores: threads only contend
    yield
    torch.set_num_threads(n)


def _cli(*args: str) -> Any:
    res = CliRunner().invoke(app, list(args))
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    assert res.exit_code == 0, res.output
    return res


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    w = tmp_path_factory.mktemp("desta-world")
    lm = T.build_text_fitted_lm(w / "lm", steps=180)
    whisper = build_tiny_whisper(w / "whisper")
    root = w / "audio"
    meta = w / "meta.jsonl"
    meta.write_text("".join(json.dumps(r) + "\n" for r in T.make_clips(root, "train", 16, seed=1)))
    rng = random.Random(5)
    # The held-out questions in MMAU's format (a JSON list; the answer is the choice text).
    items = [{"id": f"q{i}", "audio_id": r["audio"], "question": T.QUESTION, "choices": T.mcq_choices("", rng),
              "answer": r["sound_labels"][0], "dataset": "tiny-synth", "task": "sound", "split": "heldout",
              "category": "event", "sub-category": r["sound_labels"][0], "difficulty": "easy"}
             for i, r in enumerate(T.make_clips(root, "heldout", 6, seed=2))]
    bench = w / "heldout.json"
    bench.write_text(json.dumps(items))
    pool = w / "instructions.txt"
    pool.write_text("\n".join(T.instruction_pool()) + "\n")
    # The backbone answers seed description + instruction through the hf backend and the runner,
    # with a cache of its own (the per-test cache fixture does not reach module fixtures).
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AKB_CACHE_DIR", str(w / "cache"))
        _cli("ground", "build-data", str(meta), "--audio-root", str(root), "-m", f"hf:{lm}",
             "--out", str(w / "distill"),
             "--instructions", str(pool), "--replace-instructions", "--per-clip", "2", "--max-tokens", "10",
             "--batch-size", "64", "-o", "device=cpu", "-o", "dtype=float32", "--no-progress")
    return {"w": w, "lm": lm, "whisper": whisper, "root": root, "bench": bench, "distill": w / "distill"}


def _model_cfg(world: dict[str, Path]) -> dict[str, Any]:
    return {"llm": str(world["lm"]), "encoder": str(world["whisper"]), "queries": 4, "n_taps": 2,
            "qformer_layers": 2, "qformer_heads": 4, "qformer_ffn": 128, "llm_dtype": "float32",
            "encoder_dtype": "float32"}


def _eval(world: dict[str, Path], checkpoint: Path, out: Path) -> dict[str, Any]:
    _cli("ground", "eval", str(checkpoint), "--data", str(world["bench"]), "--audio-root", str(world["root"]),
         "--asr", "none", "--out", str(out), "--device", "cpu", "--batch-size", "24", "--max-new-tokens", "8",
         "--no-progress")
    return json.loads((out / "summary.json").read_text())


def test_self_generated_targets_follow_the_seed_descriptions(world: dict[str, Path]) -> None:
    records = [json.loads(line) for line in (world["distill"] / "samples.jsonl").read_text().splitlines()]
    assert len(records) == 64 * 2 and all(not r.get("error") for r in records)
    assert {r["generator"] for r in records} == {f"hf:{world['lm']}"}
    faithful = [r for r in records if r["seed_description"].split("(")[1].rstrip(")") in r["response"]]
    assert len(faithful) >= 0.9 * len(records)


def test_training_cuts_the_loss_and_audio_answers_beat_chance(world: dict[str, Path]) -> None:
    w = world["w"]
    cfg = {"model": _model_cfg(world), "data": [str(world["distill"])], "audio_root": str(world["root"]),
           "out": str(w / "train"), "epochs": 12, "batch_size": 16, "lr": 3e-3, "warmup_steps": 10,
           "save_every": 1000, "log_every": 1, "num_workers": 0, "progress": False}
    (w / "train.yaml").write_text(yaml.safe_dump(cfg))
    out = _cli("ground", "train", str(w / "train.yaml"))
    assert "96/96 steps on 128 records (0 skipped), last logged loss" in out.output
    losses = [row["loss"] for row in read_metrics(w / "train")]
    first, last = sum(losses[:3]) / 3, sum(losses[-5:]) / 5
    print(f"\nDeSTA loss: first 3 steps {first:.3f}, last 5 steps {last:.4f} ({100 * (1 - last / first):.1f}% lower)")
    assert last < 0.2 * first

    trained = _eval(world, w / "train" / "final", w / "eval")
    acc = trained["metrics"]["official"]["overall"]
    # Control: the same frozen backbone with an untrained connector.
    untrained_dir = DestaModel.build(DestaConfig(**_model_cfg(world)), device="cpu").save_pretrained(w / "untrained")
    control = _eval(world, untrained_dir, w / "eval-untrained")["metrics"]["official"]["overall"]
    print(f"held-out accuracy: trained {acc['correct']}/{acc['n']}, untrained {control['correct']}/{control['n']}, "
          f"chance {acc['n'] / 4:.0f}/{acc['n']}")
    assert trained["task"] == "grounded" and trained["model"] == f"hf:{world['lm']}" and trained["complete"]
    assert acc["n"] == 24 and acc["accuracy"] >= 0.6
    assert binomtest(acc["correct"], acc["n"], 0.25, alternative="greater").pvalue < 1e-4
    assert acc["correct"] >= control["correct"] + 6

    # Scored by the official MMAU rule and the robust one, broken down by the file's own fields.
    assert set(trained["metrics"]["official"]["by_subcategory"]) == set(T.CLASSES)
    assert trained["metrics"]["missing"] == 0 and trained["benchmark"] == "mmau" and trained["split"] == "heldout"
    samples = {s["id"]: s for s in map(json.loads, (w / "eval" / "samples.jsonl").read_text().splitlines())}
    assert sum(s["correct"] for s in samples.values()) == acc["correct"]
    preds = json.loads((w / "eval" / "predictions.json").read_text())
    # MMAU's official script reads model_output: every entry, as written, with the model's raw answer.
    assert len(preds) == 24 and all("answer_prediction" not in p for p in preds)
    assert all(p["model_output"] == samples[p["id"]]["response"] and p["task"] == "sound" for p in preds)
    # A second run of the same command resumes: nothing is generated again.
    again = _eval(world, w / "train" / "final", w / "eval")
    assert again["metrics"] == trained["metrics"]
    assert len((w / "eval" / "samples.jsonl").read_text().splitlines()) == 24


def _train_cfg(world: dict[str, Path], out: Path, **kw: Any) -> TrainConfig:
    base = {"model": DestaConfig(**_model_cfg(world)), "data": [str(world["distill"] / "samples.jsonl")],
            "audio_root": str(world["root"]), "out": str(out), "epochs": 2, "batch_size": 16, "grad_accum": 2,
            "lr": 2e-3, "warmup_steps": 2, "save_every": 100, "log_every": 1, "num_workers": 0, "progress": False}
    return TrainConfig(**{**base, **kw})


def test_resume_mid_epoch_continues_the_same_loss_curve(world: dict[str, Path], tmp_path: Path) -> None:
    whole = train(_train_cfg(world, tmp_path / "a"))
    assert whole.steps == whole.planned_steps == 8 and whole.resumed_from is None
    first = train(_train_cfg(world, tmp_path / "b", max_steps=3))  # stops after 6 of 8 batches of epoch 1
    assert first.steps == 3 and first.final is None
    junk = tmp_path / "b" / "checkpoints" / "step-00000099.tmp"  # a save killed before its rename
    junk.mkdir()
    (junk / "state.json").write_text("{}")
    second = train(_train_cfg(world, tmp_path / "b", num_workers=1))
    assert second.resumed_from and second.resumed_from.endswith("step-00000003") and second.steps == 8
    a = [(r["step"], r["loss"], r["lr"]) for r in read_metrics(tmp_path / "a")]
    b = [(r["step"], r["loss"], r["lr"]) for r in read_metrics(tmp_path / "b")]
    assert [s for s, _, _ in b] == list(range(1, 9))
    assert a == b  # dropout included: data order and RNG streams continue exactly
    from safetensors.torch import load_file

    wa = load_file(str(tmp_path / "a" / "final" / "model.safetensors"))
    wb = load_file(str(tmp_path / "b" / "final" / "model.safetensors"))
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def test_training_refuses_other_settings_and_bad_records(world: dict[str, Path], tmp_path: Path) -> None:
    train(_train_cfg(world, tmp_path / "r", max_steps=1))
    with pytest.raises(ResumeError, match="changed: lr"):
        train(_train_cfg(world, tmp_path / "r", lr=1e-3))
    bad = tmp_path / "bad.jsonl"
    good = (world["distill"] / "samples.jsonl").read_text().splitlines()
    rec = json.loads(good[0])
    rec["messages"][-1]["content"] = "no locator here"
    failed = {**json.loads(good[1]), "error": "final: 400 bad request", "response": ""}
    bad.write_text("\n".join([good[2], json.dumps(failed), json.dumps(rec)]) + "\n")
    with pytest.raises(DataError) as e:
        train(_train_cfg(world, tmp_path / "s", data=[str(bad)]))
    assert e.value.line == 3 and e.value.field == "messages" and "exactly once" in str(e.value)


@pytest.mark.slow
def test_ddp_on_two_processes_resumes_exactly(world: dict[str, Path], tmp_path: Path) -> None:
    """Two gloo processes under torchrun: per-rank data shards, synced gradients, each rank's
    RNG saved and restored; an interrupted run matches an uninterrupted one."""
    import os
    import subprocess
    import sys

    def launch(*cfgs: TrainConfig) -> None:
        spec = tmp_path / f"cfg{len(list(tmp_path.glob('cfg*')))}.json"
        spec.write_text(json.dumps([c.model_dump(mode="json") for c in cfgs]))
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parents[2] / "src"), os.environ.get("PYTHONPATH", "")])}
        res = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                              str(Path(__file__).parents[1] / "ddp_train.py"), str(spec)],
                             capture_output=True, text=True, timeout=240, env=env)
        assert res.returncode == 0, res.stderr[-3000:]

    launch(_train_cfg(world, tmp_path / "a", batch_size=8), _train_cfg(world, tmp_path / "b", batch_size=8, max_steps=3))
    launch(_train_cfg(world, tmp_path / "b", batch_size=8))
    a = [(r["step"], r["loss"], r["lr"]) for r in read_metrics(tmp_path / "a")]
    b = [(r["step"], r["loss"], r["lr"]) for r in read_metrics(tmp_path / "b")]
    assert [s for s, _, _ in a] == list(range(1, 9))  # 128 records / (2 ranks x 8) / accumulation 2, x 2 epochs
    assert a == b
    ckpt = sorted((tmp_path / "b" / "checkpoints").iterdir())[-1]
    names = {p.name for p in ckpt.iterdir()}
    assert {"rng-0.safetensors", "rng-1.safetensors", "rng-0.json", "rng-1.json"} <= names
    assert not any(n.endswith((".pkl", ".bin", ".pt")) for n in names)  # nothing pickled


class _Planted:
    """Unpickling this creates a folder: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):  # noqa: ANN204
        import os

        return (os.mkdir, (self.marker,))


def test_resume_never_unpickles_files_planted_in_a_checkpoint(world: dict[str, Path], tmp_path: Path) -> None:
    """Issue 12, defect 10: accelerate's load_state unpickled custom_checkpoint_*.pkl."""
    import pickle

    first = train(_train_cfg(world, tmp_path / "run", max_steps=2))
    ckpt = Path(first.out) / "checkpoints" / "step-00000002"
    names = {p.name for p in ckpt.iterdir()}
    assert {"optimizer.safetensors", "optimizer.json", "scheduler.json", "rng-0.safetensors", "rng-0.json",
            "state.json", "model"} <= names
    assert not any(n.endswith((".pkl", ".bin", ".pt")) for n in names)
    marker = tmp_path / "code-ran"
    for name in ("custom_checkpoint_0.pkl", "custom_checkpoint_1.pkl", "random_states_0.pkl", "optimizer.bin",
                 "scheduler.bin", "pytorch_model.bin", "sampler.bin"):
        (ckpt / name).write_bytes(pickle.dumps(_Planted(marker)))
    pickle.loads((ckpt / "optimizer.bin").read_bytes())  # the payload works when unpickled ...
    assert marker.is_dir()
    marker.rmdir()
    second = train(_train_cfg(world, tmp_path / "run", max_steps=4))
    assert second.resumed_from == str(ckpt) and second.steps == 4
    assert not marker.exists()  # ... and resuming never unpickled it
    # The resumed curve is the uninterrupted one (optimizer, scheduler, RNG all restored).
    whole = train(_train_cfg(world, tmp_path / "whole", max_steps=4))
    a = [(r["step"], r["loss"], r["lr"]) for r in read_metrics(whole.out)]
    b = [(r["step"], r["loss"], r["lr"]) for r in read_metrics(second.out)]
    assert a == b


def test_failed_train_leaves_nothing_that_blocks_the_fix_and_overwrite(world: dict[str, Path], tmp_path: Path) -> None:
    """Issue 12, defect 6: a bad data path left train_config.json; there was no --overwrite."""
    out = tmp_path / "t"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"not": "a distilled record"}\n')
    with pytest.raises(DataError):
        train(_train_cfg(world, out, data=[str(bad)]))
    assert not (out / "train_config.json").exists()
    with pytest.raises(Exception, match="does not exist"):  # a missing path: refused before any model loads
        _train_cfg(world, out, data=[str(tmp_path / "missing.jsonl")])
    conf = tmp_path / "train.yaml"
    base = {"model": _model_cfg(world), "data": [str(world["distill"] / "samples.jsonl")],
            "audio_root": str(world["root"]), "out": str(out), "epochs": 1, "batch_size": 16, "warmup_steps": 1,
            "save_every": 100, "log_every": 1, "num_workers": 0, "progress": False, "max_steps": 1}
    conf.write_text(yaml.safe_dump(base))
    _cli("ground", "train", str(conf))
    conf.write_text(yaml.safe_dump({**base, "lr": 5e-4}))
    with pytest.raises(ResumeError, match="--overwrite"):
        _cli("ground", "train", str(conf))
    (out / "unrelated.txt").write_text("keep me")
    _cli("ground", "train", str(conf), "--overwrite")
    assert json.loads((out / "train_config.json").read_text())["lr"] == 5e-4
    assert (out / "unrelated.txt").read_text() == "keep me"
    assert [r["step"] for r in read_metrics(out)] == [1]

"""The release folder: JSONL + card, read back by datasets, lm-evaluation-harness and
inspect_ai with their own loaders, and the quality baselines of the card."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from akb.bench.loader import default_items_path, load_items
from akb.bench.taxonomy import load_taxonomy
from akb.build.release import build_release, data_file
from akb.core.errors import DataError
from akb.runs.baselines import run_baselines

VERSION = "0.0.1-test"


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("release") / "akb2000"
    items = load_items()
    complete = len(items) == load_taxonomy().total
    build_release(items, load_taxonomy(), version=VERSION, out=out, allow_incomplete=not complete)
    return out


def test_release_files_card_and_manifest(release: Path) -> None:
    items = load_items()
    assert (release / data_file(VERSION)).read_bytes().count(b"\n") == len(items)
    card = (release / "README.md").read_text()
    header = yaml.safe_load(card.split("---")[1])
    assert header["license"] and header["language"] == ["en"] and header["size_categories"]
    assert {c["config_name"] for c in header["configs"]} == {"default", "fewshot", *load_taxonomy().category_ids}
    # the card prints the exact command lines of each mode
    for line in ("--apply_chat_template", "-o chat_template=none", "--num_fewshot 3", "--num-fewshot 3",
                 "inspect eval inspect_akb2000.py"):
        assert line in card
    for section in ("## Taxonomy", "## Construction", "## Review status", "## Known limitations", "## Citation",
                    "## Answer-letter distribution", "## Quality baselines"):
        assert section in card
    status = Counter(i.review.status for i in items)
    for s, n in status.items():
        assert f"| {s} | {n} |" in card
    manifest = json.loads((release / "release.json").read_text())
    assert manifest["items"] == len(items) and data_file(VERSION) in manifest["files"]


def test_datasets_reads_the_folder_and_items_round_trip(release: Path) -> None:
    datasets = pytest.importorskip("datasets")
    ds = datasets.load_dataset(str(release), split="test")
    assert len(ds) == len(load_items())
    assert load_items(ds) == sorted(load_items(), key=lambda i: i.id)
    music = datasets.load_dataset(str(release), "music", split="test")
    assert set(music["category"]) == {"music"}


def test_lm_eval_loads_and_runs_the_exported_tasks(release: Path) -> None:
    pytest.importorskip("lm_eval")
    import lm_eval
    from lm_eval.tasks import TaskManager, get_task_dict

    from akb.bench.prompts import render_user

    tm = TaskManager(include_path=str(release / "lm_eval"))
    task = get_task_dict(["akb2000_music"], task_manager=tm)["akb2000_music"]
    docs = list(task.test_docs())
    music = [i for i in sorted(load_items(), key=lambda i: i.id) if i.category == "music"]
    assert len(docs) == len(music)
    doc, item = docs[0], music[0]
    assert task.doc_to_text(doc) == render_user(item.question, item.choices)
    assert task.doc_to_choice(doc) == ["A", "B", "C", "D"] and task.doc_to_target(doc) == item.answer_index
    res = lm_eval.simple_evaluate(model="dummy", tasks=["akb2000"], task_manager=tm, limit=2)
    assert "akb2000" in res["results"] and "acc,none" in res["results"]["akb2000"]
    assert len([k for k in res["results"] if k.startswith("akb2000_")]) == 6


def _mock_outputs(letters: list[str]) -> list:
    from inspect_ai.model import ModelOutput, ModelUsage

    outputs = []
    for letter in letters:
        o = ModelOutput.from_content(model="mockllm/model", content=f"ANSWER: {letter}")
        o.usage = ModelUsage(input_tokens=10, output_tokens=2, total_tokens=12)  # no tokenizer download
        outputs.append(o)
    return outputs


def test_inspect_ai_task_scores_answers_per_category(release: Path) -> None:
    pytest.importorskip("inspect_ai")
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import get_model

    spec = importlib.util.spec_from_file_location("inspect_akb2000", release / "inspect_akb2000.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    task = mod.akb2000(category="sound")
    rows = [json.loads(x) for x in (release / "data" / "sound.jsonl").read_text().splitlines()][:4]
    # right on all but the first
    letters = [r["answer"] if k else "ABCD"[("ABCD".index(r["answer"]) + 1) % 4] for k, r in enumerate(rows)]
    log = inspect_eval(task, model=get_model("mockllm/model", custom_outputs=_mock_outputs(letters)), limit=4,
                       display="none", log_dir=str(release.parent / "inspect-logs"))[0]
    assert log.status == "success"
    assert log.results is not None
    metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()}
    assert metrics["accuracy"] == pytest.approx(0.75) and metrics["sound"] == pytest.approx(0.75)


def test_release_is_relocatable_and_the_printed_commands_work(release: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """No absolute path inside the release; a moved copy runs in lm-eval and, from its own
    folder with a relative task path (as printed), in inspect."""
    import shutil

    from akb.build.release import release_commands

    for p in release.rglob("*"):
        if p.is_file() and p.suffix in (".yaml", ".py", ".json", ".md", "") and "inspect-logs" not in p.parts:
            assert str(release) not in p.read_text(encoding="utf-8", errors="ignore"), p
    moved = tmp_path / "elsewhere" / "akb2000"
    shutil.copytree(release, moved, ignore=shutil.ignore_patterns("inspect-logs", "__pycache__"))
    cmds = release_commands(moved)
    assert all(c.startswith("cd ") for c in cmds) and "inspect eval inspect_akb2000.py" in cmds[1]
    monkeypatch.chdir(tmp_path)
    if importlib.util.find_spec("lm_eval"):
        import lm_eval
        from lm_eval.tasks import TaskManager

        res = lm_eval.simple_evaluate(model="dummy", tasks=["akb2000_phonetic"],
                                      task_manager=TaskManager(include_path=str(moved / "lm_eval")), limit=2)
        assert "akb2000_phonetic" in res["results"]
    if importlib.util.find_spec("inspect_ai"):
        from inspect_ai import eval as inspect_eval
        from inspect_ai.model import get_model

        monkeypatch.chdir(moved)
        log = inspect_eval("inspect_akb2000.py", model=get_model("mockllm/model", custom_outputs=_mock_outputs(["A"] * 2)),
                           limit=2, display="none", log_dir=str(tmp_path / "logs"))[0]
        assert log.status == "success"


def test_baselines_in_the_card_and_the_easy_distractor_alarm(tmp_path: Path) -> None:
    items = load_items()
    subset = [i for i in items if i.category == "phonetic"][:24]
    path = tmp_path / "subset.jsonl"
    path.write_text("".join(json.dumps(i.to_json()) + "\n" for i in subset))
    base = run_baselines(path, tmp_path / "runs", progress=False)
    assert set(base) >= {"random", "position:A", "embedding", "options-only:embedding"}
    for letter in "ABCD":
        want = sum(i.answer == letter for i in subset) / len(subset)
        assert base[f"position:{letter}"]["overall"]["accuracy"] == pytest.approx(want)
    # A category the embedding baseline solves is reported.
    base["embedding"]["categories"]["music"] = {"n": 20, "correct": 14, "accuracy": 0.7, "ci_low": 0.5, "ci_high": 0.85}
    complete = len(items) == load_taxonomy().total
    res = build_release(items, load_taxonomy(), version=VERSION, out=tmp_path / "rel", baselines=base,
                        allow_incomplete=not complete)
    assert any("music" in w and "too easy" in w for w in res.warnings)
    card = (tmp_path / "rel" / "README.md").read_text()
    assert "| Always A (`position:A`) |" in card and "Options only (embedding)" in card


def test_incomplete_or_failing_benchmarks_are_refused(tmp_path: Path) -> None:
    items = load_items()
    tax = load_taxonomy()
    short = [i for i in items if i.category != "sound"]
    with pytest.raises(DataError, match="sound"):
        build_release(short, tax, version=VERSION, out=tmp_path / "a")
    dup = items[1].model_copy(update={"id": items[0].id[:-3] + "999", "question": items[1].question})
    with pytest.raises(DataError, match="near-duplicate"):
        build_release([*items, dup], tax, version=VERSION, out=tmp_path / "b", allow_incomplete=True)


def test_release_command(tmp_path: Path) -> None:
    out = tmp_path / "cli-release"
    shipped = load_items()
    complete = len(shipped) == load_taxonomy().total
    # From v0.2 a release needs the option-set rule (meta.siblings); the v0.1 file predates it.
    version = "9.9.9" if all("siblings" in i.meta for i in shipped) else "0.1.99"
    args = [sys.executable, "-m", "akb", "bench", "release", "--version", version, "--out", str(out), "--no-baselines",
            "--file", str(default_items_path())] + ([] if complete else ["--allow-incomplete"])
    r = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert (out / f"akb2000-v{version}.jsonl").exists() and "Not computed for this release" in (out / "README.md").read_text()

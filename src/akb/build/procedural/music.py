"""Music-theory items with computed keys (music21): intervals, chords, keys, scale degrees,
transposing instruments, meter, note timing and the harmonic series.

Every distractor is a named, classic confusion (the parallel instead of the relative key,
the interval one semitone off, transposing the wrong way, counting overtones instead of
harmonics) and the right answer to a sibling question recorded in ``meta.siblings``.
Spellings are standard (no double sharps or flats); no distractor sounds the same as the
key (an augmented fourth is never offered beside a diminished fifth). Numeric items draw
the key's rank among the sorted values uniformly.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from typing import Any

from akb.build.procedural.base import (
    Candidate,
    Draft,
    Generator,
    numeric_choices,
    register,
    sibling_from_pool,
)
from akb.build.procedural.formulas import _near, fmt
from akb.core.errors import MissingDependencyError

SOURCE = "Western music theory, computed with music21"

# Interval short names music21 understands, with their size in semitones.
INTERVALS = {"m2": 1, "M2": 2, "m3": 3, "M3": 4, "P4": 5, "A4": 6, "d5": 6, "P5": 7, "m6": 8, "M6": 9,
             "m7": 10, "M7": 11, "P8": 12}
INTERVAL_NAMES = {"m2": "minor second", "M2": "major second", "m3": "minor third", "M3": "major third",
                  "P4": "perfect fourth", "A4": "augmented fourth", "d5": "diminished fifth", "P5": "perfect fifth",
                  "m6": "minor sixth", "M6": "major sixth", "m7": "minor seventh", "M7": "major seventh", "P8": "octave",
                  "A5": "augmented fifth", "d7": "diminished seventh"}
# Tonics with a key signature of at most six accidentals.
MAJOR_TONICS = ["C", "G", "D", "A", "E", "B", "F#", "F", "B-", "E-", "A-", "D-", "G-"]
MINOR_TONICS = ["A", "E", "B", "F#", "C#", "G#", "D", "G", "C", "F", "B-", "E-"]
DEGREES = {1: "tonic", 2: "supertonic", 3: "mediant", 4: "subdominant", 5: "dominant", 6: "submediant", 7: "leading tone"}
ROMAN = {2: "ii", 3: "iii", 4: "IV", 5: "V", 6: "vi"}
TRIADS = {"major": ["M3", "P5"], "minor": ["m3", "P5"], "diminished": ["m3", "d5"], "augmented": ["M3", "A5"]}
SEVENTHS = {"dominant seventh": ["M3", "P5", "m7"], "major seventh": ["M3", "P5", "M7"],
            "minor seventh": ["m3", "P5", "m7"], "half-diminished seventh": ["m3", "d5", "m7"],
            "diminished seventh": ["m3", "d5", "d7"]}
# Written -> sounding: the interval the instrument sounds BELOW (negative: above) its written pitch.
TRANSPOSERS = {"B♭ clarinet": "M2", "B♭ trumpet": "M2", "horn in F": "P5", "E♭ alto saxophone": "M6",
               "A clarinet": "m3", "English horn (cor anglais)": "P5", "B♭ soprano saxophone": "M2"}
METERS = {"2/4": ("simple", 2), "3/4": ("simple", 3), "4/4": ("simple", 4), "2/2": ("simple", 2), "3/8": ("simple", 3),
          "3/2": ("simple", 3), "6/8": ("compound", 2), "9/8": ("compound", 3), "12/8": ("compound", 4),
          "6/4": ("compound", 2), "12/16": ("compound", 4)}
BEATS = {2: "duple", 3: "triple", 4: "quadruple"}
NOTE_VALUES = {"whole note": 4.0, "half note": 2.0, "quarter note": 1.0, "eighth note": 0.5,
               "dotted half note": 3.0, "dotted quarter note": 1.5, "dotted eighth note": 0.75}


@lru_cache(maxsize=1)
def _m21() -> Any:
    try:
        import music21
    except ImportError:
        raise MissingDependencyError("music21", "build", "music-theory generators") from None
    return music21


def name(pitch_name: str) -> str:
    """music21 spelling of a pitch class (B-, F#) to the printed one (B-flat, F-sharp). Words, not
    the ♭/♯ signs, keep questions distinct under any text normalisation and read naturally."""
    return spell(pitch_name.replace("-", "♭").replace("#", "♯"))


def octave_name(pitch_name: str) -> str:
    """A pitch with its octave in scientific pitch notation (G♯4), signs kept."""
    return pitch_name.replace("-", "♭").replace("#", "♯")


_SIGN = re.compile(r"([A-G])([♭♯])(?![♭♯\d])")


def spell(text: str) -> str:
    """Accidentals in words: 'B♭ clarinet' -> 'B-flat clarinet'; octave names (G♯4) are kept."""
    return _SIGN.sub(lambda m: f"{m.group(1)}-{'flat' if m.group(2) == '♭' else 'sharp'}", text)


def _transpose(note: str, interval: str, down: bool = False) -> str:
    m = _m21()
    iv = m.interval.Interval(interval)
    p = m.pitch.Pitch(note)
    out = p.transpose(iv.reverse() if down else iv)
    return str(out.name)


def _ok_spelling(n: str) -> bool:
    return "##" not in n and "--" not in n


def _draft(gid: str, sub: str, q: str, answer: str, distractors: list[str], why: str, params: dict[str, Any],
           diff: str = "medium") -> Draft | None:
    opts = [spell(o) for o in (answer, *distractors)]
    if len({o.lower() for o in opts}) != 4:
        return None
    return Draft(category="music", subcategory=sub, question=spell(q), choices=opts, rationale=spell(why), generator=gid,
                 params=params, source=SOURCE, difficulty=diff)


# ---------------------------------------------------------------- intervals
def interval_name(p: dict[str, Any]) -> str:
    m = _m21()
    iv = m.interval.Interval(m.pitch.Pitch(p["low"] + "4"), m.pitch.Pitch(p["high"] + ("5" if p["octave_up"] else "4")))
    return INTERVAL_NAMES[iv.name]


def _interval_make(rng: random.Random) -> Draft | None:
    short = rng.choice([k for k in INTERVALS if k != "P8"])
    low = rng.choice(["C", "D", "E", "F", "G", "A", "B", "B-", "E-", "A-", "F#", "C#"])
    high = _transpose(low, short)
    if not _ok_spelling(high):
        return None
    m = _m21()
    octave_up = m.pitch.Pitch(high + "4").midi <= m.pitch.Pitch(low + "4").midi
    p = {"low": low, "high": high, "octave_up": octave_up}
    size = INTERVALS[short]
    near = [k for k in INTERVALS if INTERVALS[k] != size and abs(INTERVALS[k] - size) <= 2]
    rng.shuffle(near)
    if len(near) < 3:
        return None
    dist = [INTERVAL_NAMES[k] for k in near[:3]]
    q = rng.choice([
        f"What is the interval from {name(low)} up to the next {name(high)} above it?",
        f"Ascending from {name(low)} to the nearest {name(high)} above, which interval is formed?",
    ])
    return _draft("music.interval_name", "intervals_scales_keys", q, interval_name(p), dist,
                  f"{name(low)} up to {name(high)} spans {size} semitones and is spelled as a {interval_name(p)}.", p,
                  "easy" if short in ("P5", "P4", "M3", "m3") else "medium")


# ---------------------------------------------------------------- keys
def relative_key(p: dict[str, Any]) -> str:
    m = _m21()
    k = m.key.Key(p["tonic"] if p["mode"] == "major" else p["tonic"].lower())
    r = k.relative
    return f"{name(r.tonic.name)} {r.mode}"


def _relative_make(rng: random.Random) -> Draft | None:
    mode = rng.choice(["major", "minor"])
    tonic = rng.choice(MAJOR_TONICS if mode == "major" else MINOR_TONICS)
    p = {"tonic": tonic, "mode": mode}
    key = relative_key(p)
    other = "minor" if mode == "major" else "major"
    # the parallel key; a minor third the wrong way; the relative of the dominant
    wrong_dir = _transpose(tonic, "m3", down=(mode == "minor"))
    dom_rel = relative_key({"tonic": _transpose(tonic, "P5"), "mode": mode}) if _ok_spelling(_transpose(tonic, "P5")) else None
    common = {f"{name(t)} major" for t in MAJOR_TONICS} | {f"{name(t)} minor" for t in MINOR_TONICS}
    dist = [d for d in (f"{name(tonic)} {other}", f"{name(wrong_dir)} {other}", dom_rel) if d in common]
    if len(dist) < 3:
        return None  # a theoretical key (G♯ major) as a distractor would give the answer away
    return _draft("music.relative_key", "intervals_scales_keys",
                  f"What is the relative {other} of {name(tonic)} {mode}?", key, dist,
                  f"Relative keys share a key signature; the relative {other} of {name(tonic)} {mode} is {key} "
                  f"(a minor third {'below' if mode == 'major' else 'above'} the tonic). {name(tonic)} {other} is the parallel key.",
                  p, "easy" if len(tonic) == 1 else "medium")


def key_signature(p: dict[str, Any]) -> str:
    m = _m21()
    k = m.key.Key(p["tonic"] if p["mode"] == "major" else p["tonic"].lower())
    n = k.sharps
    if n == 0:
        return "No sharps or flats"
    kind = "sharp" if n > 0 else "flat"
    return f"{abs(n)} {kind}{'s' if abs(n) > 1 else ''}"


def _keysig_make(rng: random.Random) -> Draft | None:
    mode = rng.choice(["major", "minor"])
    tonic = rng.choice(MAJOR_TONICS if mode == "major" else MINOR_TONICS)
    p = {"tonic": tonic, "mode": mode}
    key = key_signature(p)
    if key.startswith("No"):
        return None
    n, kind = int(key.split()[0]), key.split()[1].rstrip("s")
    other = "flat" if kind == "sharp" else "sharp"
    cands = [f"{x} {kind}{'s' if x > 1 else ''}" for x in (n - 1, n + 1, n + 2, n - 2) if 1 <= x <= 7]
    cands.append(f"{n} {other}{'s' if n > 1 else ''}")
    rng.shuffle(cands)
    return _draft("music.key_signature", "intervals_scales_keys",
                  f"How many sharps or flats are in the key signature of {name(tonic)} {mode}?", key, cands[:3],
                  f"Following the circle of fifths, {name(tonic)} {mode} has {key.lower()} in its key signature.", p,
                  "medium")


# ---------------------------------------------------------------- scale degrees and diatonic chords
def _scale(tonic: str) -> list[str]:
    m = _m21()
    sc = m.scale.MajorScale(tonic)
    return [str(sc.pitchFromDegree(d).name) for d in range(1, 8)]


def scale_degree(p: dict[str, Any]) -> str:
    return name(_scale(p["tonic"])[p["degree"] - 1])


def _degree_make(rng: random.Random) -> Draft | None:
    tonic = rng.choice(MAJOR_TONICS)
    degree = rng.choice([2, 3, 4, 5, 6, 7])
    p = {"tonic": tonic, "degree": degree}
    notes = [name(n) for n in _scale(tonic)]
    others = [n for i, n in enumerate(notes) if i not in (0, degree - 1)]
    rng.shuffle(others)
    return _draft("music.scale_degree", "intervals_scales_keys",
                  f"In {name(tonic)} major, which note is the {DEGREES[degree]} (scale degree {degree})?",
                  scale_degree(p), others[:3],
                  f"The {name(tonic)} major scale is {', '.join(notes)}; degree {degree}, the {DEGREES[degree]}, is {scale_degree(p)}.",
                  p, "easy" if degree == 5 else "medium")


def diatonic_triad(p: dict[str, Any]) -> str:
    m = _m21()
    notes = _scale(p["tonic"])
    d = p["degree"] - 1
    ch = m.chord.Chord([notes[d] + "4", notes[(d + 2) % 7] + "5", notes[(d + 4) % 7] + "5"])
    return f"{name(notes[d])} {ch.quality}"


def _chord_in_key_make(rng: random.Random) -> Draft | None:
    tonic = rng.choice(MAJOR_TONICS)
    degree = rng.choice(list(ROMAN))
    p = {"tonic": tonic, "degree": degree}
    others = [diatonic_triad({"tonic": tonic, "degree": d}) for d in (1, 2, 3, 4, 5, 6) if d != degree]
    rng.shuffle(others)
    fn = {2: "supertonic", 3: "mediant", 4: "subdominant", 5: "dominant", 6: "submediant"}[degree]
    return _draft("music.chord_in_key", "harmony_chords",
                  f"In {name(tonic)} major, which triad is the {fn} chord ({ROMAN[degree]})?",
                  diatonic_triad(p), others[:3],
                  f"Built on degree {degree} of {name(tonic)} major from the scale's own notes, the {ROMAN[degree]} chord is {diatonic_triad(p)}.",
                  p, "easy" if degree in (4, 5) else "medium")


# ---------------------------------------------------------------- chord qualities
def chord_quality(p: dict[str, Any]) -> str:
    m = _m21()
    ch = m.chord.Chord([n for n in p["notes"]])
    common = str(ch.commonName)
    table = {"major triad": "major triad", "minor triad": "minor triad", "diminished triad": "diminished triad",
             "augmented triad": "augmented triad", "dominant seventh chord": "dominant seventh",
             "major seventh chord": "major seventh", "minor seventh chord": "minor seventh",
             "half-diminished seventh chord": "half-diminished seventh", "diminished seventh chord": "diminished seventh"}
    return table[common]


def _chord_quality_make(rng: random.Random) -> Draft | None:
    seventh = rng.random() < 0.5
    table = SEVENTHS if seventh else {f"{k} triad": v for k, v in TRIADS.items()}
    quality = rng.choice(list(table))
    root = rng.choice(["C", "D", "E", "F", "G", "A", "B", "B-", "E-", "A-", "F#", "C#"])
    m = _m21()
    pitches = [m.pitch.Pitch(root + "4")]
    for iv in table[quality]:
        pitches.append(pitches[0].transpose(iv))
    spelled = [str(x.name) for x in pitches]
    if not all(_ok_spelling(s) for s in spelled):
        return None
    p = {"notes": [x.nameWithOctave for x in pitches]}
    key = chord_quality(p)
    if key != quality:
        return None
    dist = [q for q in table if q != quality]
    rng.shuffle(dist)
    shown = ", ".join(name(s) for s in spelled)
    return _draft("music.chord_quality", "harmony_chords",
                  f"A chord is spelled {shown} (root position, root first). What kind of chord is it?",
                  key, dist[:3], chord_quality_rationale(name(spelled[0]), table[quality], key),
                  p, "medium" if seventh else "easy")


def chord_quality_rationale(root: str, intervals: list[str], quality: str) -> str:
    named = [INTERVAL_NAMES[i] for i in intervals]
    listed = ", ".join(f"a {n}" for n in named[:-1]) + f" and a {named[-1]}"
    article = "an" if quality[0] in "aeiou" else "a"
    return f"Above the root {root} the chord stacks {listed}: {article} {quality}{' chord' if 'seventh' in quality else ''}."


# ---------------------------------------------------------------- transposing instruments
def sounding_pitch(p: dict[str, Any]) -> str:
    return name(_transpose(p["written"], TRANSPOSERS[p["instrument"]], down=True))  # spelled by name()


def _transposition_make(rng: random.Random) -> Draft | None:
    instrument = rng.choice(list(TRANSPOSERS))
    written = rng.choice(["C", "D", "E", "F", "G", "A", "B", "B-", "E-"])
    p = {"instrument": instrument, "written": written}
    key = sounding_pitch(p)
    up = name(_transpose(written, TRANSPOSERS[instrument]))
    other_iv = rng.choice([iv for iv in {"M2", "P5", "M6", "m3"} if iv != TRANSPOSERS[instrument]])
    other = name(_transpose(written, other_iv, down=True))
    dist = [name(written), up, other]
    if not all(_ok_spelling(x.replace("♭", "-").replace("♯", "#")) for x in [key, *dist]):
        return None
    iv = INTERVAL_NAMES[TRANSPOSERS[instrument]]
    return _draft("music.transposition", "instruments_timbre",
                  f"A player on the {instrument} reads a written {name(written)}. Which concert pitch (pitch class) sounds?",
                  key, dist,
                  f"The {instrument} sounds a {iv} below the written note, so a written {name(written)} sounds as {key}.",
                  p, "medium")


# ---------------------------------------------------------------- meter and timing
def meter_class(p: dict[str, Any]) -> str:
    kind, beats = METERS[p["meter"]]
    return f"{kind.capitalize()} {BEATS[beats]}"


def _meter_make(rng: random.Random) -> Draft | None:
    meter = rng.choice(list(METERS))
    p = {"meter": meter}
    kind, beats = METERS[meter]
    other_kind = "compound" if kind == "simple" else "simple"
    naive = int(meter.split("/")[0])
    cands = [f"{other_kind.capitalize()} {BEATS[beats]}"]
    if naive in BEATS and naive != beats:
        cands.append(f"{kind.capitalize()} {BEATS[naive]}")
    for b in (2, 3, 4):
        if b != beats:
            cands.append(f"{other_kind.capitalize()} {BEATS[b]}")
            cands.append(f"{kind.capitalize()} {BEATS[b]}")
    seen: list[str] = []
    for c in cands:
        if c not in seen and c != meter_class(p):
            seen.append(c)
    return _draft("music.meter_class", "rhythm_meter_tempo",
                  f"How is the time signature {meter} classified?", meter_class(p), seen[:3],
                  f"{meter} has {beats} beats per bar, each divided in {'three' if kind == 'compound' else 'two'}: {meter_class(p).lower()}.",
                  p, "medium")


def note_seconds(p: dict[str, Any]) -> str:
    return fmt(NOTE_VALUES[p["value"]] * 60 / p["bpm"], "s", 4)


def _note_timing_q(p: dict[str, Any]) -> str:
    return f"At a tempo of {p['bpm']} quarter-note beats per minute, how long does one {p['value']} last?"


def _note_timing_make(rng: random.Random) -> Draft | None:
    value = rng.choice([v for v in NOTE_VALUES if v != "quarter note"])
    bpm = rng.choice([60, 72, 80, 90, 96, 100, 120, 140, 150, 160])
    p = {"value": value, "bpm": bpm}
    beats = NOTE_VALUES[value]
    return _numeric_draft(rng, "music.note_timing", "rhythm_meter_tempo", _note_timing_q(p), note_seconds(p), _note_timing_pool(p),
                          f"One quarter note lasts 60/{bpm} s; a {value} is {beats:g} quarter notes, so {beats:g} x 60/{bpm} = {note_seconds(p)}.",
                          p, "medium")


def bar_seconds(p: dict[str, Any]) -> str:
    num, den = (int(x) for x in p["meter"].split("/"))
    quarters = num * 4 / den
    return fmt(quarters * 60 / p["bpm"], "s")


def _bar_q(p: dict[str, Any]) -> str:
    return f"A piece in {p['meter']} is played at {p['bpm']} quarter notes per minute. How long does one bar last?"


def _bar_make(rng: random.Random) -> Draft | None:
    meter = rng.choice(["2/4", "3/4", "4/4", "6/8", "3/8", "2/2", "12/8"])
    bpm = rng.choice([60, 80, 90, 100, 120, 150])
    p = {"meter": meter, "bpm": bpm}
    num, den = (int(x) for x in meter.split("/"))
    return _numeric_draft(rng, "music.bar_seconds", "rhythm_meter_tempo", _bar_q(p), bar_seconds(p), _bar_pool(p),
                          f"A bar of {meter} holds {num * 4 / den:g} quarter notes, each 60/{bpm} s long: {bar_seconds(p)}.", p,
                          "medium")


# ---------------------------------------------------------------- harmonic series
def harmonic_freq(p: dict[str, Any]) -> str:
    return fmt(p["f0"] * p["n"], "Hz", 4)


def _harmonic_freq_q(p: dict[str, Any]) -> str:
    ordinal = {2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth"}[p["n"]]
    return f"A vibrating string has a fundamental of {fmt(p['f0'], 'Hz', 4)}. What is the frequency of its {ordinal} harmonic?"


def _harmonic_make(rng: random.Random) -> Draft | None:
    f0 = rng.choice([55, 65.4, 73.4, 82.4, 98, 110, 130.8, 146.8, 196, 220])
    n = rng.choice([2, 3, 4, 5, 6])
    p = {"f0": f0, "n": n}
    ordinal = {2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}[n]
    return _numeric_draft(rng, "music.harmonic_freq", "form_texture_acoustics", _harmonic_freq_q(p), harmonic_freq(p), _harmonic_freq_pool(p),
                          f"The nth harmonic is n times the fundamental (the fundamental is the first harmonic): {n} x {fmt(f0, 'Hz', 4)} = {harmonic_freq(p)}. "
                          f"Its {ordinal} overtone would be harmonic {n + 1}.", p, "medium")


def harmonic_pitch(p: dict[str, Any]) -> str:
    return _nearest(_m21().pitch.Pitch(p["fundamental"]).frequency * p["n"])


def _nearest(freq: float) -> str:
    m = _m21()
    pt = m.pitch.Pitch()
    pt.frequency = freq
    pt.microtone = 0
    return octave_name(pt.nameWithOctave)


def _harmonic_pitch_make(rng: random.Random) -> Draft | None:
    fundamental = rng.choice(["C2", "G1", "F2", "A1", "D2", "E2"])
    n = rng.choice([3, 4, 5, 6, 8])
    p = {"fundamental": fundamental, "n": n}
    m = _m21()
    f0 = m.pitch.Pitch(fundamental).frequency
    key = harmonic_pitch(p)
    cands = [_nearest(f0 * k) for k in (2, 3, 4, 5, 6, 8) if k != n]
    cands = [c for c in dict.fromkeys(cands) if c != key]
    rng.shuffle(cands)
    if len(cands) < 3:
        return None
    ordinal = {3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 8: "eighth"}[n]
    return _draft("music.harmonic_pitch", "form_texture_acoustics",
                  f"Which pitch lies closest to the {ordinal} harmonic of {octave_name(fundamental)} (counting the fundamental as the first harmonic, A4 = 440 Hz)?",
                  key, cands[:3],
                  f"The {ordinal} harmonic is {n} x {f0:.1f} Hz = {f0 * n:.1f} Hz, nearest to {key} in equal temperament.",
                  p, "hard")


def _per_second(x: float) -> str:
    return fmt(x, "beat per second" if x == 1 else "beats per second", 3)


def beat_rate(p: dict[str, Any]) -> str:
    return _per_second(abs(p["f2"] - p["f1"]))


def _beats_q(p: dict[str, Any]) -> str:
    return f"Two steady tones of {fmt(p['f1'], 'Hz', 4)} and {fmt(p['f2'], 'Hz', 4)} sound together. How fast do they beat?"


def _beats_make(rng: random.Random) -> Draft | None:
    f1 = rng.choice([220, 261.6, 293.7, 330, 392, 440, 523.3])
    d = rng.choice([0.5, 1, 1.5, 2, 3, 5, 6])
    f2 = round(f1 + d, 1)
    p = {"f1": f1, "f2": f2}
    return _numeric_draft(rng, "music.beats", "form_texture_acoustics", _beats_q(p), beat_rate(p), _beats_pool(p),
                          f"The beat rate equals the frequency difference: {fmt(f2, 'Hz', 4)} - {fmt(f1, 'Hz', 4)} = {beat_rate(p)}.",
                          p, "easy")


# ---------------------------------------------------------------- sibling questions
INTERVAL_OF = {"M2": "B♭ clarinet", "P5": "horn in F", "M6": "E♭ alto saxophone", "m3": "A clarinet"}
EXAMPLE_METER = {("simple", 2): "2/4", ("simple", 3): "3/4", ("simple", 4): "4/4",
                 ("compound", 2): "6/8", ("compound", 3): "9/8", ("compound", 4): "12/8"}
MAJOR_BY_SHARPS = {0: "C", 1: "G", 2: "D", 3: "A", 4: "E", 5: "B", 6: "F#", 7: "C#",
                   -1: "F", -2: "B-", -3: "E-", -4: "A-", -5: "D-", -6: "G-", -7: "C-"}
ROMAN_ALL = {1: "I", **ROMAN}
FUNCTIONS = {1: "tonic", 2: "supertonic", 3: "mediant", 4: "subdominant", 5: "dominant", 6: "submediant"}
HARMONIC_ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth"}


def _interval_pool(p: dict[str, Any]) -> list[Candidate]:
    low = p["low"]
    out: list[Candidate] = []
    out.append((INTERVAL_NAMES["P8"], f"What is the interval from {name(low)} up to the next {name(low)} above it?"))
    for short in INTERVALS:
        if short == "P8":
            continue
        high = _transpose(low, short)
        if _ok_spelling(high):
            out.append((INTERVAL_NAMES[short], f"What is the interval from {name(low)} up to the next {name(high)} above it?"))
    return out


def _relative_siblings(p: dict[str, Any], text: str) -> str:
    tonic, mode = text.rsplit(" ", 1)
    m21 = _m21()
    t = tonic.replace("-flat", "-").replace("-sharp", "#")
    k = m21.key.Key(t if mode == "major" else t.lower())
    r = k.relative
    if name(tonic.replace("-flat", "-").replace("-sharp", "#")) == name(p["tonic"]) and mode != p["mode"]:
        return f"What is the parallel {mode} of {name(p['tonic'])} {p['mode']}?"
    return f"What is the relative {mode} of {name(r.tonic.name)} {r.mode}?"


def _keysig_siblings(p: dict[str, Any], text: str) -> str:
    n_, kind = text.split()[0], text.split()[1]
    n = int(n_) * (1 if kind.startswith("sharp") else -1)
    tonic = MAJOR_BY_SHARPS[n]
    return f"How many sharps or flats are in the key signature of {name(tonic)} major?"


def _degree_pool(p: dict[str, Any]) -> list[Candidate]:
    notes = _scale(p["tonic"])
    return [(name(n), f"In {name(p['tonic'])} major, which note is the {DEGREES[d]} (scale degree {d})?")
            for d, n in enumerate(notes, 1)]


def _chord_in_key_pool(p: dict[str, Any]) -> list[Candidate]:
    return [(diatonic_triad({"tonic": p["tonic"], "degree": d}),
             f"In {name(p['tonic'])} major, which triad is the {FUNCTIONS[d]} chord ({ROMAN_ALL[d]})?") for d in FUNCTIONS]


def _chord_quality_pool(p: dict[str, Any]) -> list[Candidate]:
    m = _m21()
    root = p["notes"][0]
    key_quality = chord_quality(p)
    table = SEVENTHS if "seventh" in key_quality else {f"{k} triad": v for k, v in TRIADS.items()}
    out: list[Candidate] = []
    for quality, ivs in table.items():
        for r in [root[:-1], "C", "D", "E", "F", "G", "A"]:
            pitches = [m.pitch.Pitch(r + "4")]
            pitches += [pitches[0].transpose(iv) for iv in ivs]
            spelled = [str(x.name) for x in pitches]
            if all(_ok_spelling(x) for x in spelled):
                shown = ", ".join(name(x) for x in spelled)
                out.append((quality, f"A chord is spelled {shown} (root position, root first). What kind of chord is it?"))
                break
    return out


def _transposition_pool(p: dict[str, Any]) -> list[Candidate]:
    w, inst = p["written"], p["instrument"]
    iv = TRANSPOSERS[inst]
    out: list[Candidate] = [
        (name(w), f"A flutist (a non-transposing instrument in C) reads a written {name(w)}. Which concert pitch sounds?"),
        (name(_transpose(w, iv)), f"Which note must a player on the {inst} read to sound a concert {name(w)}?"),
    ]
    for other_iv, other in INTERVAL_OF.items():
        if other_iv != iv:
            out.append((name(_transpose(w, other_iv, down=True)),
                        f"A player on the {other} reads a written {name(w)}. Which concert pitch (pitch class) sounds?"))
    return out


def _meter_pool(p: dict[str, Any]) -> list[Candidate]:
    return [(f"{kind.capitalize()} {BEATS[beats]}", f"How is the time signature {meter} classified?")
            for (kind, beats), meter in EXAMPLE_METER.items()]


def _note_timing_pool(p: dict[str, Any]) -> list[Candidate]:
    out: list[Candidate] = []
    for v in _near(sorted(NOTE_VALUES.values()), NOTE_VALUES[p["value"]]):
        value = next(k for k, x in NOTE_VALUES.items() if x == v)
        out.append((note_seconds({**p, "value": value}), _note_timing_q({**p, "value": value})))
    for bpm in _near([60, 72, 80, 90, 96, 100, 120, 140, 150, 160], p["bpm"])[:4]:
        out.append((note_seconds({**p, "bpm": bpm}), _note_timing_q({**p, "bpm": bpm})))
    return out


def _bar_pool(p: dict[str, Any]) -> list[Candidate]:
    out: list[Candidate] = [(bar_seconds({**p, "meter": m}), _bar_q({**p, "meter": m}))
                            for m in ["2/4", "3/4", "4/4", "6/8", "3/8", "2/2", "12/8", "5/4", "9/8"] if m != p["meter"]]
    out += [(bar_seconds({**p, "bpm": b}), _bar_q({**p, "bpm": b})) for b in _near([60, 72, 80, 90, 100, 120, 150, 180], p["bpm"])[:4]]
    return out


def _harmonic_freq_pool(p: dict[str, Any]) -> list[Candidate]:
    out = [(harmonic_freq({**p, "n": k}), _harmonic_freq_q({**p, "n": k})) for k in _near([2, 3, 4, 5, 6, 7, 8], p["n"])]
    out += [(harmonic_freq({**p, "f0": f}), _harmonic_freq_q({**p, "f0": f}))
            for f in _near([55, 65.4, 73.4, 82.4, 98, 110, 130.8, 146.8, 196, 220], p["f0"])[:4]]
    return out


def _harmonic_pitch_pool(p: dict[str, Any]) -> list[Candidate]:
    m = _m21()
    f0 = m.pitch.Pitch(p["fundamental"]).frequency
    out: list[Candidate] = []
    for k in (2, 3, 4, 5, 6, 7, 8):
        out.append((_nearest(f0 * k), f"Which pitch lies closest to the {HARMONIC_ORDINALS[k]} harmonic of {octave_name(p['fundamental'])} "
                                      "(counting the fundamental as the first harmonic, A4 = 440 Hz)?"))
    return out


def _beats_pool(p: dict[str, Any]) -> list[Candidate]:
    f1 = p["f1"]
    d = abs(p["f2"] - f1)
    return [(beat_rate({"f1": f1, "f2": round(f1 + d2, 1)}), _beats_q({"f1": f1, "f2": round(f1 + d2, 1)}))
            for d2 in _near([0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8], d)[:8]]


def _numeric_draft(rng: random.Random, gid: str, sub: str, q: str, key: str, pool: list[Candidate], why: str,
                   params: dict[str, Any], diff: str = "medium") -> Draft | None:
    picked = numeric_choices(rng, key, pool)
    if picked is None:
        return None
    choices, siblings = picked
    d = _draft(gid, sub, q, key, choices[1:], why, params, diff)
    if d is not None:
        d.meta["siblings"] = [{"option": spell(s["option"]), "question": spell(s["question"])} for s in siblings]
    return d


def _spelled(pool: Any) -> Any:
    def f(p: dict[str, Any]) -> list[Candidate]:
        return [(spell(t), spell(q)) for t, q in pool(p)]
    return f


def _spelled_fn(fn: Any) -> Any:
    def f(p: dict[str, Any], text: str) -> str:
        return spell(fn(p, text))
    return f


for _g in [
    Generator("music.interval_name", "music", "intervals_scales_keys", SOURCE, _interval_make, interval_name,
              siblings=sibling_from_pool(_spelled(_interval_pool))),
    Generator("music.relative_key", "music", "intervals_scales_keys", SOURCE, _relative_make, relative_key,
              siblings=_spelled_fn(_relative_siblings)),
    Generator("music.key_signature", "music", "intervals_scales_keys", SOURCE, _keysig_make, key_signature,
              siblings=_spelled_fn(_keysig_siblings)),
    Generator("music.scale_degree", "music", "intervals_scales_keys", SOURCE, _degree_make, scale_degree,
              siblings=sibling_from_pool(_spelled(_degree_pool))),
    Generator("music.chord_in_key", "music", "harmony_chords", SOURCE, _chord_in_key_make, diatonic_triad,
              siblings=sibling_from_pool(_spelled(_chord_in_key_pool))),
    Generator("music.chord_quality", "music", "harmony_chords", SOURCE, _chord_quality_make, chord_quality,
              siblings=sibling_from_pool(_spelled(_chord_quality_pool))),
    Generator("music.transposition", "music", "instruments_timbre", SOURCE, _transposition_make, sounding_pitch,
              siblings=sibling_from_pool(_spelled(_transposition_pool))),
    Generator("music.meter_class", "music", "rhythm_meter_tempo", SOURCE, _meter_make, meter_class,
              siblings=sibling_from_pool(_meter_pool)),
    Generator("music.note_timing", "music", "rhythm_meter_tempo", SOURCE, _note_timing_make, note_seconds,
              siblings=sibling_from_pool(_note_timing_pool), pool=_note_timing_pool),
    Generator("music.bar_seconds", "music", "rhythm_meter_tempo", SOURCE, _bar_make, bar_seconds,
              siblings=sibling_from_pool(_bar_pool), pool=_bar_pool),
    Generator("music.harmonic_freq", "music", "form_texture_acoustics", SOURCE, _harmonic_make, harmonic_freq,
              siblings=sibling_from_pool(_harmonic_freq_pool), pool=_harmonic_freq_pool, rebuild_with="music.overtone",
              # v0.4 (trivia census): 'the nth harmonic' read literally is n x f; the overtone of a stopped pipe is not
              outdated=lambda p: "rebuilt: 'the nth harmonic' read literally gives n x f (trivia census); now the overtone of "
                                 "a stopped pipe or a string"),
    Generator("music.harmonic_pitch", "music", "form_texture_acoustics", SOURCE, _harmonic_pitch_make, harmonic_pitch,
              siblings=sibling_from_pool(_spelled(_harmonic_pitch_pool))),
    Generator("music.beats", "music", "form_texture_acoustics", SOURCE, _beats_make, beat_rate,
              siblings=sibling_from_pool(_beats_pool), pool=_beats_pool),
]:
    register(_g)

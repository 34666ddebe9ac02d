"""The synthetic audio suite: small, offline, with ground truth computed by construction.

``akb synth make DIR`` writes, for ``per_task`` clips of each task:

- ``audio/TASK-NNN.wav`` (16 kHz mono, 16-bit);
- ``synth.json``: the questions in MMAU's format (``id``, ``audio_id``, ``question``,
  ``choices``, ``answer`` = choice text, ``dataset``, ``task`` = sound|music|speech,
  ``split``, ``category``, ``sub-category``, ``difficulty``), readable by the MMAU loader
  and by MMAU's own scripts;
- ``metadata.jsonl``: one line per clip with what was made (path, duration, transcript of
  speech, attributes such as voice pitch and gender-like voice, speaking speed, volume,
  loudness, effect, reverberation, sound labels, a short caption): seed data for
  self-distillation (DeSTA) and for checking captioners;
- ``manifest.json``: version, seed, size, tools, counts, and the tasks skipped because a
  tool (espeak-ng, sox) is missing.

Answers are the parameters the clip was made from (a tone's frequency, a click track's
tempo, a target loudness), never a measurement of it. Answer positions are balanced and
the order of the other options comes from a hash of the seed and the item.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from akb.audio import synthesis as syn
from akb.audio.features import LOUDNESS_WORDS
from akb.audio.pitch import interval_name
from akb.audiobench.synth import METADATA_FILE, SUITE_FILE, SYNTH_VERSION
from akb.core.errors import ConfigError
from akb.core.jsonl import write_json_atomic

MANIFEST_FILE = "manifest.json"
SR = 16_000
NOMINAL_LUFS = -23.0

SENTENCES = (
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "It is easy to tell the depth of a well.",
    "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.",
    "Four hours of steady work faced us.",
    "A large size in stockings is hard to sell.",
    "The boy was there when the sun rose.",
    "A rod is used to catch pink salmon.",
    "The source of the huge river is the clear spring.",
    "Kick the ball straight and follow through.",
    "Help the woman get back to her feet.",
    "A pot of tea helps to pass the evening.",
    "Smoky fires lack flame and heat.",
)
NOTE = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
VOICES = {"low": ("en+m3", 20, "male"), "high": ("en+f3", 80, "female")}
RATES = {"slow": 85, "normal": 150, "fast": 340}
LOUDNESS_TARGETS = {"very quiet": -48.0, "quiet": -35.0, "moderate": -23.0, "loud": -12.0}


@dataclass
class Made:
    """One generated clip and the question about it."""

    audio: np.ndarray
    question: str
    choices: list[str]
    answer: str
    kind: str  # tone | noise | clicks | speech
    labels: list[str]
    caption: str
    attributes: dict[str, Any] = field(default_factory=dict)
    transcript: str | None = None


@dataclass(frozen=True)
class SynthTask:
    name: str
    group: str  # MMAU task: sound | music | speech
    category: str
    subcategory: str
    difficulty: str
    make: Callable[[np.random.Generator, int, int], Made]
    needs: tuple[str, ...] = ()


# --------------------------------------------------------------------------- helpers
def _rng(seed: int, task: str, i: int) -> np.random.Generator:
    h = hashlib.sha256(f"{SYNTH_VERSION}:{seed}:{task}:{i}".encode()).digest()
    return np.random.default_rng(int.from_bytes(h[:8], "big"))


def _options(answer: str, pool: list[str], n: int, rng: np.random.Generator, slot: int) -> list[str]:
    """``n`` options holding ``answer`` at position ``slot % n``; the others from ``pool``."""
    others = [p for p in pool if p != answer]
    rng.shuffle(others)
    opts = others[: n - 1]
    opts.insert(slot % n, answer)
    return opts


def _note(m: int) -> str:
    return f"{NOTE[m % 12]}{m // 12 - 1}"


def _voice_attrs(level: str, wpm: int) -> dict[str, Any]:
    voice, pitch, gender = VOICES[level]
    rate = next(k for k, v in RATES.items() if v == wpm) if wpm in RATES.values() else "normal"
    return {"gender": gender, "pitch": level, "speaking_speed": rate, "wpm": wpm, "espeak_voice": voice,
            "espeak_pitch": pitch, "emotion": "neutral"}


def _speech(rng: np.random.Generator, *, level: str | None = None, wpm: int = 150) -> tuple[np.ndarray, str, dict[str, Any]]:
    level = level or ("low" if rng.random() < 0.5 else "high")
    text = SENTENCES[int(rng.integers(len(SENTENCES)))]
    voice, pitch, _ = VOICES[level]
    x = syn.speak(text, voice=voice, wpm=wpm, pitch=pitch, sr=SR)
    x = np.concatenate([syn.silence(0.2), x, syn.silence(0.3)])
    return x, text, _voice_attrs(level, wpm)


def _voice_phrase(attrs: dict[str, Any]) -> str:
    return f"a {'low' if attrs['pitch'] == 'low' else 'high'}-pitched {attrs['gender']}-like synthetic voice"


# --------------------------------------------------------------------------- tasks
def make_pitch_direction(rng: np.random.Generator, i: int, n: int) -> Made:
    up = i % 2 == 0
    m1 = int(rng.integers(55, 72))
    step = int(rng.integers(2, 10))
    m2 = m1 + step if up else m1 - step
    x = np.concatenate([syn.tone(syn.midi_to_hz(m1), 0.8), syn.silence(0.3), syn.tone(syn.midi_to_hz(m2), 0.8), syn.silence(0.2)])
    answer = "The second tone is higher" if up else "The second tone is lower"
    return Made(
        audio=x, question="Is the second tone higher or lower in pitch than the first?",
        choices=["The second tone is higher", "The second tone is lower"][:: 1 if (i // 2) % 2 == 0 else -1],
        answer=answer, kind="tone", labels=["musical tone", "two notes"],
        caption=f"Two harmonic tones, {_note(m1)} then {_note(m2)}: the pitch {'rises' if up else 'falls'} by {step} semitones.",
        attributes={"notes": [_note(m1), _note(m2)], "f0_hz": [round(syn.midi_to_hz(m1), 2), round(syn.midi_to_hz(m2), 2)],
                    "semitones": m2 - m1, "volume": "moderate"},
    )


INTERVALS = [2, 3, 4, 5, 7, 9, 12]


def make_interval(rng: np.random.Generator, i: int, n: int) -> Made:
    steps = INTERVALS[i % len(INTERVALS)]
    m1 = int(rng.integers(55, 67))
    m2 = m1 + steps
    x = np.concatenate([syn.tone(syn.midi_to_hz(m1), 0.8), syn.silence(0.3), syn.tone(syn.midi_to_hz(m2), 0.8), syn.silence(0.2)])
    pool = [interval_name(s) for s in INTERVALS]
    ans = interval_name(steps)
    return Made(
        audio=x, question="What musical interval separates the two tones?",
        choices=_options(ans, pool, 4, rng, i), answer=ans, kind="tone", labels=["musical tone", "interval"],
        caption=f"Two harmonic tones {'an' if ans[0] in 'aeiou' else 'a'} {ans} apart: {_note(m1)} then {_note(m2)}.",
        attributes={"notes": [_note(m1), _note(m2)], "semitones": steps, "volume": "moderate"},
    )


TEMPI = [60, 80, 100, 120, 140, 160, 180]


def make_tempo(rng: np.random.Generator, i: int, n: int) -> Made:
    bpm = TEMPI[(i * 3) % len(TEMPI)]
    x = syn.click_track(bpm, 5.0)
    pool = [f"{t} BPM" for t in TEMPI if abs(t - bpm) >= 20 or t == bpm]
    ans = f"{bpm} BPM"
    return Made(
        audio=x, question="What is the tempo of the click track?", choices=_options(ans, pool, 4, rng, i), answer=ans,
        kind="clicks", labels=["metronome", "click track"], caption=f"A metronome clicking at {bpm} beats per minute.",
        attributes={"bpm": bpm, "volume": "moderate"},
    )


def make_loudness(rng: np.random.Generator, i: int, n: int) -> Made:
    words = list(LOUDNESS_TARGETS)
    word = words[i % len(words)]
    target = LOUDNESS_TARGETS[word] + float(rng.uniform(-2, 2))
    assert next(w for b, w in LOUDNESS_WORDS if target < b) == word
    # tones (not noise): a low crest factor keeps even the loud ones under full scale
    src, label = syn.tone(syn.midi_to_hz(int(rng.integers(57, 70))), 2.0), "steady tone"
    x = syn.normalise_lufs(src, target)
    return Made(
        audio=x, question="How loud is this recording?", choices=_options(word, words, 4, rng, i), answer=word,
        kind="tone", labels=[label],
        caption=f"A {word} {label} at {target:.0f} LUFS.", attributes={"loudness_lufs": round(target, 1), "volume": word},
    )


def make_clipping(rng: np.random.Generator, i: int, n: int) -> Made:
    clipped = i % 2 == 0
    src = syn.tone(syn.midi_to_hz(int(rng.integers(50, 70))), 2.0, harmonics=(1.0, 0.3))
    x = syn.hard_clip(src / np.abs(src).max(), float(rng.uniform(3, 6))) if clipped else src / np.abs(src).max() * 0.5
    ans = "Yes, it is clipped" if clipped else "No, it is clean"
    return Made(
        audio=x.astype(np.float32), question="Is the audio distorted by clipping?",
        choices=["Yes, it is clipped", "No, it is clean"][:: 1 if (i // 2) % 2 == 0 else -1], answer=ans, kind="tone",
        labels=["steady tone", "clipping distortion" if clipped else "clean"],
        caption="A harshly clipped, distorted tone." if clipped else "A clean tone with headroom.",
        attributes={"clipped": clipped, "volume": "loud" if clipped else "moderate"},
    )


def make_noise_colour(rng: np.random.Generator, i: int, n: int) -> Made:
    colours = ["white", "pink", "brown"]
    c = colours[i % 3]
    x = syn.normalise_lufs(syn.coloured_noise(c, 2.5, rng), NOMINAL_LUFS)
    ans = f"{c} noise"
    return Made(
        audio=x, question="What colour of noise is this?", choices=_options(ans, [f"{k} noise" for k in colours], 3, rng, i),
        answer=ans, kind="noise", labels=[f"{c} noise"], caption=f"Steady {c} noise.",
        attributes={"noise_colour": c, "volume": "moderate"},
    )


def make_reverb(rng: np.random.Generator, i: int, n: int) -> Made:
    wet = i % 2 == 0
    x, text, attrs = _speech(rng)
    x = np.concatenate([x, syn.silence(1.0)])
    if wet:
        x = syn.sox_effect(x, ["reverb", str(int(rng.integers(60, 95))), "50", str(int(rng.integers(80, 101)))])
    x = syn.normalise_lufs(x, NOMINAL_LUFS)
    ans = "Reverberant, like a large hall" if wet else "Dry, with little reverberation"
    return Made(
        audio=x, question="Was this recorded in a dry space or a reverberant one?",
        choices=["Dry, with little reverberation", "Reverberant, like a large hall"][:: 1 if (i // 2) % 2 == 0 else -1],
        answer=ans, kind="speech", labels=["speech", "reverberation" if wet else "dry"], transcript=text,
        caption=f"{_voice_phrase(attrs).capitalize()} in a {'reverberant hall' if wet else 'dry room'} says: \"{text}\"",
        attributes={**attrs, "reverb": wet, "volume": "moderate"},
    )


EFFECTS = {
    "Telephone band-pass filtering": ["sinc", "300-3400"],
    "Low-pass filtering (muffled)": ["sinc", "-900"],
    "No filtering (full band)": [],
}


def make_effect(rng: np.random.Generator, i: int, n: int) -> Made:
    names = list(EFFECTS)
    ans = names[i % len(names)]
    x, text, attrs = _speech(rng)
    if EFFECTS[ans]:
        x = syn.sox_effect(x, EFFECTS[ans])
    x = syn.normalise_lufs(x, NOMINAL_LUFS)
    short = {names[0]: "telephone-band", names[1]: "low-pass filtered", names[2]: "unfiltered"}[ans]
    return Made(
        audio=x, question="What processing was applied to the voice?", choices=_options(ans, names, 3, rng, i), answer=ans,
        kind="speech", labels=["speech", short], transcript=text,
        caption=f"{_voice_phrase(attrs).capitalize()}, {short}, says: \"{text}\"",
        attributes={**attrs, "effect": short, "volume": "moderate"},
    )


def make_speech_content(rng: np.random.Generator, i: int, n: int) -> Made:
    x, text, attrs = _speech(rng)
    x = syn.normalise_lufs(x, NOMINAL_LUFS)
    return Made(
        audio=x, question="What does the speaker say?", choices=_options(text, list(SENTENCES), 4, rng, i), answer=text,
        kind="speech", labels=["speech"], transcript=text, caption=f"{_voice_phrase(attrs).capitalize()} says: \"{text}\"",
        attributes={**attrs, "volume": "moderate"},
    )


RATE_CHOICES = {"slow": "Slowly", "normal": "At a normal pace", "fast": "Quickly"}


def make_speech_rate(rng: np.random.Generator, i: int, n: int) -> Made:
    rate = list(RATES)[i % 3]
    x, text, attrs = _speech(rng, wpm=RATES[rate])
    x = syn.normalise_lufs(x, NOMINAL_LUFS)
    ans = RATE_CHOICES[rate]
    return Made(
        audio=x, question="How fast does the speaker talk?", choices=_options(ans, list(RATE_CHOICES.values()), 3, rng, i),
        answer=ans, kind="speech", labels=["speech"], transcript=text,
        caption=f"{_voice_phrase(attrs).capitalize()} says {ans.lower()}: \"{text}\"",
        attributes={**attrs, "volume": "moderate"},
    )


def make_voice_pitch(rng: np.random.Generator, i: int, n: int) -> Made:
    level = "low" if i % 2 == 0 else "high"
    x, text, attrs = _speech(rng, level=level)
    x = syn.normalise_lufs(x, NOMINAL_LUFS)
    ans = "Low-pitched" if level == "low" else "High-pitched"
    return Made(
        audio=x, question="Is the speaker's voice low-pitched or high-pitched?",
        choices=["Low-pitched", "High-pitched"][:: 1 if (i // 2) % 2 == 0 else -1], answer=ans, kind="speech",
        labels=["speech", f"{attrs['gender']}-like voice"], transcript=text,
        caption=f"{_voice_phrase(attrs).capitalize()} says: \"{text}\"", attributes={**attrs, "volume": "moderate"},
    )


TASKS: dict[str, SynthTask] = {t.name: t for t in (
    SynthTask("pitch-direction", "music", "pitch", "pitch direction", "easy", make_pitch_direction),
    SynthTask("interval", "music", "pitch", "interval", "hard", make_interval),
    SynthTask("tempo", "music", "rhythm", "tempo", "medium", make_tempo),
    SynthTask("loudness", "sound", "level", "loudness", "easy", make_loudness),
    SynthTask("clipping", "sound", "quality", "clipping", "easy", make_clipping),
    SynthTask("noise-colour", "sound", "noise", "noise colour", "medium", make_noise_colour),
    SynthTask("reverb", "sound", "space", "reverberation", "medium", make_reverb, ("espeak-ng", "sox")),
    SynthTask("effect", "speech", "processing", "filtering", "hard", make_effect, ("espeak-ng", "sox")),
    SynthTask("speech-content", "speech", "content", "what is said", "easy", make_speech_content, ("espeak-ng",)),
    SynthTask("speech-rate", "speech", "paralinguistic", "speaking rate", "medium", make_speech_rate, ("espeak-ng",)),
    SynthTask("voice-pitch", "speech", "paralinguistic", "voice pitch", "easy", make_voice_pitch, ("espeak-ng",)),
)}


# --------------------------------------------------------------------------- building
def _tool_versions() -> dict[str, str | None]:
    import subprocess

    out: dict[str, str | None] = {"python": platform.python_version()}
    for tool, flag in (("espeak-ng", "--version"), ("sox", "--version")):
        if syn.have(tool):
            r = subprocess.run([tool, flag], capture_output=True, text=True)
            out[tool] = (r.stdout or r.stderr).strip().splitlines()[0][:80] if (r.stdout or r.stderr) else "?"
        else:
            out[tool] = None
    return out


def suite_params(per_task: int, seed: int, tasks: list[str] | None) -> dict[str, Any]:
    return {"version": SYNTH_VERSION, "per_task": per_task, "seed": seed, "tasks": sorted(tasks or TASKS)}


def make_suite(out_dir: str | Path, *, per_task: int = 6, seed: int = 0, tasks: list[str] | None = None,
               force: bool = False, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Build the suite in ``out_dir`` (or reuse it when it was built with the same settings);
    returns the manifest."""
    import soundfile as sf

    if per_task < 1:
        raise ConfigError("per_task must be at least 1")
    unknown = sorted(set(tasks or []) - set(TASKS))
    if unknown:
        raise ConfigError(f"unknown synthetic task(s) {', '.join(unknown)}; known: {', '.join(TASKS)}")
    out = Path(out_dir)
    params = suite_params(per_task, seed, tasks)
    manifest_path = out / MANIFEST_FILE
    if not force and manifest_path.exists() and (out / SUITE_FILE).exists():
        old = json.loads(manifest_path.read_text(encoding="utf-8"))
        if old.get("params") == params and old.get("tools_present") == {t: syn.have(t) for t in ("espeak-ng", "sox")}:
            return dict(old)
    (out / "audio").mkdir(parents=True, exist_ok=True)
    chosen = [TASKS[t] for t in (tasks or list(TASKS))]
    skipped = {t.name: f"needs {', '.join(x for x in t.needs if not syn.have(x))}" for t in chosen
               if any(not syn.have(x) for x in t.needs)}
    runnable = [t for t in chosen if t.name not in skipped]
    items: list[dict[str, Any]] = []
    meta: list[dict[str, Any]] = []
    total, done = len(runnable) * per_task, 0
    for task in runnable:
        for i in range(per_task):
            made = task.make(_rng(seed, task.name, i), i, per_task)
            peak = float(np.abs(made.audio).max())
            audio = made.audio if peak <= 1.0 else made.audio / peak
            rel = f"audio/{task.name}-{i:03d}.wav"
            sf.write(out / rel, audio, SR, subtype="PCM_16")
            item_id = f"synth-{task.name}-{i:03d}"
            assert made.answer in made.choices, (task.name, made.answer, made.choices)
            items.append({
                "id": item_id, "audio_id": f"./{rel}", "question": made.question, "choices": made.choices,
                "answer": made.answer, "dataset": "akb-synth", "task": task.group, "split": "synth",
                "category": task.category, "sub-category": task.subcategory, "difficulty": task.difficulty,
            })
            meta.append({
                "id": item_id, "audio": rel, "duration_s": round(len(audio) / SR, 3), "sample_rate": SR,
                "kind": made.kind, "task": task.name, "transcript": made.transcript, "labels": made.labels,
                "attributes": made.attributes, "caption": made.caption, "item_ids": [item_id],
            })
            done += 1
            if progress:
                progress(done, total)
    write_json_atomic(out / SUITE_FILE, items)
    write_json_atomic(out / METADATA_FILE, "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in meta))
    manifest = {
        "params": params, "items": len(items), "clips": len(meta),
        "tasks": {t.name: {"group": t.group, "category": t.category, "subcategory": t.subcategory, "items": per_task}
                  for t in runnable},
        "skipped": skipped, "tools": _tool_versions(), "tools_present": {t: syn.have(t) for t in ("espeak-ng", "sox")},
        "seconds_of_audio": round(sum(m["duration_s"] for m in meta), 1),
    }
    write_json_atomic(manifest_path, manifest)
    return manifest


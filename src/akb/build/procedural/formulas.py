"""Technical and audio-quality items from formulas: every key is arithmetic.

Every distractor is the right answer to a sibling question, recorded in ``meta.siblings``:
the same question with one quantity misread (stereo for mono, 24 for 16 bits, the
neighbouring sample rate) or a closely related quantity (the coherent sum, the second mode,
the notch spacing). Each generator offers a pool of such candidates and the key's rank among
the four sorted values is drawn uniformly (:func:`akb.build.procedural.base.numeric_choices`).
"""

from __future__ import annotations

import math
import random
from typing import Any

from akb.build.procedural.base import (
    Candidate,
    Draft,
    Generator,
    numeric_choices,
    register,
    sibling_from_pool,
)

C_AIR = 343.0  # m/s, dry air at 20 °C (stated in every question that uses it)


def fmt(x: float, unit: str = "", digits: int = 3) -> str:
    """A number with ``digits`` significant figures, trailing zeros dropped."""
    if x == 0:
        s = "0"
    else:
        mag = math.floor(math.log10(abs(x)))
        dec = max(0, digits - 1 - mag)
        s = f"{x:.{dec}f}"
        if "." in s:
            s = s.rstrip("0").rstrip(".")
    if abs(x) >= 1000 and "." not in s:
        s = f"{int(round(x)):,}"
    return f"{s} {unit}".strip()


def hz(x: float) -> str:
    """Exact enough that no question and option disagree in the last digit (11.025 kHz)."""
    return fmt(x / 1000, "kHz", 6) if x >= 1000 else fmt(x, "Hz", 5)


def _draft(gid: str, cat: str, sub: str, q: str, answer: str, distractors: list[str], why: str, params: dict[str, Any], diff: str = "medium") -> Draft | None:
    opts = [answer, *distractors]
    if len({o for o in opts}) != 4:
        return None
    return Draft(category=cat, subcategory=sub, question=q, choices=opts, rationale=why, generator=gid,
                 params=params, source="standard formula (see rationale)", difficulty=diff)


def _numeric(rng: random.Random, gid: str, cat: str, sub: str, q: str, key: str, pool: list[Candidate], why: str,
             params: dict[str, Any], diff: str = "medium") -> Draft | None:
    picked = numeric_choices(rng, key, pool)
    if picked is None:
        return None
    choices, siblings = picked
    d = _draft(gid, cat, sub, q, key, choices[1:], why, params, diff)
    if d is not None:
        d.meta["siblings"] = siblings
    return d


def _near(values: list[Any], x: Any) -> list[Any]:
    """``values`` other than ``x``, nearest first and alternating below / above ``x``, so
    that any slice offers confusions on both sides (the key's rank stays free)."""
    def dist(v: Any) -> float:
        try:
            return abs(math.log(float(v) / float(x)))
        except (ValueError, ZeroDivisionError):
            return abs(float(v) - float(x))
    below = sorted((v for v in values if v < x), key=dist)
    above = sorted((v for v in values if v > x), key=dist)
    out: list[Any] = []
    for i in range(max(len(below), len(above))):
        out += below[i:i + 1] + above[i:i + 1]
    return out


# ---------------------------------------------------------------- sampling and quantisation
RATES = [8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 192000]


def nyquist(p: dict[str, Any]) -> str:
    return hz(p["fs"] / 2)


def _nyquist_q(p: dict[str, Any]) -> str:
    return f"Audio is sampled at {hz(p['fs'])}. What is the highest frequency it can represent without aliasing (the Nyquist frequency)?"


def _nyquist_pool(p: dict[str, Any]) -> list[Candidate]:
    fs = p["fs"]
    out: list[Candidate] = [(hz(fs), f"What sample rate has a Nyquist frequency of {hz(fs / 2)}?")]
    out += [(nyquist({"fs": r}), _nyquist_q({"fs": r})) for r in _near(RATES, fs)[:6]]
    out.append((hz(fs / 4), f"What is the Nyquist frequency of audio sampled at {hz(fs / 2)}?"))
    return out


def _nyquist_make(rng: random.Random) -> Draft | None:
    fs = rng.choice(RATES)
    p = {"fs": fs}
    return _numeric(rng, "technical.nyquist", "technical", "sampling_quantisation", _nyquist_q(p), nyquist(p), _nyquist_pool(p),
                    f"The Nyquist frequency is half the sample rate: {hz(fs)} / 2 = {nyquist(p)}.", p, "easy")


def alias(p: dict[str, Any]) -> str:
    fs, f = p["fs"], p["f"]
    r = f % fs
    return hz(min(r, fs - r))


def _alias_q(p: dict[str, Any]) -> str:
    return f"A pure {hz(p['f'])} tone is sampled at {hz(p['fs'])} with no anti-aliasing filter. At what frequency does it appear in the sampled signal?"


def _alias_pool(p: dict[str, Any]) -> list[Candidate]:
    fs, f = p["fs"], p["f"]
    out: list[Candidate] = []
    high = [r for r in RATES if r > 2 * f]
    if high:
        out.append((hz(f), _alias_q({"fs": high[0], "f": f})))
    out.append((hz(fs / 2), f"What is the Nyquist frequency of audio sampled at {hz(fs)}?"))
    out.append((hz(f - fs / 2), f"By how much does a {hz(f)} tone exceed the Nyquist frequency of audio sampled at {hz(fs)}?"))
    for f2 in (f + 0.05 * fs, f - 0.05 * fs, f + 0.1 * fs, f - 0.1 * fs):
        f2 = round(f2 / 100) * 100
        if fs / 2 < f2 < fs:
            out.append((alias({"fs": fs, "f": f2}), _alias_q({"fs": fs, "f": f2})))
    for r in _near(RATES, fs):
        if r / 2 < f < r:
            out.append((alias({"fs": r, "f": f}), _alias_q({"fs": r, "f": f})))
    out.append((hz(fs + f), f"A {hz(f)} tone is sampled at {hz(fs)}. At what frequency lies its first spectral image above the sample rate?"))
    return out


def _alias_make(rng: random.Random) -> Draft | None:
    fs = rng.choice([8000, 16000, 22050, 32000, 44100, 48000])
    f = round(rng.uniform(0.55, 0.95) * fs / 100) * 100
    p = {"fs": fs, "f": f}
    return _numeric(rng, "technical.alias", "technical", "sampling_quantisation", _alias_q(p), alias(p), _alias_pool(p),
                    f"Above Nyquist ({hz(fs / 2)}) a tone folds back to fs - f = {hz(fs)} - {hz(f)} = {alias(p)}.", p, "medium")


def snr_bits(p: dict[str, Any]) -> str:
    return f"{6.02 * p['bits'] + 1.76:.1f} dB"


def _snr_bits_q(p: dict[str, Any]) -> str:
    return f"What is the theoretical signal-to-quantisation-noise ratio of an ideal {p['bits']}-bit quantiser for a full-scale sine wave?"


def _snr_bits_pool(p: dict[str, Any]) -> list[Candidate]:
    n = p["bits"]
    out: list[Candidate] = [(f"{6.02 * n:.1f} dB", f"What is 20 log10(2^{n}), the ratio of full scale to one step of an ideal {n}-bit quantiser?")]
    out += [(snr_bits({"bits": b}), _snr_bits_q({"bits": b})) for b in (n - 1, n + 1, n - 2, n + 2, n - 4, n + 4) if b >= 4]
    return out


def _snr_bits_make(rng: random.Random) -> Draft | None:
    bits = rng.choice([8, 10, 12, 14, 16, 20, 24])
    p = {"bits": bits}
    return _numeric(rng, "technical.snr_bits", "technical", "sampling_quantisation", _snr_bits_q(p), snr_bits(p), _snr_bits_pool(p),
                    f"SQNR = 6.02 N + 1.76 dB = 6.02 x {bits} + 1.76 = {snr_bits(p)}; each bit adds about 6 dB.", p, "medium")


# ---------------------------------------------------------------- formats and bit rates
CHANNEL_NAMES = {1: "mono", 2: "stereo", 6: "6-channel (5.1)"}


def pcm_mb(p: dict[str, Any]) -> float:
    return p["seconds"] * p["fs"] * p["bits"] * p["channels"] / 8 / 1e6


def pcm_size(p: dict[str, Any]) -> str:
    return fmt(pcm_mb(p), "MB")


def _pcm_size_q(p: dict[str, Any]) -> str:
    secs = p["seconds"]
    mins = f"{secs // 60} minute{'s' if secs >= 120 else ''}" if secs % 60 == 0 else f"{secs} seconds"
    return (f"How large is {mins} of uncompressed {CHANNEL_NAMES[p['channels']]} PCM audio at {hz(p['fs'])} and "
            f"{p['bits']} bits per sample (1 MB = 1,000,000 bytes, header ignored)?")


def _pcm_size_pool(p: dict[str, Any]) -> list[Candidate]:
    out: list[Candidate] = []
    variants = ([{"channels": c} for c in _near([1, 2, 6], p["channels"])] + [{"bits": b} for b in _near([16, 24], p["bits"])]
                + [{"fs": f} for f in _near([16000, 44100, 48000, 96000], p["fs"])[:6]]
                + [{"seconds": t} for t in _near([10, 30, 60, 90, 180, 300, 600], p["seconds"])[:6]])
    for v in variants:
        q = {**p, **v}
        out.append((pcm_size(q), _pcm_size_q(q)))
    return out


def _pcm_size_make(rng: random.Random) -> Draft | None:
    fs = rng.choice([16000, 44100, 48000, 96000])
    bits = rng.choice([16, 24])
    ch = rng.choice([1, 2, 2, 6])
    secs = rng.choice([10, 30, 60, 90, 180, 300, 600])
    p = {"fs": fs, "bits": bits, "channels": ch, "seconds": secs}
    return _numeric(rng, "technical.pcm_size", "technical", "formats_codecs", _pcm_size_q(p), pcm_size(p), _pcm_size_pool(p),
                    f"{secs} s x {fs} samples/s x {bits} bits x {ch} channel{'s' if ch > 1 else ''} / 8 = {pcm_size(p)}.", p, "medium")


def pcm_rate(p: dict[str, Any]) -> str:
    return fmt(p["fs"] * p["bits"] * p["channels"] / 1000, "kbit/s", 5)


def _pcm_rate_q(p: dict[str, Any]) -> str:
    chs = "mono" if p["channels"] == 1 else "stereo"
    return f"What is the bit rate of uncompressed {chs} PCM audio at {hz(p['fs'])} with {p['bits']}-bit samples?"


def _pcm_rate_pool(p: dict[str, Any]) -> list[Candidate]:
    variants = ([{"channels": 3 - p["channels"]}] + [{"bits": b} for b in _near([8, 16, 24], p["bits"])]
                + [{"fs": f} for f in _near([8000, 16000, 44100, 48000, 96000], p["fs"])[:6]])
    return [(pcm_rate({**p, **v}), _pcm_rate_q({**p, **v})) for v in variants]


def _pcm_rate_make(rng: random.Random) -> Draft | None:
    fs = rng.choice([8000, 16000, 44100, 48000, 96000])
    bits = rng.choice([8, 16, 24])
    ch = rng.choice([1, 2])
    p = {"fs": fs, "bits": bits, "channels": ch}
    return _numeric(rng, "technical.pcm_rate", "technical", "formats_codecs", _pcm_rate_q(p), pcm_rate(p), _pcm_rate_pool(p),
                    f"{fs} x {bits} x {ch} = {pcm_rate(p)}.", p, "easy")


# ---------------------------------------------------------------- signal processing
def bin_spacing(p: dict[str, Any]) -> str:
    return fmt(p["fs"] / p["n"], "Hz", 5)


def _bin_q(p: dict[str, Any]) -> str:
    return f"A {p['n']}-point FFT is taken of audio sampled at {hz(p['fs'])}. What is the frequency spacing between adjacent bins?"


def _bin_pool(p: dict[str, Any]) -> list[Candidate]:
    variants = ([{"n": n} for n in _near([256, 512, 1024, 2048, 4096], p["n"])[:6]]
                + [{"fs": f} for f in _near([8000, 16000, 22050, 44100, 48000], p["fs"])[:6]])
    out = [(bin_spacing({**p, **v}), _bin_q({**p, **v})) for v in variants]
    out.append((fmt(p["fs"] / 2 / p["n"], "Hz", 5), f"A {p['n']}-point FFT is taken of audio sampled at {hz(p['fs'] / 2)}. What is the frequency spacing between adjacent bins?"))
    return out


def _bin_make(rng: random.Random) -> Draft | None:
    fs = rng.choice([8000, 16000, 22050, 44100, 48000])
    n = rng.choice([256, 512, 1024, 2048, 4096])
    p = {"fs": fs, "n": n}
    return _numeric(rng, "technical.fft_bin", "technical", "signal_processing", _bin_q(p), bin_spacing(p), _bin_pool(p),
                    f"Bin spacing = fs / N = {fs} / {n} = {bin_spacing(p)}.", p, "medium")


def n_frames(p: dict[str, Any]) -> str:
    n = 1 + (p["samples"] - p["win"]) // p["hop"]
    return f"{n} frames"


def _frames_pool(p: dict[str, Any]) -> list[Candidate]:
    s, w, h = p["samples"], p["win"], p["hop"]
    out: list[Candidate] = [
        (f"{1 + s // h} frames", f"How many frames does a centred STFT (half a window of padding at each end, as librosa's center=True) "
                                 f"give for {s} samples with a {h}-sample hop?"),
        (f"{s // h} frames", f"How many whole {h}-sample hops fit into {s} samples?"),
        (f"{s // w} frames", f"How many non-overlapping {w}-sample frames fit into {s} samples?"),
    ]
    for w2 in (2 * w, w // 2, w + h):
        if 0 < w2 <= s and w2 != w:
            out.append((n_frames({**p, "win": w2}), f"How many complete {w2}-sample frames with a {h}-sample hop, no padding, fit into {s} samples?"))
    for h2 in (2 * h, h // 2):
        if h2 > 0:
            out.append((n_frames({**p, "hop": h2}), f"How many complete {w}-sample frames with a {h2}-sample hop, no padding, fit into {s} samples?"))
    return out


def _frames_make(rng: random.Random) -> Draft | None:
    fs = rng.choice([16000, 16000, 22050, 44100])
    secs = rng.choice([1, 2, 5, 10])
    win_ms, hop_ms = rng.choice([(25, 10), (20, 10), (32, 16), (40, 20), (50, 12.5)])
    win, hop = int(fs * win_ms / 1000), int(fs * hop_ms / 1000)
    if fs * win_ms % 1000 or fs * hop_ms % 1000:
        return None
    samples = fs * secs
    p = {"samples": samples, "win": win, "hop": hop}
    right = 1 + (samples - win) // hop
    return _numeric(rng, "technical.frames", "technical", "signal_processing",
                    f"A {secs}-second clip at {hz(fs)} is cut into {win_ms} ms frames with a {hop_ms} ms hop, with no padding and only complete frames kept. How many frames result?",
                    n_frames(p), _frames_pool(p),
                    f"{samples} samples, window {win}, hop {hop}: 1 + floor(({samples} - {win}) / {hop}) = {right}.", p, "hard")


# ---------------------------------------------------------------- acoustics and psychoacoustics
def db_sum(p: dict[str, Any]) -> str:
    total = 10 * math.log10(sum(10 ** (x / 10) for x in p["levels"]))
    return f"{total:.0f} dB SPL"


def _db_sum_q(k: int, base: float) -> str:
    return f"{k} uncorrelated noise sources each produce {base} dB SPL at a listening position. What is their combined level there?"


def _db_sum_pool(p: dict[str, Any]) -> list[Candidate]:
    levels = p["levels"]
    k, base = len(levels), levels[0]
    out: list[Candidate] = [(f"{base + 20 * math.log10(k):.0f} dB SPL",
                             f"{k} identical in-phase (coherent) sources each produce {base} dB SPL at a listening position. What is their combined level there?")]
    out += [(db_sum({"levels": [base] * k2}), _db_sum_q(k2, base)) for k2 in _near([2, 3, 4, 5, 8, 10, 16, 20, 32], k)[:8]]
    out.append((f"{base:.0f} dB SPL", f"{k} equal uncorrelated noise sources together produce {db_sum(p)} at a listening position. What level does each produce there on its own?"))
    return out


def _db_sum_make(rng: random.Random) -> Draft | None:
    base = rng.choice([50, 60, 70, 80, 90])
    k = rng.choice([2, 2, 4, 10])
    p = {"levels": [base] * k}
    return _numeric(rng, "technical.db_sum", "technical", "psychoacoustics", _db_sum_q(k, base), db_sum(p), _db_sum_pool(p),
                    f"Uncorrelated powers add: {base} + 10 log10({k}) = {db_sum(p)} (in-phase coherent signals would give +20 log10({k})).", p, "medium")


def amp_db(p: dict[str, Any]) -> str:
    return f"{20 * math.log10(p['ratio']):+.1f} dB"


def _amp_db_q(ratio: float) -> str:
    return f"If a signal's amplitude (sound pressure or voltage) is multiplied by {ratio:g}, how much does its level change in decibels?"


def _amp_db_pool(p: dict[str, Any]) -> list[Candidate]:
    r = p["ratio"]
    out: list[Candidate] = [(f"{10 * math.log10(r):+.1f} dB", f"If a signal's power is multiplied by {r:g}, how much does its level change in decibels?")]
    out += [(amp_db({"ratio": r2}), _amp_db_q(r2)) for r2 in _near([0.01, 0.1, 0.25, 0.5, 2, 3, 4, 5, 8, 10, 100, 1000, 10000], r)[:8]]
    return out


def _amp_db_make(rng: random.Random) -> Draft | None:
    ratio = rng.choice([2, 4, 10, 0.5, 0.1, 100, 1000, 0.25])
    p = {"ratio": ratio}
    return _numeric(rng, "technical.amp_db", "technical", "psychoacoustics", _amp_db_q(ratio), amp_db(p), _amp_db_pool(p),
                    f"For amplitude quantities, change = 20 log10({ratio:g}) = {amp_db(p)}; 10 log10 applies to power ratios.", p, "easy")


FREQS = [20, 50, 100, 171.5, 250, 440, 1000, 2000, 3430, 8000, 10000, 20000]


def wavelength(p: dict[str, Any]) -> str:
    return fmt(C_AIR / p["f"], "m")


def _wavelength_q(f: float) -> str:
    return f"What is the wavelength in air of a {hz(f)} tone, taking the speed of sound as 343 m/s?"


def _wavelength_pool(p: dict[str, Any]) -> list[Candidate]:
    f = p["f"]
    out: list[Candidate] = [(fmt(1480 / f, "m"), f"What is the wavelength in water of a {hz(f)} tone, taking the speed of sound in water as 1480 m/s?"),
                            (fmt(331 / f, "m"), f"What is the wavelength in air at 0 °C of a {hz(f)} tone, taking the speed of sound as 331 m/s?")]
    out += [(wavelength({"f": f2}), _wavelength_q(f2)) for f2 in _near(FREQS, f)[:6]]
    return out


def _wavelength_make(rng: random.Random) -> Draft | None:
    f = rng.choice(FREQS)
    p = {"f": f}
    return _numeric(rng, "technical.wavelength", "technical", "psychoacoustics", _wavelength_q(f), wavelength(p), _wavelength_pool(p),
                    f"Wavelength = c / f = 343 / {f:g} = {wavelength(p)}.", p, "easy")


# ---------------------------------------------------------------- audio quality
NOISE_SLOPES = {"white": 0, "pink": -3, "brown (red)": -6, "blue": 3, "violet": 6}


def _slope(colour: str, unit: str) -> int:
    per_octave = NOISE_SLOPES[colour]
    return per_octave if unit == "octave" else round(per_octave * 10 / 3)


def _slope_text(v: int, unit: str) -> str:
    return f"{v:+d} dB per {unit}".replace("+0", "0")


def noise_slope(p: dict[str, Any]) -> str:
    if p["ask"] == "colour":
        return p["colour"].split(" ")[0].capitalize() + " noise"
    return _slope_text(_slope(p["colour"], p.get("unit", "octave")), p.get("unit", "octave"))


def _noise_q(colour: str, ask: str, unit: str) -> str:
    if ask == "slope":
        return f"By how much does the power spectral density of {colour} noise change per {unit} of frequency?"
    slope = _slope(colour, unit)
    return (f"Which noise has a power spectral density that changes by {slope:+d} dB per {unit}?" if slope
            else f"Which noise has a flat power spectral density (0 dB per {unit})?")


def _noise_pool(p: dict[str, Any]) -> list[Candidate]:
    unit = p.get("unit", "octave")
    return [(noise_slope({**p, "colour": c}), _noise_q(c, p["ask"], unit)) for c in sorted(NOISE_SLOPES) if c != p["colour"]]


def _noise_make(rng: random.Random) -> Draft | None:
    colour = rng.choice(sorted(NOISE_SLOPES))
    ask = rng.choice(["slope", "colour"])
    unit = rng.choice(["octave", "decade"])
    p = {"colour": colour, "ask": ask, "unit": unit}
    if ask == "slope":
        picked = numeric_choices(rng, noise_slope(p), _noise_pool(p))
        if picked is None:
            return None
        wrong = picked[0][1:]
    else:
        others = [c for c in sorted(NOISE_SLOPES) if c != colour]
        rng.shuffle(others)
        wrong = [c.split(" ")[0].capitalize() + " noise" for c in others[:3]]
    return _draft("audio_quality.noise_slope", "audio_quality", "noise", _noise_q(colour, ask, unit), noise_slope(p), wrong,
                  "Power spectral density slopes per octave (per decade): white 0, pink -3 (-10), brown -6 (-20), "
                  "blue +3 (+10), violet +6 (+20) dB.", p, "medium")


ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth"}


def harmonic(p: dict[str, Any]) -> str:
    return hz(p["f"] * p["k"])


def _harmonic_q(f: float, k: int) -> str:
    return f"A {hz(f)} sine wave passes through a nonlinear stage. At what frequency does its {ORDINALS[k]} harmonic distortion product appear?"


def _harmonic_pool(p: dict[str, Any]) -> list[Candidate]:
    f, k = p["f"], p["k"]
    out = [(harmonic({"f": f, "k": k2}), _harmonic_q(f, k2)) for k2 in _near([2, 3, 4, 5, 6, 7], k)]
    out += [(harmonic({"f": f2, "k": k}), _harmonic_q(f2, k)) for f2 in _near([50, 60, 100, 440, 1000, 1500, 2000], f)[:6]]
    return out


def _harmonic_make(rng: random.Random) -> Draft | None:
    f = rng.choice([50, 60, 100, 440, 1000, 1500, 2000])
    k = rng.choice([2, 3, 5])
    p = {"f": f, "k": k}
    return _numeric(rng, "audio_quality.harmonic", "audio_quality", "distortion_clipping", _harmonic_q(f, k), harmonic(p), _harmonic_pool(p),
                    f"The n-th harmonic is at n x f: {k} x {hz(f)} = {harmonic(p)}.", p, "easy")


def comb_notch(p: dict[str, Any]) -> str:
    return hz(1000 / (2 * p["delay_ms"]))


def _comb_q(d: float) -> str:
    return f"A signal is mixed with an equal-level copy of itself delayed by {d:g} ms. At what frequency is the lowest comb-filter notch?"


def _comb_pool(p: dict[str, Any]) -> list[Candidate]:
    d = p["delay_ms"]
    out: list[Candidate] = [
        (hz(1000 / d), f"A signal is mixed with an equal-level copy of itself delayed by {d:g} ms. How far apart are adjacent comb-filter notches?"),
        (hz(3000 / (2 * d)), f"A signal is mixed with an equal-level copy of itself delayed by {d:g} ms. At what frequency is the second comb-filter notch?"),
    ]
    out += [(comb_notch({"delay_ms": d2}), _comb_q(d2)) for d2 in _near([0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 8], d)[:6]]
    return out


def _comb_make(rng: random.Random) -> Draft | None:
    d = rng.choice([0.5, 1, 2, 2.5, 4, 5])
    p = {"delay_ms": d}
    return _numeric(rng, "audio_quality.comb_notch", "audio_quality", "room_acoustics", _comb_q(d), comb_notch(p), _comb_pool(p),
                    f"Cancellation first occurs where the delay is half a period: f = 1 / (2 x {d:g} ms) = {comb_notch(p)}.", p, "hard")


def room_mode(p: dict[str, Any]) -> str:
    return fmt(C_AIR / (2 * p["length"]), "Hz")


def _mode_q(length: float) -> str:
    return f"What is the frequency of the lowest axial room mode between two parallel walls {length:g} m apart (speed of sound 343 m/s)?"


def _mode_pool(p: dict[str, Any]) -> list[Candidate]:
    L_ = p["length"]
    out: list[Candidate] = [
        (fmt(C_AIR / L_, "Hz"), f"What is the frequency of the second axial room mode between two parallel walls {L_:g} m apart (speed of sound 343 m/s)?"),
        (fmt(3 * C_AIR / (2 * L_), "Hz"), f"What is the frequency of the third axial room mode between two parallel walls {L_:g} m apart (speed of sound 343 m/s)?"),
    ]
    out += [(room_mode({"length": x}), _mode_q(x)) for x in _near([2.5, 3, 3.5, 4, 5, 6, 7, 8, 10, 12], L_)[:6]]
    out.append((fmt(C_AIR / (4 * L_), "Hz"), f"What is the lowest resonance of a {L_:g} m pipe closed at one end (speed of sound 343 m/s)?"))
    return out


def _mode_make(rng: random.Random) -> Draft | None:
    length = rng.choice([3, 3.5, 4, 5, 6, 7, 8, 10])
    p = {"length": length}
    return _numeric(rng, "audio_quality.room_mode", "audio_quality", "room_acoustics", _mode_q(length), room_mode(p), _mode_pool(p),
                    f"The first axial mode has half a wavelength between the walls: f = c / 2L = 343 / (2 x {length:g}) = {room_mode(p)}.", p, "medium")


def snr_rms(p: dict[str, Any]) -> str:
    return f"{20 * math.log10(p['signal'] / p['noise']):.0f} dB"


def _snr_q(sig: float, noise: float) -> str:
    return f"A recording's speech has an RMS amplitude of {sig:g} V and its background noise an RMS amplitude of {noise:g} V. What is the signal-to-noise ratio?"


def _snr_pool(p: dict[str, Any]) -> list[Candidate]:
    sig, noise = p["signal"], p["noise"]
    r = sig / noise
    out: list[Candidate] = [(f"{10 * math.log10(r):.0f} dB", f"A recording's speech has a power of {sig:g} W and its background noise a power of {noise:g} W. What is the signal-to-noise ratio?")]
    for r2 in _near([2, 3.16, 5, 10, 20, 31.6, 50, 100, 200, 316, 1000, 3160, 10000], r)[:8]:
        s2 = round(noise * r2, 6)
        out.append((snr_rms({"signal": s2, "noise": noise}), _snr_q(s2, noise)))
    return out


def _snr_make(rng: random.Random) -> Draft | None:
    noise = rng.choice([0.001, 0.002, 0.01, 0.05])
    ratio = rng.choice([10, 31.6, 100, 316, 1000])
    sig = round(noise * ratio, 6)
    p = {"signal": sig, "noise": noise}
    return _numeric(rng, "audio_quality.snr_rms", "audio_quality", "quality_measures", _snr_q(sig, noise), snr_rms(p), _snr_pool(p),
                    f"SNR = 20 log10({sig:g} / {noise:g}) = {snr_rms(p)} (amplitude ratio, so 20 log10).", p, "medium")


def compression_ratio(p: dict[str, Any]) -> str:
    pcm = p["fs"] * p["bits"] * 2 / 1000
    return f"About {pcm / p['kbps']:.1f} : 1"


def _compression_q(p: dict[str, Any], channels: str = "Stereo") -> str:
    return (f"{channels} audio at {hz(p['fs'])} and {p['bits']} bits is encoded at {p['kbps']} kbit/s with a lossy codec. "
            "Roughly what compression ratio is that relative to the PCM original?")


def _compression_pool(p: dict[str, Any]) -> list[Candidate]:
    out: list[Candidate] = [(f"About {p['fs'] * p['bits'] / 1000 / p['kbps']:.1f} : 1", _compression_q(p, "Mono"))]
    out += [(compression_ratio({**p, "kbps": k}), _compression_q({**p, "kbps": k})) for k in _near([64, 96, 128, 160, 192, 256, 320], p["kbps"])[:6]]
    other_bits = 24 if p["bits"] == 16 else 16
    out.append((compression_ratio({**p, "bits": other_bits}), _compression_q({**p, "bits": other_bits})))
    return out


def _compression_make(rng: random.Random) -> Draft | None:
    kbps = rng.choice([64, 96, 128, 160, 192, 256, 320])
    fs, bits = rng.choice([(44100, 16), (48000, 16), (48000, 24)])
    p = {"kbps": kbps, "fs": fs, "bits": bits}
    pcm = fs * bits * 2 / 1000
    r = pcm / kbps
    return _numeric(rng, "audio_quality.compression_ratio", "audio_quality", "codec_artifacts", _compression_q(p), compression_ratio(p),
                    _compression_pool(p), f"PCM rate = {fs} x {bits} x 2 = {pcm:g} kbit/s; {pcm:g} / {kbps} = {r:.1f}.", p, "medium")


def spectrogram_shape(p: dict[str, Any]) -> str:
    if p["ask"] == "bins":
        return f"{p['n_fft'] // 2 + 1} bins"
    return f"{p['fs'] / p['hop']:g} frames per second"


def _spec_bins_q(n: int) -> str:
    return f"A magnitude spectrogram of a real signal is computed with an FFT size of {n}. How many frequency bins does each frame have (one-sided spectrum)?"


def _spec_rate_q(fs: int, hop: int) -> str:
    return f"A spectrogram of {hz(fs)} audio uses a hop size of {hop} samples. How many frames does it produce per second of audio?"


def _spectrogram_pool(p: dict[str, Any]) -> list[Candidate]:
    if p["ask"] == "bins":
        n = p["n_fft"]
        out: list[Candidate] = [
            (f"{n // 2} bins", f"A real signal's {n}-point FFT: how many one-sided bins lie below the Nyquist frequency, 0 Hz included?"),
            (f"{n} bins", f"How many bins does the full (two-sided) {n}-point DFT have?"),
        ]
        out += [(spectrogram_shape({"ask": "bins", "n_fft": n2}), _spec_bins_q(n2)) for n2 in _near([128, 256, 400, 512, 1024, 2048, 4096, 8192], n)[:6]]
        return out
    fs, hop = p["fs"], p["hop"]
    out = [(spectrogram_shape({"ask": "rate", "fs": fs, "hop": h}), _spec_rate_q(fs, h))
           for h in _near([80, 160, 240, 256, 320, 441, 480, 512, 1024], hop) if fs % h == 0][:4]
    out += [(spectrogram_shape({"ask": "rate", "fs": f2, "hop": hop}), _spec_rate_q(f2, hop))
            for f2 in _near([16000, 22050, 24000, 44100, 48000], fs) if f2 % hop == 0][:3]
    return out


def _spectrogram_make(rng: random.Random) -> Draft | None:
    ask = rng.choice(["bins", "rate"])
    if ask == "bins":
        n = rng.choice([256, 400, 512, 1024, 2048, 4096])
        p: dict[str, Any] = {"ask": ask, "n_fft": n}
        q = _spec_bins_q(n)
        why = f"A real signal's {n}-point DFT has {n // 2 + 1} distinct bins from 0 Hz to Nyquist inclusive (N/2 + 1)."
    else:
        fs = rng.choice([16000, 22050, 24000, 44100, 48000])
        hop = rng.choice([h for h in (80, 160, 240, 256, 320, 441, 480, 512) if fs % h == 0])
        p = {"ask": ask, "fs": fs, "hop": hop}
        q = _spec_rate_q(fs, hop)
        why = f"Frames per second = sample rate / hop = {fs} / {hop} = {fs / hop:g}; the window length does not change the frame rate."
    return _numeric(rng, "technical.spectrogram_shape", "technical", "features_representations", q, spectrogram_shape(p),
                    _spectrogram_pool(p), why, p, "medium")


def compressor_out(p: dict[str, Any]) -> str:
    t, r, x = p["threshold"], p["ratio"], p["input"]
    y = x if x <= t else t + (x - t) / r
    return fmt(y, "dBFS")


def _compressor_q(t: float, r: float, x: float) -> str:
    return (f"A hard-knee compressor has a threshold of {t} dBFS and a ratio of {r}:1, with no make-up gain. A steady tone enters at {x} dBFS. "
            "What is the output level once the compressor has settled?")


def _compressor_pool(p: dict[str, Any]) -> list[Candidate]:
    t, r, x = p["threshold"], p["ratio"], p["input"]
    out: list[Candidate] = [(compressor_out({**p, "ratio": r2}), _compressor_q(t, r2, x)) for r2 in _near([2, 3, 4, 5, 8, 10, 20], r)[:6]]
    out.append((fmt(t, "dBFS"), f"A brick-wall limiter (infinite ratio) has a threshold of {t} dBFS, with no make-up gain. A steady tone enters at {x} dBFS. What is the output level once it has settled?"))
    out += [(compressor_out({**p, "threshold": t2}), _compressor_q(t2, r, x)) for t2 in _near([-36, -30, -24, -20, -18, -12, -6], t)[:6] if t2 < x]
    out.append((fmt(x, "dBFS"), f"A compressor set to a ratio of 1:1 (threshold {t} dBFS, no make-up gain) receives a steady tone at {x} dBFS. What is the output level?"))
    return out


def _compressor_make(rng: random.Random) -> Draft | None:
    t = rng.choice([-30, -24, -20, -18, -12])
    r = rng.choice([2, 3, 4, 5, 8, 10])
    over = rng.choice([4, 6, 8, 9, 10, 12, 15, 16, 20])
    x = t + over
    if over % r:
        return None
    p = {"threshold": t, "ratio": r, "input": x}
    y = t + over / r
    return _numeric(rng, "technical.compressor_out", "technical", "production_hardware", _compressor_q(t, r, x), compressor_out(p),
                    _compressor_pool(p), f"Above threshold the excess is divided by the ratio: {t} + ({x} - ({t})) / {r} = {y:g} dBFS.", p, "medium")


def _gen(gid: str, cat: str, sub: str, source: str, make: Any, recompute: Any, pool: Any, **kw: Any) -> Generator:
    return Generator(gid, cat, sub, source, make, recompute, siblings=sibling_from_pool(pool), pool=pool, **kw)


# v0.4: the trivia census found these forms hand the reader every number the arithmetic needs; their
# items are rebuilt by generators that name the format, toolkit or stage instead (standards.py).
GIVEN_WHY = "rebuilt: the question gave every number the arithmetic needs (trivia census); now {}"


def _given(now: str, only: Any = None) -> dict[str, Any]:
    return {"outdated": lambda p: GIVEN_WHY.format(now) if only is None or only(p) else None}


for _g in [
    _gen("technical.nyquist", "technical", "sampling_quantisation", "Nyquist-Shannon sampling theorem", _nyquist_make, nyquist, _nyquist_pool),
    _gen("technical.alias", "technical", "sampling_quantisation", "frequency folding about fs/2", _alias_make, alias, _alias_pool),
    _gen("technical.snr_bits", "technical", "sampling_quantisation", "SQNR = 6.02N + 1.76 dB", _snr_bits_make, snr_bits, _snr_bits_pool),
    _gen("technical.pcm_size", "technical", "formats_codecs", "PCM size = duration x rate x bits x channels / 8", _pcm_size_make, pcm_size, _pcm_size_pool,
         rebuild_with="technical.format_size", **_given("the format is named, not its parameters")),
    _gen("technical.pcm_rate", "technical", "formats_codecs", "PCM bit rate = rate x bits x channels", _pcm_rate_make, pcm_rate, _pcm_rate_pool,
         rebuild_with="technical.format_rate", **_given("the format is named, not its parameters")),
    _gen("technical.fft_bin", "technical", "signal_processing", "DFT bin spacing fs/N", _bin_make, bin_spacing, _bin_pool,
         rebuild_with="technical.toolkit_bin", **_given("the front end is named, not its sample rate and FFT size")),
    _gen("technical.frames", "technical", "signal_processing", "frames = 1 + floor((L - win) / hop)", _frames_make, n_frames, _frames_pool,
         rebuild_with="technical.toolkit_frames", **_given("the toolkit is named, not its window and hop")),
    _gen("technical.db_sum", "technical", "psychoacoustics", "incoherent level addition", _db_sum_make, db_sum, _db_sum_pool),
    _gen("technical.amp_db", "technical", "psychoacoustics", "20 log10 amplitude ratio", _amp_db_make, amp_db, _amp_db_pool),
    _gen("technical.wavelength", "technical", "psychoacoustics", "wavelength = c / f, c = 343 m/s", _wavelength_make, wavelength, _wavelength_pool),
    Generator("audio_quality.noise_slope", "audio_quality", "noise", "noise colour PSD slopes", _noise_make, noise_slope,
              siblings=sibling_from_pool(_noise_pool)),
    _gen("audio_quality.harmonic", "audio_quality", "distortion_clipping", "harmonics at n x f", _harmonic_make, harmonic, _harmonic_pool,
         rebuild_with="audio_quality.distortion_product", **_given("the kind of nonlinearity decides which harmonics appear")),
    _gen("audio_quality.comb_notch", "audio_quality", "room_acoustics", "comb filter notch at 1/(2 delay)", _comb_make, comb_notch, _comb_pool),
    _gen("audio_quality.room_mode", "audio_quality", "room_acoustics", "axial mode f = c / 2L", _mode_make, room_mode, _mode_pool),
    _gen("audio_quality.compression_ratio", "audio_quality", "codec_artifacts", "PCM rate / coded rate", _compression_make, compression_ratio, _compression_pool,
         rebuild_with="audio_quality.format_compression", **_given("the source format is named, not its parameters")),
    _gen("technical.spectrogram_shape", "technical", "features_representations", "N/2 + 1 bins; fs / hop frames per second", _spectrogram_make, spectrogram_shape, _spectrogram_pool,
         rebuild_with="technical.frame_rate", **_given("the system is named, not its sample rate and hop", lambda p: p.get("ask") == "rate")),
    _gen("technical.compressor_out", "technical", "production_hardware", "static compressor curve", _compressor_make, compressor_out, _compressor_pool),
    _gen("audio_quality.snr_rms", "audio_quality", "quality_measures", "SNR = 20 log10 of RMS ratio", _snr_make, snr_rms, _snr_pool),
]:
    register(_g)

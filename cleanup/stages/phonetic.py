"""phonetic: find misrecognitions of glossary terms that no variant lists, and score them.

Candidates (against every canonical term of the glossary):

* Chinese: windows of the term's length ±1 syllable, starting and ending on jieba word
  boundaries, compared by toneless pinyin. The text reads in phrase context (pypinyin phrase
  mode), a term in all its readings (似然 is si, 长上下文 is chang). Syllables are compared as
  initial + final with the confusions typical of Mandarin ASR (z/zh c/ch s/sh n/l f/h r/l,
  an/ang en/eng in/ing ian/iang uan/uang, and a few weaker ones) — a weighted edit distance.
* Latin: runs of 1..n+1 words (token-aligned, case-insensitive) against Latin terms, by
  character similarity (rapidfuzz) and a phonetic key (metaphone, jellyfish); established
  casing of a term (VIT → ViT) is restored when the letters are identical.
* Mixed script (VQ干 → VQGAN): a Latin prefix of the term followed by Chinese syllables whose
  pinyin spells the rest of it exactly.

Scoring is a log10 odds that the term was said, from independent pieces of evidence:

    odds = LM gain of the sentence with the term                    (cleanup/lm.py)
         - PHONE * phonetic cost                                     (the channel: how far the sound is)
         - COMMON * log10(1 + jieba frequency of the span as a word) (表现, 同代 are real words)
         - BASE                                                      (the recogniser is usually right)
         - SHORT for two-syllable terms                              (short terms collide by chance)
         + HOMOPHONE if the span is no word and reads exactly as the term
         + PRIOR if the term occurs elsewhere in the text            (the talk is about it)
         + RECUR if the same span is heard as the same term again    (a consistent mishearing: 换解 ×2)
         + TITLE_NAME for a name the title line gives, also by its given name (the speakers)

and for Latin spans the similarity above 0.8, LATIN_OOV for a word neither the corpora nor
English use (skilling, SDXR), ENGLISH against an ordinary English word (wordfreq: media,
imaging, transfer — half of it beside an exactly heard word of the same multi-word term).

Precision rules (a wrong "correction" costs an editor more than a missed one):

* a function word (的 了 是 在 去 和 就 也 …) that is a word of its own at a window's edge is
  never rewritten unless the rest of the window is itself misheard and not a word (所有的模态,
  去训练, 数据你 stay; 多姆太 is fixed: 太 there is the misheard 态, not the adverb);
* Latin: a frequent English function word is never turned into another word (case by case);
  a word that begins with the term or derives from it is that word (tokenize, transformers);
  so is an ordinary English word that begins the term (image ≠ Imagen, open ≠ OpenAI);
* a term is applied only when it is also APPLY more likely than any other term heard in an
  overlapping span (巨身: 具身 by the sound, 矩阵 by the LM — proposed, not applied);
* Latin: a word's onset is heard (skilling may be scaling, not Kling; n/l and vowels are
  alike), and the term with a word added (Geoffrey E. Hinton) is the term as said;
* casing (written()): a lower-case span gets the term in lower case (zero-shock → zero-shot),
  as editors keep English as transcribed; acronyms and brand casing (SFT, GPU, ViT, ChatGPT)
  and names (glossary tags person/org/model/product) keep their established form.

A change is applied when odds ≥ APPLY (confidence = 1/(1+10^-odds) ≥ 0.99); between PROPOSE
and APPLY it is logged with `applied: false` for the review report; below, nothing.

Speed: terms are indexed once by their first and last syllables (grouped by initial/final),
each heard syllable is looked up once per talk, pinyin is memoised per word, and the LM is
asked only where the rest of the evidence leaves a chance (~0.5 s of work on a 12,000-character
talk, plus ~0.6 s loading pypinyin and the LM).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cleanup.context import Context
from cleanup.document import Change, Document

APPLY = 2.0
PROPOSE = 0.0
PHONE = 5.0  # log10 odds per unit of syllable cost (one unrelated syllable = 1)
COMMON = 1.0  # per log10 of the span's jieba frequency
BASE = 0.3
SHORT = 2.2  # two-syllable terms
PRIOR = 0.5
HOMOPHONE = 1.0  # a span that is no word and reads exactly as the term (巨身 → 具身, 文道图 → 文到图)
TITLE_NAME = 1.0  # a name the title gives (a speaker of the talk)
RECUR = 0.5  # the same span proposed as the same term twice or more in one talk
MAX_GAIN_ZH = 7.0  # the LM is trained on written domain prose: it over-rewards any domain word
MAX_GAIN_LATIN = 5.0
LATIN_SIM = 10.0  # log10 odds per unit of similarity above 0.8
LATIN_OOV = 2.0  # a span word neither the corpora nor English use (skilling, SDXR) is likely noise
ENGLISH = 2.0  # a span word that is ordinary English (transfer, media, imaging) was likely said
# (half of it beside an exactly heard content word of the same multi-word term)
ENGLISH_ZIPF = 3.0  # ordinary: said at least once per million English words (wordfreq)
MAX_COST = 0.8  # absolute syllable cost
MAX_NORM_COST = 0.3  # per term syllable
MAX_SYLLABLE = 0.6  # no single syllable may be further off than this (数据群 is not 数据集)
LATIN_MIN_SIM = 0.72  # several words: each changed word is also checked on its own
LATIN_MIN_SIM_WORD = 0.8  # one word against one word (constraints is not ControlNet)

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
HAS_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_RUN = re.compile(r"[A-Za-z0-9]+(?:(?:[ \-]|\. )[A-Za-z0-9]+)*")
LATIN_WORD = re.compile(r"[A-Za-z0-9]+")
VOWELS = frozenset("aeiou")

# Grammatical words (particles, prepositions, conjunctions, pronouns, a few adverbs): heard
# right far more often than they are the edge of a misheard term. Not 太/么/个: they end
# misheard terms (多姆太, 多么泰) and jieba cuts them off as words of their own.
FUNCTION_ZH = frozenset(
    "的地得了着过是在去和与及即跟同就也都又还才再把被给对向从让而或且吗呢吧啊呀嘛哦我你他她它们这那不没"
)
FUNCTION_EN = frozenset(
    """a an the of to in on at by for with from as into about than and or but so if is are was were be
    been am do does did have has had it its this that these those i you he she we they me him her us them my your
    his our their not no can will would should could may might must up out off over what which who how why when
    where""".split()
)
# Glossary tags of names: their established casing is kept whatever the transcript's casing.
NAME_TAGS = frozenset({"person", "org", "model", "product"})

# --- syllable distance -------------------------------------------------------------------
_CLOSE_INITIALS = {
    frozenset(p): c
    for pairs, c in (
        ((("z", "zh"), ("c", "ch"), ("s", "sh"), ("n", "l"), ("f", "h"), ("r", "l")), 0.25),
        ((("z", "s"), ("zh", "sh"), ("z", "c"), ("zh", "ch"), ("c", "s"), ("ch", "sh"), ("z", "sh"), ("s", "zh")), 0.4),
        ((("j", "q"), ("q", "x"), ("j", "x"), ("j", "z"), ("q", "c"), ("x", "s")), 0.5),
        ((("b", "p"), ("d", "t"), ("g", "k"), ("r", "y"), ("", "y"), ("", "w"), ("h", "k")), 0.5),
    )
    for p in pairs
}
_CLOSE_FINALS = {
    frozenset(p): c
    for pairs, c in (
        ((("an", "ang"), ("en", "eng"), ("in", "ing"), ("ian", "iang"), ("uan", "uang")), 0.25),
        (
            (
                ("e", "o"),
                ("uo", "o"),
                ("ou", "uo"),
                ("ie", "ue"),
                ("ei", "ui"),
                ("en", "un"),
                ("in", "en"),
                ("ong", "uo"),
            ),
            0.5,
        ),
        ((("u", "v"), ("un", "vn"), ("uan", "van"), ("ue", "ve"), ("i", "v"), ("ong", "eng"), ("e", "ei")), 0.5),
        ((("i", "in"), ("a", "ai"), ("ao", "ou"), ("an", "ai"), ("ing", "eng"), ("e", "en"), ("uan", "an")), 0.6),
    )
    for p in pairs
}


@lru_cache(maxsize=4096)
def _split(syllable: str) -> tuple[str, str]:
    from pypinyin.style._utils import get_finals, get_initials

    return get_initials(syllable, strict=False) or "", get_finals(syllable, strict=False) or syllable


@lru_cache(maxsize=200_000)
def syllable_cost(a: str, b: str) -> float:
    """0 for the same toneless syllable, 1 for unrelated ones; confusions in between."""
    if a == b:
        return 0.0
    (ia, fa), (ib, fb) = _split(a), _split(b)
    ci = 0.0 if ia == ib else _CLOSE_INITIALS.get(frozenset((ia, ib)), 1.0)
    cf = 0.0 if fa == fb else _CLOSE_FINALS.get(frozenset((fa, fb)), 1.0)
    return min(1.0, 0.4 * ci + 0.6 * cf)


MERGE = 0.3
MERGE_MAX = 0.4  # 比 (bi) does not cover 随机 (sui ji)


def merged_cost(heard: str, first: str, second: str) -> float:
    """How well one heard syllable covers two: the first's initial and the second's final."""
    (ih, fh), (i1, _), (_, f2) = _split(heard), _split(first), _split(second)
    ci = 0.0 if ih == i1 else _CLOSE_INITIALS.get(frozenset((ih, i1)), 1.0)
    cf = 0.0 if fh == f2 else _CLOSE_FINALS.get(frozenset((fh, f2)), 1.0)
    return min(1.0, 0.4 * ci + 0.6 * cf) if ci <= 0.5 else 1.0


_FUZZY_I = {"zh": "z", "ch": "c", "sh": "s", "n": "l", "f": "h", "r": "l"}
_FUZZY_F = {"ang": "an", "eng": "en", "ing": "in", "iang": "ian", "uang": "uan"}


@lru_cache(maxsize=4096)
def fuzzy(syllable: str) -> str:
    """The blocking key: the ASR's strongest confusions collapsed."""
    i, f = _split(syllable)
    return _FUZZY_I.get(i, i) + "|" + _FUZZY_F.get(f, f)


def sequence_cost(heard: list[str], said: list[tuple[tuple[str, float], ...]], indel: float = 1.0) -> float:
    """Weighted edit distance between syllable sequences, anchored at both ends.

    `heard` is the text's reading (phrase context); each position of `said` holds the term's
    readings with their extra cost. The first and the last syllables must align with each
    other: an extra or missing syllable at an edge is a neighbouring word, not a mishearing
    (和自会规 is not 自回归, 常上下闻 is not 上下文).
    """
    inf = float("inf")
    n, m = len(heard), len(said)

    def sub(i: int, j: int) -> float:
        c = min(syllable_cost(heard[i], b) + extra for b, extra in said[j])
        return c if c <= MAX_SYLLABLE else inf

    def merge(i: int, j: int) -> float:  # two said syllables heard as one (大语言 → 大圆: yu+yan → yuan)
        if any(heard[i] == b for b, _ in said[j] + said[j + 1]):
            return inf  # 预训 is 预训练 shortened, not misheard
        c = min(merged_cost(heard[i], b1, b2) for b1, _ in said[j] for b2, _ in said[j + 1])
        return MERGE + c if c <= MERGE_MAX else inf  # 比 (bi) does not cover 随机 (sui ji)

    prev = [0.0] + [inf] * m  # no leading insertion or deletion: the first syllables pair up
    for i in range(1, n + 1):
        cur = [inf] * (m + 1)
        for j in range(1, m + 1):
            cur[j] = min(prev[j - 1] + sub(i - 1, j - 1), prev[j] + indel, cur[j - 1] + indel)
            if j >= 2 and i >= 1:
                cur[j] = min(cur[j], prev[j - 2] + merge(i - 1, j - 2))
        prev = cur
    return prev[m]


def anchored_cost(heard: list[str], said: list[tuple[tuple[str, float], ...]], indel: float = 1.0) -> float:
    """sequence_cost, with the last syllables also paired."""
    if not heard or not said:
        return float("inf")
    last = min(syllable_cost(heard[-1], b) + extra for b, extra in said[-1])
    if last > MAX_SYLLABLE:
        return float("inf")
    if len(heard) == 1 or len(said) == 1:
        return last if len(heard) == len(said) else float("inf")
    return sequence_cost(heard[:-1], said[:-1], indel) + last


# --- the index of terms --------------------------------------------------------------------
def _initial_cost(a: str, b: str) -> float:
    return 0.0 if a == b else _CLOSE_INITIALS.get(frozenset((a, b)), 1.0)


def _final_cost(a: str, b: str) -> float:
    return 0.0 if a == b else _CLOSE_FINALS.get(frozenset((a, b)), 1.0)


@dataclass
class _Index:
    zh: list[tuple[str, list]] = field(default_factory=list)  # term, readings per char (with extra cost)
    zh_keys: list[frozenset[str]] = field(default_factory=list)  # each term's fuzzy keys, all readings
    latin: list[tuple[str, str, str]] = field(default_factory=list)  # term, squashed lower, metaphone key
    exact: object = None  # Aho-Corasick over all terms (ASCII-folded)
    names: frozenset[str] = frozenset()  # terms tagged as names (casing kept, see written())
    terms: frozenset[str] = frozenset()  # every term as written
    # the terms' edge syllables, grouped: (initial, final, extra cost) → {term length: term ids}
    first_groups: dict = field(default_factory=dict)
    merged_groups: dict = field(default_factory=dict)  # (first's initial, second's final) → ...
    last_groups: dict = field(default_factory=dict)
    # memos, filled as syllables are heard: heard syllable → {term length: term ids}
    first: dict = field(default_factory=dict)
    last: dict = field(default_factory=dict)
    initials: set = field(default_factory=set)
    finals: set = field(default_factory=set)

    def add_zh(self, term: str, readings: list) -> None:
        k, m = len(self.zh), len(term)
        self.zh.append((term, readings))
        self.zh_keys.append(frozenset(fuzzy(r) for rs in readings for r, _ in rs))
        for r, x in readings[0]:
            self.first_groups.setdefault((*_split(r), x), {}).setdefault(m, set()).add(k)
        for r, x in readings[-1]:
            self.last_groups.setdefault((*_split(r), x), {}).setdefault(m, set()).add(k)
        if m >= 3:
            for r1, _ in readings[0]:
                for r2, _ in readings[1]:
                    key = (_split(r1)[0], _split(r2)[1])
                    self.merged_groups.setdefault(key, {}).setdefault(m, set()).add(k)

    def opening(self, heard: str) -> dict[int, frozenset[int]]:
        """Terms (by length) whose first syllable `heard` may be, alone or two merged into one:
        the same test as anchored_cost's, done once per heard syllable for all terms at once."""
        got = self.first.get(heard)
        if got is None:
            ci, cf = self._costs(heard)
            out: dict[int, set[int]] = {}
            _gather(out, self.first_groups, lambda i, f, x: 0.4 * ci[i] + 0.6 * cf[f] + x <= MAX_SYLLABLE)
            _gather(out, self.merged_groups, lambda i, f: ci[i] <= 0.5 and 0.4 * ci[i] + 0.6 * cf[f] <= MERGE_MAX)
            got = self.first[heard] = {m: frozenset(ks) for m, ks in out.items()}
        return got

    def _costs(self, heard: str) -> tuple[dict[str, float], dict[str, float]]:
        """`heard`'s initial and final against every initial and final the terms use."""
        if not self.initials:
            for i, f, _ in (*self.first_groups, *self.last_groups):
                self.initials.add(i)
                self.finals.add(f)
            for i, f in self.merged_groups:
                self.initials.add(i)
                self.finals.add(f)
        ih, fh = _split(heard)
        return {i: _initial_cost(ih, i) for i in self.initials}, {f: _final_cost(fh, f) for f in self.finals}

    def closing(self, heard: str) -> dict[int, frozenset[int]]:
        """Terms (by length) whose last syllable `heard` may be (the last syllables always pair)."""
        got = self.last.get(heard)
        if got is None:
            ci, cf = self._costs(heard)
            out: dict[int, set[int]] = {}
            _gather(out, self.last_groups, lambda i, f, x: 0.4 * ci[i] + 0.6 * cf[f] + x <= MAX_SYLLABLE)
            got = self.last[heard] = {m: frozenset(ks) for m, ks in out.items()}
        return got


def _gather(out: dict[int, set[int]], groups: dict, fits) -> None:
    """Add to `out` (term length → term ids) the terms of every group whose key `fits`."""
    for key, by_len in groups.items():
        if fits(*key):
            for m, ks in by_len.items():
                out.setdefault(m, set()).update(ks)


@lru_cache(maxsize=50_000)
def _readings(char: str) -> tuple[str, ...]:
    from pypinyin import Style, pinyin

    return tuple(dict.fromkeys(pinyin(char, style=Style.NORMAL, heteronym=True)[0]))


ALT_READING = 0.05  # a term's character read other than pypinyin's phrase reading (似然 shi/si, 长 zhang/chang)


def _term_readings(term: str) -> list[tuple[tuple[str, float], ...]]:
    from pypinyin import lazy_pinyin

    phrase = lazy_pinyin(term)
    out = []
    for p, c in zip(phrase, term, strict=True):
        out.append(((p, 0.0), *((r, ALT_READING) for r in _readings(c) if r != p)))
    return out


def _metaphone(words: str) -> str:
    import jellyfish

    return " ".join(jellyfish.metaphone(w) for w in LATIN_WORD.findall(words) if not w.isdigit())


def squash(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


def _build_index(terms: tuple[str, ...], names: frozenset[str]) -> _Index:
    import ahocorasick

    index = _Index(names=names, terms=frozenset(terms))
    for term in terms:
        if CJK.fullmatch(term) and 2 <= len(term) <= 8:
            index.add_zh(term, _term_readings(term))
        elif not HAS_CJK.search(term) and re.search(r"[A-Za-z]", term) and len(squash(term)) >= 3:
            index.latin.append((term, squash(term), _metaphone(term)))
    auto = ahocorasick.Automaton()
    for term in terms:
        if len(term) >= 2:
            auto.add_word(term.lower(), term)
    auto.make_automaton()
    index.exact = auto
    return index


_INDEXES: dict[tuple, _Index] = {}


def term_index(glossary, people: tuple[str, ...] = ()) -> _Index:
    """The glossary's terms, plus `people`: names the talk's title gives (see title_names)."""
    terms = tuple(sorted({e.term for e in glossary.entries} | set(people)))
    names = frozenset(e.term for e in glossary.entries if NAME_TAGS.intersection(e.tags or ())) | set(people)
    if (terms, names) not in _INDEXES:
        _INDEXES[terms, names] = _build_index(terms, names)
    return _INDEXES[terms, names]


def title_names(text: str) -> tuple[str, ...]:
    """The people a title line lists (`# …Fireside Chat-李明远-赵雅文`), in full and by given
    name (明远, 雅文: how they are addressed), whose written form is thus known."""
    from cleanup.speakers.roster import title_people

    first = text.split("\n", 1)[0]
    if not first.startswith("#"):
        return ()
    full = title_people(first)
    return tuple(full + [n[1:] for n in full if len(n) == 3])


# --- candidates ------------------------------------------------------------------------------
@dataclass
class Candidate:
    start: int
    end: int
    term: str
    kind: str  # zh | latin | case | mixed
    cost: float  # phonetic cost (syllables for zh; 1 - similarity scaled for latin)
    odds: float = 0.0
    note: str = ""
    gain: float = 0.0  # LM log10 gain
    rank: float = 0.0  # odds with the LM gain uncapped: orders overlapping candidates
    freq: int = 0  # jieba frequency of the span as one word
    rest: str | None = None  # zh: the window without a function word at its edge that would change
    rival: str = ""  # another term nearly as likely for the same sound: proposed, never applied
    after: str = ""  # the replacement as written (casing policy: written())

    @property
    def sure(self) -> bool:
        """Applied, not only proposed."""
        return self.odds >= APPLY and not self.rival


def _exact_spans(text: str, index: _Index) -> list[tuple[int, int, str]]:
    """Where terms already occur exactly (Latin on word boundaries)."""
    out = []
    low = text.lower()
    for end_idx, term in index.exact.iter(low):
        start, end = end_idx + 1 - len(term), end_idx + 1
        if (
            term[0].isascii()
            and term[0].isalnum()
            and start > 0
            and text[start - 1].isascii()
            and text[start - 1].isalnum()
        ):
            continue
        if (
            term[-1].isascii()
            and term[-1].isalnum()
            and end < len(text)
            and text[end].isascii()
            and text[end].isalnum()
        ):
            continue
        out.append((start, end, term))
    return out


_PINYIN: dict[str, list[str]] = {}  # word (as pypinyin segments the text) → its reading


def text_pinyin(run: str) -> list[str]:
    """lazy_pinyin(run), one syllable per character, memoised per word: pypinyin reads a run
    word by word (its own phrase segmentation), and the same words recur all through a talk."""
    from pypinyin import lazy_pinyin
    from pypinyin.seg.simpleseg import seg

    out: list[str] = []
    for w in seg(run):
        p = _PINYIN.get(w)
        if p is None:
            p = _PINYIN[w] = lazy_pinyin(w)
        out += p
    return out


def chinese_candidates(text: str, index: _Index, segment) -> list[Candidate]:
    """Windows that start and end on word boundaries, against the terms whose first and last
    syllables they may be (looked up per heard syllable for all terms at once)."""
    out = []
    if not index.zh:
        return out
    max_len = max(len(t) for t, _ in index.zh) + 1
    memo: dict = {}  # the same phrases recur: (syllables, term) → cost
    for run in CJK.finditer(text):
        s, off = run.group(), run.start()
        if len(s) < 2:
            continue
        heard = text_pinyin(s)  # the text as read in context: what the recogniser heard
        keys = [fuzzy(r) for r in heard]
        cuts, pos = [0], 0
        for w in segment(s):
            pos += len(w)
            cuts.append(pos)
        at_cut = set(cuts)
        for a, i in enumerate(cuts[:-1]):
            opening = index.opening(heard[i])
            for j in cuts[a + 1 :]:
                n = j - i
                if n > max_len:
                    break
                if n < 2:
                    continue
                closing = index.closing(heard[j - 1])
                # same length, or one more: two said syllables heard as one (a lone extra or
                # missing syllable costs more than MAX_COST anyway)
                for m in (n, n + 1):
                    both = opening.get(m)
                    if not both or m not in closing:
                        continue
                    both = both & closing[m]
                    if not both:
                        continue
                    window = s[i:j]
                    wkeys = set(keys[i:j])
                    for k in both:
                        term, said = index.zh[k]
                        if term == window or term in window or window in term:
                            continue  # adding/removing characters around a real word is not a mishearing
                        if len(index.zh_keys[k] & wkeys) < max(1, (m + 1) // 2):
                            continue
                        if _numerals(window) != _numerals(term):
                            continue  # 四五年 is not 思维链: numbers are heard right
                        ck = (tuple(heard[i:j]), k)
                        cost = memo.get(ck)
                        if cost is None:
                            cost = memo[ck] = anchored_cost(heard[i:j], said)
                        if cost <= MAX_COST and cost / m <= MAX_NORM_COST:
                            c = Candidate(off + i, off + j, term, "zh", cost)
                            c.rest = _function_edge(window, term, i + 1 in at_cut, j - 1 in at_cut)
                            out.append(c)
    return out


def _function_edge(window: str, term: str, first_alone: bool, last_alone: bool) -> str | None:
    """The rest of the window when a function word at its edge (a one-character word: 的 in
    所有的模态, 去 in 去训练) would be rewritten; None when there is none."""
    if first_alone and window[0] in FUNCTION_ZH and window[0] != term[0]:
        return window[1:]
    if last_alone and window[-1] in FUNCTION_ZH and window[-1] != term[-1]:
        return window[:-1]
    return None


_NUMERALS = re.compile(r"[零〇一二两三四五六七八九十百千万亿]")


def _numerals(s: str) -> list[str]:
    return _NUMERALS.findall(s)


def _known_acronym(span: str, known) -> bool:
    """Short capitals (MLE, NLL, ST) are spelled letter by letter and collide with each other:
    one of up to three letters, or one the corpora use, is taken as said."""
    if not span.isupper() or " " in span:
        return False
    letters = re.sub(r"[^A-Z]", "", span)
    return len(letters) <= 3 and not re.search(r"[0-9]", span) or (known is not None and span.lower() in known)


def _numbered_term(span: str, lower_terms: set[str]) -> bool:
    """A term with a number after it names one of its kind (GPU2 is the third GPU): it is not
    another term misheard (GPT-2)."""
    m = re.fullmatch(r"(.*?[A-Za-z])[ \-]?[0-9]+", span)
    return bool(m) and m.group(1).lower() in lower_terms


def latin_candidates(text: str, index: _Index, known=None) -> list[Candidate]:
    """`known`: a vocabulary (the LM's) that tells real acronyms from misheard ones."""
    from rapidfuzz.fuzz import ratio
    from rapidfuzz.process import extract

    out = []
    if not index.latin:
        return out
    squashed = [tsq for _, tsq, _ in index.latin]
    lower_terms = {t.lower() for t in index.terms}
    for run in LATIN_RUN.finditer(text):
        words = list(LATIN_WORD.finditer(run.group()))
        off = run.start()
        for a in range(len(words)):
            for b in range(a + 1, min(len(words), a + 5) + 1):
                start, end = off + words[a].start(), off + words[b - 1].end()
                if _in_identifier(text, start, end):
                    continue
                span = text[start:end]
                sq = squash(span)
                if len(sq) < 2:
                    continue
                fuzzy_ok = (
                    len(sq) >= 3
                    and not _known_acronym(span, known)  # two letters (lr, RN) match too much
                    and not _numbered_term(span, lower_terms)  # GPU2 is the third GPU, not GPT-2
                )
                key = None
                close = extract(sq, squashed, scorer=ratio, score_cutoff=60 if fuzzy_ok else 100, limit=None)
                for _, char_sim, t in sorted(close, key=lambda hit: hit[2]):
                    term, tsq, tkey = index.latin[t]
                    if abs(len(tsq) - len(sq)) > max(3, len(tsq) // 3):
                        continue
                    if sq == tsq:
                        if span != term and span not in index.terms and _case_fix_ok(span, term):
                            out.append(Candidate(start, end, term, "case", 0.0))
                        continue
                    if not fuzzy_ok:
                        continue
                    char_sim /= 100
                    if not _latin_shape_ok(span, term) or _other_name(span, term, known):
                        continue
                    if key is None:
                        key = _metaphone(span)
                    sim = 0.6 * char_sim + 0.4 * ratio(key, tkey) / 100 if key and tkey else char_sim
                    single = b - a == 1 and " " not in term and "-" not in term
                    if sim >= (LATIN_MIN_SIM_WORD if single else LATIN_MIN_SIM):
                        out.append(Candidate(start, end, term, "latin", 1.0 - sim))
    return out


def _in_identifier(text: str, start: int, end: int) -> bool:
    """Code-like context (init_rnn_state, rnn.RNN, a/b): not speech, leave it alone; nor cut a
    hyphenated compound (served-model of served-model-name): it is one word."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    nxt = text[end + 1] if end + 1 < len(text) else " "
    prev = text[start - 2] if start > 1 else " "
    return (
        before in "_./\\#@$"
        or after in "_/\\("
        or (after == "." and nxt.isalnum())
        or (after == "-" and nxt.isascii() and nxt.isalnum())
        or (before == "-" and prev.isascii() and prev.isalnum())
    )


def _same_onset(heard: str, said: str) -> bool:
    """Recognisers keep a word's first sound: the same letter, any two vowels, or the n/l of
    Chinese speakers (Scaling Nor, scaling node → Scaling Law)."""
    a, b = heard[0], said[0]
    return a == b or (a in VOWELS and b in VOWELS) or {a, b} == {"n", "l"}


def _latin_shape_ok(span: str, term: str) -> bool:
    """Digits are never misheard into other digits; inflections, derivations and added or
    dropped words are not mishearings (fine tune ≠ fine-tuning, Scaling-Nor ≠ Scaling,
    tokenize ≠ Token, transformers ≠ Transformer); a frequent English function word (by, the,
    to) is heard right where it would become another word (case by case is not Bad case — a
    word split differently, Base-in-Flow for Bayesian Flow, is another matter); an ordinary
    English word that begins the term is that word (image ≠ Imagen, open ≠ OpenAI)."""
    if re.findall(r"[0-9]+", span) != re.findall(r"[0-9]+", term):
        return False
    if squash(term) in squash(span):
        return False  # the term and more (Transformers, QLoRA): another word
    ws, wt = [w.lower() for w in LATIN_WORD.findall(span)], [w.lower() for w in LATIN_WORD.findall(term)]
    if len(ws) == len(wt):
        for x, y in zip(ws, wt, strict=True):
            if x == y:
                continue
            if x in FUNCTION_EN:
                return False
            if not _same_onset(x, y):
                return False  # a word's onset is heard: skilling may be scaling, not Kling
            if x.startswith(y) or (y.startswith(x) and _ordinary_english(x)):
                return False
            short, long = sorted((x, y), key=len)
            if any(long in (short + suf, short[:-1] + suf) for suf in _INFLECTIONS):
                return False
            if _word_similarity(x, y) < 0.4:
                return False  # Scaling up is not Scaling Law: each changed word must sound alike
        return True
    if len(ws) > len(wt) and _subsequence(wt, ws):
        return False  # the term with a word added (Geoffrey E. Hinton): said as it is
    a, b = squash(span), squash(term)  # words merged or split: both ends must agree
    return a[:2] == b[:2] and a[-1] == b[-1]


def _subsequence(short: list[str], long: list[str]) -> bool:
    rest = iter(long)
    return all(w in rest for w in short)


_INFLECTIONS = (
    *("s", "es", "ed", "d", "ing", "er", "ers", "ly", "ation", "ations", "al", "e"),
    *("ize", "ise", "ized", "ised", "izes", "izer", "izers", "ization", "ive", "ion", "ions", "ity", "ment"),
)


@lru_cache(maxsize=1)
def english_zipf() -> dict[str, float]:
    """Ordinary English words and their Zipf frequency (log10 per billion words): wordfreq's
    "small" English list, every word said at least once per million (zipf ≥ 3), ~29,000 words.

    Why wordfreq and not the LM's vocabulary: the corpora are Chinese technical prose, whose
    Latin words are terms and code (they lack media, imaging, shock, scanning, skin — words an
    ASR writes all the time). The list is read straight from wordfreq's documented cBpack file
    (~30 ms; importing the wordfreq package costs ~0.3 s), with its API as the fallback.
    """
    import gzip
    import importlib.util

    spec = importlib.util.find_spec("wordfreq")
    try:
        import msgpack

        path = Path(spec.origin).parent / "data" / "small_en.msgpack.gz"
        with gzip.open(path, "rb") as fh:
            packed = msgpack.load(fh, raw=False)
        if packed[0] != {"format": "cB", "version": 1}:
            raise ValueError("unknown cBpack header")
        return {w: 9.0 - cb / 100 for cb, words in enumerate(packed[1:]) for w in words}  # index = -centibels
    except Exception:
        from wordfreq import get_frequency_dict

        return {w: 9.0 + math.log10(f) for w, f in get_frequency_dict("en", wordlist="small").items()}


def _ordinary_english(word: str) -> bool:
    return english_zipf().get(word.lower(), 0.0) >= ENGLISH_ZIPF


def _word_similarity(heard: str, said: str) -> float:
    """One word against one word; a leading n is heard for l (Chinese speakers' n/l)."""
    from rapidfuzz.fuzz import ratio

    if heard[:1] == "n" and said[:1] == "l":
        heard = "l" + heard[1:]
    return 0.5 * ratio(heard, said) / 100 + 0.5 * ratio(_metaphone(heard), _metaphone(said)) / 100


def written(span: str, term: str, names: frozenset[str] = frozenset()) -> str:
    """The term as it replaces `span`. Casing policy: editors keep English as transcribed, so a
    span in lower case gets the term in lower case (zero-shock → zero-shot, skilling → scaling);
    a term keeps its established casing where the casing is the word — acronyms and brand
    casing with a capital after the first letter (SFT, GPU, ViT, ChatGPT, InfiniBand) — and
    for names (glossary tags person, org, model, product: Meta, Imagen, Parti); a span with any
    capital gets the term as the glossary writes it. Chinese terms are unaffected."""
    if not span.islower() or not re.search(r"[A-Za-z]", term) or HAS_CJK.search(term) or term in names:
        return term
    if any(c.isupper() for w in LATIN_WORD.findall(term) for c in w[1:]):
        return term
    return term.lower()


def _other_name(span: str, term: str, known) -> bool:
    """A capitalised word the corpora use and English does not is a name of its own (Kaggle,
    Ollama): it is not misheard into another term (Google, LLaMA)."""
    term_words = {w.lower() for w in LATIN_WORD.findall(term)}
    for w in LATIN_WORD.findall(span):
        if w.lower() in term_words or len(w) < 4 or not (w[0].isupper() and w[1:].islower()):
            continue
        if known is not None and w.lower() in known and not _ordinary_english(w):
            return True
    return False


def _case_fix_ok(span: str, term: str) -> bool:
    """Restore established casing (VIT → ViT, Gan → GAN) only where the casing is distinctive;
    an ordinary English word only to an acronym in capitals (Clip → CLIP, not Zero → ZeRO). A
    span that is itself a term (Llama beside LLaMA) is not even asked."""
    if " " in term or "-" in term or span.lower() != term.lower() or span.islower():
        return False
    if _ordinary_english(span) and not term.isupper():
        return False
    distinctive = term.isupper() or (any(c.isupper() for c in term[1:]) and any(c.islower() for c in term))
    return distinctive and len(term) >= 3


def mixed_candidates(text: str, index: _Index) -> list[Candidate]:
    """A Latin prefix of a term, then Chinese syllables spelling exactly its remaining letters."""
    from pypinyin import lazy_pinyin

    out = []
    for m in re.finditer(r"([A-Za-z]{2,})([\u4e00-\u9fff]{1,2})", text):
        latin, chars = m.group(1), m.group(2)
        for term, tsq, _ in index.latin:
            if not tsq.startswith(latin.lower()) or len(tsq) < 5:
                continue
            rest = tsq[len(latin) :]
            for n in (2, 1):
                if n <= len(chars) and len(rest) >= 3 and "".join(lazy_pinyin(chars[:n])) == rest:
                    out.append(Candidate(m.start(), m.start(1) + len(latin) + n, term, "mixed", 0.0))
                    break
    return out


# --- scoring and selection --------------------------------------------------------------------
@dataclass
class TalkEvidence:
    """What the rest of the talk says for a term, whatever the span's sound and context."""

    present: Counter  # how often each term (lower-cased) occurs in the talk, or was fixed confidently
    repeated: Counter = field(default_factory=Counter)  # (span, term) → how often proposed
    people: tuple[str, ...] = ()  # names the title gives (title_names)

    def prior(self, span: str, term: str) -> tuple[float, str]:
        prior = PRIOR * min(2.0, math.log2(1 + self.present[term.lower()]))  # the talk is about it
        note = ""
        if self.repeated[span, term] >= 2:  # the same sound heard as the same non-term: a consistent mishearing
            prior += RECUR
            note += f", heard so {self.repeated[span, term]} times"
        if term in self.people:  # the title names the speakers: they are addressed and mentioned
            prior += TITLE_NAME
            note += ", named in the title"
        return prior, note


def score(
    cands: list[Candidate],
    text: str,
    ctx: Context,
    talk: TalkEvidence,
    gains: dict | None = None,
) -> list[Candidate]:
    """Odds for each candidate. `gains`: LM gains already computed on this same text, by
    (start, end, term). The LM is asked only where the rest of the evidence leaves a chance of
    reaching PROPOSE."""
    lm = ctx.lm
    if not cands:
        return cands
    freq = ctx.word_frequencies(
        {text[c.start : c.end] for c in cands if c.kind == "zh"} | {c.rest for c in cands if c.rest}
    )
    for c in cands:
        span = text[c.start : c.end]
        c.freq = freq.get(span, 0)
        prior, talk_note = talk.prior(span, c.term)
        note = ""
        if c.kind == "zh":
            common = COMMON * math.log10(1 + c.freq)
            short = SHORT if len(c.term) == 2 else 0.0
            homophone = HOMOPHONE if c.cost == 0 and not c.freq else 0.0
            rest, cap = -PHONE * c.cost - common - BASE - short + prior + homophone, MAX_GAIN_ZH
            if c.rest is not None and (len(c.rest) < 2 or c.rest in c.term or freq.get(c.rest, 0)):
                # a function word at the edge would change and the rest is right as it is (模态
                # of 所有的模态, 训练 of 去训练) or a word of its own: no evidence of a mishearing
                rest = -math.inf
                note = f", function word at the edge of {c.rest!r}"
        elif c.kind == "latin":
            sim = 1 - c.cost
            words = [w.lower() for w in LATIN_WORD.findall(span) if not w.isdigit()]
            term_words = {w.lower() for w in LATIN_WORD.findall(c.term)}
            english = [w for w in words if w not in term_words and _ordinary_english(w)]
            unknown = any(w not in lm.model and not _ordinary_english(w) for w in words)
            oov = LATIN_OOV if unknown else 0.0
            # a content word of a multi-word term heard exactly anchors the rest (Scaling Loss,
            # Word Knowledge): the ordinary word beside it needs less extra evidence
            anchored = (
                sim >= 0.8 and len(term_words) > 1 and any(w in term_words and w not in FUNCTION_EN for w in words)
            )
            penalty = (ENGLISH / 2 if anchored else ENGLISH) if english else 0.0
            rest, cap = LATIN_SIM * (sim - 0.8) + oov - penalty - BASE + prior, MAX_GAIN_LATIN
            note = (", word unknown to the corpora" if oov else "") + (
                f", ordinary English ({', '.join(english)})" if english else ""
            )
        elif c.kind == "case":
            c.odds = c.rank = 3.0 + prior
            c.note = "established casing"
            continue
        else:
            rest, cap = 1.0 + prior, math.inf
        if rest + cap + PRIOR * 2 - prior < PROPOSE:  # hopeless whatever the LM says, even in round two
            c.odds = c.rank = -math.inf
            c.note = "below the bar without the LM" + note
            continue
        key = (c.start, c.end, c.term)
        gain = gains.get(key) if gains is not None else None
        if gain is None:
            gain = lm.delta(text, c.start, c.end, c.term)
            if gains is not None:
                gains[key] = gain
        c.gain = gain
        note += talk_note
        if c.kind in ("zh", "latin"):
            c.odds = min(gain, cap) + rest
            c.rank = c.odds + max(0.0, gain - cap)
            if c.kind == "zh":
                c.note = f"pinyin cost {c.cost:.2f}, LM {gain:+.1f}, word freq {c.freq}" + note
            else:
                c.note = f"similarity {1 - c.cost:.2f}, LM {gain:+.1f}" + note
        else:
            c.odds = c.rank = max(gain, 0.0) + rest
            c.note = f"Latin prefix + pinyin spelling, LM {gain:+.1f}"
    return cands


def _blocked(c: Candidate, text: str, exact: list[tuple[int, int, str]]) -> bool:
    """Never cut through a term that is already right, nor drop one the span contains."""
    for s, e, term in exact:
        if e <= c.start or s >= c.end:
            continue
        if s < c.start or e > c.end:
            return True
        if term.lower() not in c.term.lower():
            return True
    return False


def find(text: str, ctx: Context, is_original=lambda s, e: True) -> list[Candidate]:
    """Scored, non-overlapping candidates (best first), above PROPOSE.

    A span heard as the same term more than once is scored again with RECUR. Then two
    rounds: a candidate next to an applied fix is re-scored with that fix in place (一阶局
    before 二阶局 → 二阶矩 is judged in a sentence that makes sense), and a term fixed
    confidently anywhere counts as present in the talk.
    """
    people = title_names(text)
    index = term_index(ctx.glossary, people)
    exact = _exact_spans(text, index)
    cands = chinese_candidates(text, index, ctx.segmenter) + latin_candidates(text, index, ctx.lm.model)
    cands += mixed_candidates(text, index)
    cands = [c for c in cands if is_original(c.start, c.end) and not _blocked(c, text, exact)]
    gains: dict = {}
    talk = TalkEvidence(Counter(t.lower() for _, _, t in exact), people=people)
    score(cands, text, ctx, talk, gains)
    chosen = _select(cands)
    talk.repeated = Counter((text[c.start : c.end], c.term) for c in chosen)
    if max(talk.repeated.values(), default=0) >= 2:
        score(cands, text, ctx, talk, gains)
        chosen = _select(cands)
    _mark_rivals(chosen, cands)
    applied = [c for c in chosen if c.sure]
    if applied:
        fixed = _apply(text, applied)
        talk.present += Counter(c.term.lower() for c in applied)
        rest = [c for c in cands if not any(c.start < a.end and a.start < c.end for a in applied)]
        for c in rest:
            if any(abs(c.start - a.end) < 12 or abs(a.start - c.end) < 12 for a in applied):
                old_gain = c.gain
                shifted = _shift(c, applied)
                score([shifted], fixed, ctx, talk)
                if shifted.gain > old_gain:
                    c.odds, c.rank, c.gain = shifted.odds, shifted.rank, shifted.gain
                    c.note = shifted.note + " (after neighbouring fix)"
                    continue
            score([c], text, ctx, talk, gains)
        chosen = _select(applied + rest)
        _mark_rivals(chosen, cands)
    for c in chosen:
        c.after = written(text[c.start : c.end], c.term, index.names)
    return chosen


def _mark_rivals(chosen: list[Candidate], cands: list[Candidate]) -> None:
    """A term is applied only if it is APPLY more likely than the heard text AND than every
    other term heard in an overlapping span (巨身: 具身 or 矩阵? the LM knows 矩阵 better, the
    sound says 具身 — a coin an editor should toss). Terms that contain each other (多模态,
    多模态大模型) are one reading, not rivals."""
    for c in chosen:
        term = c.term.lower()
        rivals = [
            r
            for r in cands
            if r.start < c.end and c.start < r.end and r.term.lower() not in term and term not in r.term.lower()
        ]
        best = max(rivals, key=lambda r: r.odds, default=None)
        c.rival = ""
        if best is not None and c.odds >= APPLY and c.odds - best.odds < APPLY:
            c.rival = f"{best.term} ({best.odds:+.1f})"


def _select(cands: list[Candidate]) -> list[Candidate]:
    best: dict[tuple[int, int], Candidate] = {}
    for c in cands:
        if (c.start, c.end) not in best or c.rank > best[(c.start, c.end)].rank:
            best[(c.start, c.end)] = c
    chosen: list[Candidate] = []
    # among overlapping candidates the better one wins; a little credit for explaining more of the
    # text, so 常上下闻 → 长上下文 beats 上下闻 → 上下文 (which would leave 常 behind)
    for c in sorted(best.values(), key=lambda c: (-(c.rank + 0.2 * (c.end - c.start)), c.start)):
        if c.odds < PROPOSE:
            continue
        if any(c.start < o.end and o.start < c.end for o in chosen):
            continue
        chosen.append(c)
    return sorted(chosen, key=lambda c: c.start)


def _apply(text: str, applied: list[Candidate]) -> str:
    out, pos = [], 0
    for c in sorted(applied, key=lambda c: c.start):
        out += [text[pos : c.start], c.after or c.term]
        pos = c.end
    return "".join(out) + text[pos:]


def _shift(c: Candidate, applied: list[Candidate]) -> Candidate:
    """The candidate's position in the text with `applied` (none overlapping it) replayed."""
    delta = sum(len(a.term) - (a.end - a.start) for a in applied if a.end <= c.start)
    return Candidate(c.start + delta, c.end + delta, c.term, c.kind, c.cost)


def propose(doc: Document, ctx: Context) -> list[Change]:
    changes = []
    for c in find(doc.text, ctx, doc.is_original):
        conf = 1 / (1 + 10 ** (-c.odds))
        changes.append(
            Change(
                c.start,
                c.end,
                c.after or c.term,
                rule=f"phonetic:{c.kind}",
                confidence=conf,
                applied=c.sure,
                note=c.note + (f", rival {c.rival}" if c.rival else ""),
            )
        )
    return changes

"""Character-level Chinese punctuation tagger: features, training data, prediction.

The model answers one question per character of punctuation-free text: which mark, if any,
goes right AFTER this character — one of ``""`` (none), ``，``, ``。``, ``？``, ``、``.
The shipped model is a BiLSTM token tagger (:mod:`cleanup.punctnn`, ``punct_nn.npz``,
1.4 MB, numpy at run time) with a sentence classifier deciding ``？`` vs ``。``; the
linear-chain CRF (``punct.crfsuite``, below) it replaced is the baseline and shares its tokens,
features for the classifier and training data. ``nn_weight`` in ``punct.json`` is the
BiLSTM's share of a linear blend of the two distributions (1 = the BiLSTM alone, as shipped;
0 = the CRF alone). ``make train-punct`` trains all three and re-tunes the biases.

Held-out test split (262,608 characters, 197 ``？``), each with its dev-tuned biases:

======================  ====================  ====================  ====================
mark (P / R / F1)       CRF (baseline)        BiLSTM (shipped)      blend 0.75 BiLSTM
======================  ====================  ====================  ====================
``，``                  .551 / .587 / .568    .604 / .621 / .612    .652 / .579 / .614
``。``                  .814 / .691 / .747    .812 / .729 / .768    .832 / .742 / .784
``？``                  .728 / .462 / .565    .694 / .518 / .593    .693 / .528 / .599
``、``                  .415 / .108 / .171    .626 / .120 / .202    .737 / .107 / .186
sentence end (。？)     .824 / .694 / .753    .821 / .733 / .774    .841 / .746 / .791
======================  ====================  ====================  ====================

On real transcripts (``make eval``, the stage's sentence-end threshold 0.0 as tuned on the
corpus dev split) the BiLSTM gave sentence-end F1 .55 / .54 against the CRF's .52 / .46,
comma F1 .66 / .69 against .65 / .67, ``？`` .71 / .57 against .70 / .58 and turn F1
.68 / .80 against .69 / .75. It first moved a moderator's turn: with more sentence ends,
``刚才陈老师提到推理。我想追问一下`` put the addressee in the sentence before the follow-up
question, which the speakers stage now also reads.
The blend is best on the corpora but needs the CRF's features and full marginals besides
the BiLSTM: about 17,000–58,000 characters/s on 2 cores, under the 50,000 target; the
BiLSTM alone about 61,000 for the stage in ``make bench`` (a 749 k-character run), its
windows batched across runs and its two directions on two threads (:mod:`cleanup.punctnn`).

``？`` stays far below its 0.85 target with either: of the 197 test questions 22 have no
question word at all (headings such as 仍有疑问, rhetorical titles); the CRF finds 91,
writes ``。`` at 42 and no sentence end at 64; the BiLSTM finds 102, 42 and 53.

The CRF (python-crfsuite) runs over *tokens*, not raw characters, and the tokens are the
BiLSTM's too:

Tokenisation (:func:`tokenize`), identical in training and prediction:

* every CJK ideograph (and any other non-space, non-Latin symbol) is one token;
* a Latin phrase is one token: a maximal run of ASCII/full-width letters and digits, with
  inner ``_ . + # / ' -`` connectors and trailing ``+ # %`` (``C++``, ``GPT-3.5``, ``50%``),
  and *with the single spaces between such words* — ``KV cache``, ``Scaling Law``,
  ``rollout buffer`` are each one token, so no mark can ever be predicted inside an
  English phrase (the price: two adjacent English words that belong to different clauses
  are not separated either; rare in Chinese talks);
* ``[公式]`` (the corpora's placeholder for a formula) is one opaque token;
* whitespace is not a token: it carries no features and always gets ``("", 1.0)``.

A mark predicted for a token is reported on the token's LAST character; every other
character of a multi-character token gets ``("", 1.0)``. A space that follows a Latin token
therefore comes after the mark (``cache， 来``); the caller decides whether to drop it.

Features per token (see :func:`_features`): token identity at -2..+3 (Latin words as
``L:word``), bigrams and trigrams across the gap after the token (Latin → ``<L>``, numbers →
``<N>``), token kinds on both sides, jieba word boundaries (rjieba, ``hmm=False``: the word
ending at the token, the word starting after it, their pair, or "inside a word"), and
whether a question word (吗 呢 什么 怎么 为什么 哪 谁 是不是 有没有 多少 如何 …) occurred in
the last 8 / 20 tokens. The end of the input is a feature, so the end of a text is likely
to get a sentence end. (A ``lean`` template set without u-2, u+3, b+2, t-1, t+2 is ~30 %
faster; it tied on a 400 k-character run but lost 1.5–2.5 F1 points at full scale, so the
shipped model uses the full set; ``punct.json`` records which.)

Sentence type: a second small model (``punct_q.crfsuite``, a crfsuite logistic regression
over whole sentences: last characters/words, first words, question words and their
distance from the end, bag of words) re-splits each candidate sentence end's probability
between ``？`` and ``。`` — a question is signalled anywhere in the sentence, which a
linear-chain CRF with a short window cannot see. It is blended log-linearly with the
tagger's own split (weight ``qweight`` tuned on dev, stored in ``punct.json``); it helps
the BiLSTM too (dev objective .682 → .688 at ``qweight`` 0.5).

Probabilities are the BiLSTM's softmax (or the CRF's posterior marginals), so ``predict``
gives the probability of the chosen mark and :meth:`PunctuationModel.predict_proba` the full
distribution — the punctuation stage combines them with the ASR's pause evidence.
``predict`` picks ``argmax(log p + bias)`` with per-label biases tuned on the dev split
(stored in ``punct.json``; written prose under-uses commas relative to what F1 rewards);
``predict_proba`` returns the unbiased probabilities.

Training labels (:func:`strip_punctuation`): half-width ``, ; : ? ! .`` next to Chinese are
first made full-width; then ``，``→``，``, ``、``→``、``, ``。``→``。``, ``？``→``？``,
``！``→``。`` and ``；``→``。`` (both end an independent clause: a published transcript
splits there), ``：``, ``……``, ``——`` → ``，`` inside a line and ``。`` at its end.
Brackets, quotes and book-title marks are removed without a label (the mark after a
closing bracket goes to the character before it). When two marks meet (``。”``, ``？！``)
the stronger wins: ``？`` > ``。`` > ``，`` > ``、``.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import json
import math
import re
import threading
from collections import defaultdict
from pathlib import Path

MARKS: tuple[str, ...] = ("", "，", "。", "？", "、")
# crfsuite label names (ASCII, stable in the artefact) ↔ marks
_LABELS: tuple[str, ...] = ("O", "COMMA", "PERIOD", "QUESTION", "ENUM")
LABEL_OF_MARK = dict(zip(MARKS, _LABELS, strict=False))
MARK_OF_LABEL = dict(zip(_LABELS, MARKS, strict=False))
_STRENGTH = {"": 0, "、": 1, "，": 2, "。": 3, "？": 4}

MODELS_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL = MODELS_DIR / "punct.crfsuite"

FORMULA = "[公式]"
CHUNK = 4000  # characters: longer texts are tagged in pieces (the CRF's features are big)
NN_CHUNK = 50_000  # ... of this size when the neural tagger alone runs (its windows are small)
NN_BATCH_TOKENS = 80_000  # tokens of texts whose windows the neural tagger runs together

# --------------------------------------------------------------------------- characters


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FA1F or ch == "〇"
    )


_LATIN_CH = r"A-Za-z0-9Ａ-Ｚａ-ｚ０-９\u00C0-\u024F\u0370-\u03FF"
_LATIN_WORD = rf"[{_LATIN_CH}]+(?:[_.+#/'\-][{_LATIN_CH}]+)*[+#%]*"
_SPECIAL_RE = re.compile(rf"(\[公式\])|({_LATIN_WORD}(?: {_LATIN_WORD})*)|(\s+)")
_NUMBER_RE = re.compile(r"[0-9０-９.%,+\-]+")

# --------------------------------------------------------------------------- tokenisation


def _char_kind(ch: str) -> str:
    return "C" if ("\u4e00" <= ch <= "\u9fff" or is_cjk(ch)) else "S"


def tokenize(text: str) -> list[tuple[int, int, str]]:
    """Non-space tokens as ``(start, end, kind)``; kind: C (CJK), L (Latin), N (number),
    F (``[公式]``), S (any other symbol)."""
    out: list[tuple[int, int, str]] = []
    pos = 0
    for m in _SPECIAL_RE.finditer(text):
        s, e = m.span()
        if s > pos:
            out.extend([(i, i + 1, _char_kind(text[i])) for i in range(pos, s)])
        if m.lastindex == 1:
            out.append((s, e, "F"))
        elif m.lastindex == 2:
            out.append((s, e, "N" if _NUMBER_RE.fullmatch(m.group()) else "L"))
        pos = e
    if pos < len(text):
        out.extend([(i, i + 1, _char_kind(text[i])) for i in range(pos, len(text))])
    return out


_QWORDS = frozenset(
    "吗 呢 么 什么 怎么 为什么 为啥 啥 哪 哪儿 哪里 哪些 哪个 哪种 谁 是不是 有没有 对不对 好不好 "
    "能不能 会不会 要不要 可不可以 多少 如何 怎样 怎么样 几 难道 是否 吧".split()
)

# --------------------------------------------------------------------------- features


def _unit(text: str, s: int, e: int, kind: str) -> str:
    if kind == "C" or kind == "S":
        return text[s:e]
    if kind == "L":
        w = text[s:e].lower()
        return "L:" + w if len(w) <= 16 else "L:<long>"
    return "<" + kind + ">"


def _class(u: str, kind: str) -> str:
    """Coarse symbol for n-grams: Latin words collapse to <L>, numbers to <N>."""
    if kind == "L":
        return "<L>"
    return u


def _words(text: str) -> list[tuple[str, int, int]]:
    """jieba words (rjieba, no HMM) with char offsets, spaces left out."""
    import rjieba

    return [t for t in rjieba.tokenize(text, hmm=False) if not t[0].isspace()]


def _analyse(text: str, toks: list[tuple[int, int, str]]):
    units = [_unit(text, s, e, k) for s, e, k in toks]
    cls = [_class(u, t[2]) for u, t in zip(units, toks, strict=True)]
    return units, cls, _words(text)


def _features(text: str, toks: list[tuple[int, int, str]], analysis=None, lean: bool = False) -> list[list[str]]:
    """Per-token feature strings. ``lean`` (the shipped template set) leaves out the
    outer-context templates u-2, u+3, b+2, t-1, t+2 for speed."""
    n = len(toks)
    units, cls, words = analysis or _analyse(text, toks)
    P = ["<s2>", "<s1>"]
    Q = ["</s1>", "</s2>", "</s3>"]
    c = P + cls + Q  # c[i+2] is token i
    ends = {e: w for w, s, e in words}
    starts = {s: w for w, s, e in words}

    # word-level info per token: word ending at token end / starting at next token start
    wend = [None] * n
    wstart = [None] * n
    for i, (s, e, k) in enumerate(toks):
        w = ends.get(e)
        if w is not None:
            wend[i] = "<L>" if k == "L" else ("<N>" if k == "N" else w)
        ws = starts.get(s)
        if ws is not None:
            wstart[i] = "<L>" if k == "L" else ("<N>" if k == "N" else ws)

    # question-word positions (token index of word end)
    qpos = []
    for i in range(n):
        w = wend[i]
        if w is not None and (w in _QWORDS or (len(w) > 1 and w[-1] in "吗呢")):
            qpos.append(i)
    last_q = [-10_000] * n
    j = 0
    lq = -10_000
    for i in range(n):
        while j < len(qpos) and qpos[j] <= i:
            lq = qpos[j]
            j += 1
        last_q[i] = lq

    feats = []
    for i in range(n):
        k = i + 2
        m2, m1, c0, p1, p2, p3 = c[k - 2], c[k - 1], c[k], c[k + 1], c[k + 2], c[k + 3]
        u0 = units[i]
        if lean:
            f = [
                "b",
                "u0=" + u0,
                "u-1=" + m1,
                "u+1=" + p1,
                "u+2=" + p2,
                "b-1=" + m1 + c0,
                "b0=" + c0 + p1,
                "b+1=" + p1 + p2,
                "t0=" + m1 + c0 + p1,
                "t+1=" + c0 + p1 + p2,
                "k=" + toks[i][2] + (toks[i + 1][2] if i + 1 < n else "$"),
            ]
        else:
            f = [
                "b",
                "u0=" + u0,
                "u-1=" + m1,
                "u-2=" + m2,
                "u+1=" + p1,
                "u+2=" + p2,
                "u+3=" + p3,
                "b-1=" + m1 + c0,
                "b0=" + c0 + p1,
                "b+1=" + p1 + p2,
                "b+2=" + p2 + p3,
                "t-1=" + m2 + m1 + c0,
                "t0=" + m1 + c0 + p1,
                "t+1=" + c0 + p1 + p2,
                "t+2=" + p1 + p2 + p3,
                "k=" + toks[i][2] + (toks[i + 1][2] if i + 1 < n else "$"),
            ]
        we = wend[i]
        ws = wstart[i + 1] if i + 1 < n else "</s>"
        if we is not None:
            f.append("we=" + we)
            if ws is not None:
                f.append("ws=" + ws)
                f.append("wp=" + we + "|" + ws)
        else:
            f.append("inword")
        d = i - last_q[i]
        if d < 8:
            f.append("q8")
            f.append("q8w=" + (wend[last_q[i]] or ""))
        elif d < 20:
            f.append("q20")
        if i + 1 == n:
            f.append("eos")
        feats.append(f)
    return feats


# --------------------------------------------------------------------------- training data

_HALF2FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", ".": "。"}
_OPEN_CLOSE = set('（）()“”‘’"「」『』《》〈〉【】[]〔〕')
_PUNCT_MAP = {
    "，": "，",
    "、": "、",
    "。": "。",
    "？": "？",
    "！": "。",
    "；": "。",
    "：": "，",
    "…": "，",
    "—": "，",
    "．": "。",
    "｡": "。",
}
_SENT_END = re.compile(r"[。？！；：…”」）]$")


def ends_sentence(line: str) -> bool:
    """The corpora README's test for a line that is a finished paragraph (not a heading)."""
    return bool(_SENT_END.search(line.rstrip()))


def normalise_halfwidth(line: str) -> str:
    """Half-width ``, ; : ? ! .`` next to a Chinese character → full-width."""
    out = []
    n = len(line)
    for i, ch in enumerate(line):
        if ch in _HALF2FULL:
            prev = line[i - 1] if i else ""
            j = i + 1
            while j < n and line[j] == " ":
                j += 1
            nxt = line[j] if j < n else ""
            prev_cjk = bool(prev) and (is_cjk(prev) or prev in "）”」』》")
            next_cjk = bool(nxt) and is_cjk(nxt)
            if ch == ".":
                # only a full stop directly after Chinese, before Chinese/space/end
                if prev_cjk and (nxt == "" or next_cjk or j > i + 1):
                    out.append("。")
                    continue
            elif prev_cjk or (next_cjk and not prev.isdigit()):
                out.append(_HALF2FULL[ch])
                continue
        out.append(ch)
    return "".join(out)


def strip_punctuation(line: str) -> tuple[str, list[str]]:
    """A punctuated line → (text without its punctuation, mark after each character).

    Only marks that the model predicts (and those mapped onto them) are removed, plus
    brackets and quotes; everything else stays as text. Spaces around a removed mark are
    dropped, except that a single space is kept between two Latin/digit characters.
    """
    line = normalise_halfwidth(line.strip())
    chars: list[str] = []
    marks: list[str] = []
    pending = ""  # strongest mark seen since the last kept character
    removed = False
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if ch == "[" and line.startswith(FORMULA, i):
            ch = FORMULA  # opaque: kept whole
            i += len(FORMULA)
        else:
            i += 1
        mark = _PUNCT_MAP.get(ch)
        if mark is not None or ch in _OPEN_CLOSE:
            if mark and _STRENGTH[mark] > _STRENGTH[pending]:
                pending = mark
            removed = True
            continue
        if removed:
            if ch == " ":
                continue
            if chars:
                if pending:
                    # attach to the last non-space char
                    j = len(chars) - 1
                    while j >= 0 and chars[j] == " ":
                        j -= 1
                    if j >= 0 and _STRENGTH[pending] > _STRENGTH[marks[j]]:
                        marks[j] = pending
                prev = chars[-1]
                if prev != " " and _is_latinish(prev) and _is_latinish(ch):
                    chars.append(" ")
                    marks.append("")
            pending = ""
            removed = False
        chars.extend(ch)
        marks.extend([""] * len(ch))
    if pending and chars:
        j = len(chars) - 1
        while j >= 0 and chars[j] == " ":
            j -= 1
        if j >= 0:
            marks[j] = pending
    # line end: a clause mark (from ：…—) that ends the paragraph ends a sentence
    while chars and chars[-1] == " ":
        chars.pop()
        marks.pop()
    if marks and marks[-1] == "，":
        marks[-1] = "。"
    return "".join(chars), marks


def _is_latinish(ch: str) -> bool:
    return ch.isascii() and ch.isalnum() or "Ａ" <= ch <= "ｚ" or "０" <= ch <= "９"


def token_labels(text: str, marks: list[str], toks=None) -> list[str]:
    """Per-token crfsuite labels: the mark on each token's last character."""
    toks = tokenize(text) if toks is None else toks
    return [LABEL_OF_MARK[marks[e - 1]] for s, e, k in toks]


def make_example(line: str, lean: bool = False):
    """A punctuated line → (xseq, yseq) for crfsuite, or None if nothing is left."""
    text, marks = strip_punctuation(line)
    toks = tokenize(text)
    if not toks:
        return None
    return _features(text, toks, lean=lean), token_labels(text, marks, toks)


# --------------------------------------------------------------------------- sentence type


def sentence_features(sent: str) -> list[str]:
    """Features of one whole sentence (punctuation-free) for the question-vs-statement
    classifier, which decides ``？`` vs ``。`` once the CRF has found a sentence end."""
    toks = tokenize(sent)
    units, cls, words = _analyse(sent, toks)
    return _sentence_feats(cls, [w for w, _, _ in words])


def _sentence_feats(cls: list[str], words: list[str]) -> list[str]:
    if not cls or not words:
        return ["b", "empty"]
    words = ["<L>" if w.isascii() and w[:1].isalpha() else w for w in words]
    f = ["b", "c1=" + cls[-1], "c2=" + "".join(cls[-2:]), "c3=" + "".join(cls[-3:])]
    f += ["lw=" + words[-1], "lw2=" + "|".join(words[-2:]), "fw=" + words[0], "fw2=" + "|".join(words[:2])]
    f.append(f"len={min(len(cls) // 8, 8)}")
    n = len(words)
    for idx, w in enumerate(words):
        f.append("w=" + w)
        if w in _QWORDS or (len(w) > 1 and w[-1] in "吗呢"):
            f.append("q=" + w)
            d = n - 1 - idx
            f.append(f"qd={w}|{min(d, 5)}")
            f.append("qany")
            if d < 4:
                f.append("qend")
    return f


def make_sentence_examples(line: str):
    """A punctuated line → [(features, "Q"|"P")] for each sentence it contains."""
    text, marks = strip_punctuation(line)
    out = []
    start = 0
    for i, m in enumerate(marks):
        if m in ("。", "？"):
            sent = text[start : i + 1].strip()
            if sent:
                out.append((sentence_features(sent), "Q" if m == "？" else "P"))
            start = i + 1
    return out


# --------------------------------------------------------------------------- model


def question_model_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.stem + "_q" + path.suffix)


def neural_model_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.stem + "_nn.npz")


class PunctuationModel:
    """A trained CRF punctuation tagger. ``load()`` gives the shipped one (cached)."""

    _cache: dict[str, PunctuationModel] = {}
    _lock = threading.Lock()

    def __init__(self, tagger, meta: dict | None = None, path: str | None = None, qtagger=None, neural=None):
        self._tagger = tagger
        self._qtagger = qtagger
        # the BiLSTM (cleanup/punctnn.py) and its share in the blend with the CRF
        self._neural = neural
        self._nn_weight = float((meta or {}).get("nn_weight", 0.0)) if neural is not None else 0.0
        # weight of the sentence classifier vs the CRF's own ？/。 split (log-linear)
        self._qweight = float((meta or {}).get("qweight", 1.0))
        self._lean = (meta or {}).get("features", "full") == "lean"
        self.meta = meta or {}
        self.path = path
        labels = set(tagger.labels())
        self._labels = [lab for lab in _LABELS if lab in labels]
        if self._labels[0] != "O":
            raise ValueError("punctuation model has no 'O' (no mark) label")
        if neural is not None and tuple(self._labels) != _LABELS:
            raise ValueError("the neural tagger needs a CRF with all labels")
        # optional decision biases (log-space) tuned on the dev split; 0 = plain argmax
        self._bias = {lab: float(self.meta.get("bias", {}).get(lab, 0.0)) for lab in self._labels}

    @property
    def neural_weight(self) -> float:
        """The BiLSTM's share of the distributions (0: the CRF alone)."""
        return self._nn_weight

    @classmethod
    def load(cls, path: str | Path | None = None) -> PunctuationModel:
        path = Path(path) if path is not None else DEFAULT_MODEL
        key = str(path.resolve())
        with cls._lock:
            model = cls._cache.get(key)
            if model is None:
                import pycrfsuite

                if not path.exists():
                    raise FileNotFoundError(f"punctuation model not found: {path} (run `make train-punct`)")
                tagger = pycrfsuite.Tagger()
                tagger.open(str(path))
                meta_path = path.with_suffix(".json")
                meta = json.loads(meta_path.read_text("utf-8")) if meta_path.exists() else {}
                qpath = question_model_path(path)
                qtagger = None
                if qpath.exists():
                    qtagger = pycrfsuite.Tagger()
                    qtagger.open(str(qpath))
                neural = None
                nn_path = neural_model_path(path)
                if nn_path.exists() and meta.get("nn_weight", 0.0) > 0:
                    from cleanup.punctnn import NeuralTagger

                    neural = NeuralTagger.load(nn_path)
                model = cls(tagger, meta, str(path), qtagger, neural)
                cls._cache[key] = model
        return model

    # ------------------------------------------------------------------ prediction

    def _marginals(self, text: str, toks, analysis, full=True, sentence_types: bool = True, nn_probs=None):
        """Per token of ``tokenize(text)`` (``toks``, with its ``_analyse``) the marginal of
        each label (1-tuples ``(p_O,)``: the rest not computed, because the fast path already
        knows "no mark" is the decision).
        ``full``: True (every token), False (fast path everywhere) or a set of character
        offsets whose token (ending there) always gets the full distribution.
        ``nn_probs``: the neural tagger's distributions, when the caller batched them."""
        if not toks:
            return []
        labels = self._labels
        bias = [self._bias[lab] for lab in labels]
        # "no mark" (labels[0] == "O") wins whatever the others are when
        # log p_O + b_O > log(1 - p_O) + max(b_other); then the others are not needed
        margin = max(bias[1:]) - bias[0]
        every = full is True
        some = full if not isinstance(full, bool) else ()
        with self._lock:  # a crfsuite Tagger is not re-entrant
            if self._nn_weight > 0:
                import numpy as np

                probs = self._blend(text, toks, analysis, nn_probs)
                # float32 softmax: "no mark" can round to 1
                p0 = np.minimum(probs[:, 0].astype(np.float64), 1 - 1e-9)
                with np.errstate(divide="ignore"):
                    fast = (p0 > 0.5) & (np.log(p0) - np.log1p(-p0) > margin)
                if every:
                    fast[:] = False
                elif some:
                    fast[[i for i, t in enumerate(toks) if t[1] - 1 in some]] = False
                rows = zip(p0.tolist(), fast.tolist(), probs.tolist(), strict=True)
                margs = [(q,) if f else tuple(row) for q, f, row in rows]
            else:
                tagger = self._tagger
                tagger.set(_features(text, toks, analysis, self._lean))
                marginal = tagger.marginal
                rest = labels[1:]
                margs = []
                for i in range(len(toks)):
                    p0 = marginal("O", i)
                    fast = not every and toks[i][1] - 1 not in some
                    if fast and p0 > 0.5 and math.log(p0) - math.log1p(-p0 + 1e-300) > margin:
                        margs.append((p0,))
                    else:
                        margs.append((p0, *[marginal(lab, i) for lab in rest]))
            if sentence_types and self._qtagger is not None and self._qweight > 0:
                self._sentence_types(toks, analysis, margs)
        return margs

    def _blend(self, text: str, toks, analysis, probs):
        """Full distributions (tokens × labels): the neural tagger's ``probs``, mixed
        linearly with the CRF's unless the neural weight is 1."""
        w = self._nn_weight
        if w < 1:
            import numpy as np

            self._tagger.set(_features(text, toks, analysis, self._lean))
            marginal = self._tagger.marginal
            crf = [[marginal(lab, i) for lab in _LABELS] for i in range(len(toks))]
            probs = w * probs + (1 - w) * np.asarray(crf, dtype=np.float32)
        return probs

    def _sentence_types(self, toks, analysis, margs) -> None:
        """Re-split each candidate sentence end's P(end) into ？ and 。 with the sentence
        classifier, the sentence running from the previous likely end to this token."""
        labels = self._labels
        try:
            ip, iq = labels.index("PERIOD"), labels.index("QUESTION")
        except ValueError:
            return
        _units, cls, words = analysis
        wstarts = [s for _, s, _ in words]
        w = self._qweight
        q = self._qtagger
        first = 0  # token index where the current sentence starts
        for i, m in enumerate(margs):
            if len(m) == 1:
                continue
            pend = m[ip] + m[iq]
            if pend < 0.1:  # below that the CRF's own ？/。 split stands
                continue
            first = max(first, i - 60)  # a sentence's cues are in its last 60 tokens
            lo = bisect.bisect_left(wstarts, toks[first][0])
            hi = bisect.bisect_left(wstarts, toks[i][1])
            q.set([_sentence_feats(cls[first : i + 1], [words[j][0] for j in range(lo, hi)])])
            share = _blend_share(q.marginal("Q", 0), m[iq] / pend, w)
            m = list(m)
            m[iq], m[ip] = pend * share, pend * (1 - share)
            margs[i] = tuple(m)
            if pend > 0.5:
                first = i + 1
                if first >= len(toks):
                    break

    def predict_proba(self, text: str) -> list[dict[str, float]]:
        """Per character: the posterior probability of each mark after it (sums to 1)."""
        return self.predict_proba_many([text])[0]

    def predict_proba_many(self, texts: list[str]) -> list[list[dict[str, float]]]:
        """:meth:`predict_proba` for many texts, the neural tagger's work batched."""
        out = []
        for text, (toks, margs) in zip(texts, self._marginals_many(texts, [True] * len(texts)), strict=True):
            dists = [{"": 1.0} for _ in text]
            for (_s, e, _k), m in zip(toks, margs, strict=False):
                dists[e - 1] = {MARK_OF_LABEL[lab]: p for lab, p in zip(self._labels, m, strict=False)}
            out.append(dists)
        return out

    def predict(self, text: str) -> list[tuple[str, float]]:
        """Per character: ``(mark, probability)`` for the mark to insert after it."""
        out: list[tuple[str, float]] = [("", 1.0)] * len(text)
        [(toks, margs)] = list(self._marginals_many([text], [False]))
        labels = self._labels
        bias = [self._bias[lab] for lab in labels]
        for (_s, e, _k), m in zip(toks, margs, strict=False):
            if len(m) == 1:
                out[e - 1] = ("", m[0])
                continue
            best = max(range(len(m)), key=lambda j: math.log(m[j] + 1e-12) + bias[j])
            out[e - 1] = (MARK_OF_LABEL[labels[best]], m[best])
        return out

    def token_marginals_many(self, texts: list[str], full_at: list[set[int]], sentence_types: bool = False):
        """Yield per text ``(tokens, marks, marginals)``: per token ``(start, end, kind)`` and its
        mark marginals in ``marks`` order — the full tuple for tokens ending at a character
        offset in the text's ``full_at`` set (or where a mark is plausible), else ``(p_O,)``
        alone. The cheap interface for callers that need the full distribution only at some
        places. The sentence classifier is not applied (``sentence_types=False``): call
        :meth:`question_share` for the sentence ends that are finally chosen."""
        marks = [MARK_OF_LABEL[lab] for lab in self._labels]
        for toks, margs in self._marginals_many(texts, full_at, sentence_types):
            yield toks, marks, margs

    def token_marginals(self, text: str, full_at=frozenset(), sentence_types: bool = False):
        """:meth:`token_marginals_many` of one text."""
        return next(self.token_marginals_many([text], [full_at], sentence_types))

    def question_share(self, sentence: str, p_question: float, p_period: float) -> float:
        """P(？ | a sentence end) for a whole sentence (punctuation-free), blending the
        sentence classifier with the CRF's own ？/。 split as :meth:`_sentence_types` does."""
        pend = p_question + p_period
        crf = min(max(p_question / pend, 1e-6), 1 - 1e-6) if pend > 0 else 0.5
        if self._qtagger is None or self._qweight <= 0:
            return crf
        with self._lock:
            self._qtagger.set([sentence_features(sentence)])
            return _blend_share(self._qtagger.marginal("Q", 0), crf, self._qweight)

    def _marginals_many(self, texts: list[str], fulls: list, sentence_types: bool = True):
        """Yield ``(tokens, marginals)`` of each text in turn (see :meth:`_marginals` for
        ``fulls``). Very long texts are tagged in pieces cut at line breaks (bounded
        memory, the same result for ordinary paragraphs). The neural tagger runs the
        windows of several texts together (wider batches cost less per token): texts are
        prepared until they hold NN_BATCH_TOKENS tokens."""
        limit = NN_CHUNK if self._nn_weight >= 1 else CHUNK
        pending, size = [], 0  # per prepared text its pieces: (offset, piece, its full, tokens, analysis)
        for text, full in zip(texts, fulls, strict=True):
            pieces = []
            for start, end in _pieces(text, limit):
                piece = text[start:end]
                part = full if isinstance(full, bool) else {p - start for p in full if start <= p < end}
                with gc_paused():
                    toks = tokenize(piece)
                    pieces.append((start, piece, part, toks, _analyse(piece, toks)))
                size += len(toks)
            pending.append(pieces)
            if size >= NN_BATCH_TOKENS:
                yield from self._tag_prepared(pending, sentence_types)
                pending, size = [], 0
        yield from self._tag_prepared(pending, sentence_types)

    def _tag_prepared(self, texts_pieces: list[list[tuple]], sentence_types: bool):
        """Yield ``(tokens, marginals)`` of each prepared text: the neural tagger over the
        pieces of all of them at once, then the marginals text by text."""
        flat = [p for pieces in texts_pieces for p in pieces]
        nn = [None] * len(flat)
        if self._nn_weight > 0:
            nn = self._neural.batch_probs([self._neural.inputs(p[1], p[3], p[4]) for p in flat])
        nn = iter(nn)
        for pieces in texts_pieces:
            toks_all, margs_all = [], []
            for start, piece, part, toks, analysis in pieces:
                with gc_paused():
                    margs_all.extend(self._marginals(piece, toks, analysis, part, sentence_types, next(nn)))
                    toks_all.extend((s + start, e + start, kind) for s, e, kind in toks)
            yield toks_all, margs_all


def _blend_share(p_classifier: float, p_tagger: float, weight: float) -> float:
    """P(？ | a sentence end): the sentence classifier's and the tagger's own ？ share, blended
    log-linearly with the classifier's ``weight`` (both kept off 0 and 1)."""
    pc = min(max(p_classifier, 1e-6), 1 - 1e-6)
    pt = min(max(p_tagger, 1e-6), 1 - 1e-6)
    z = weight * math.log(pc / (1 - pc)) + (1 - weight) * math.log(pt / (1 - pt))
    return 1 / (1 + math.exp(-z))


@contextlib.contextmanager
def gc_paused():
    """Pause the cyclic GC over code that makes many small short-lived objects forming no
    cycles (tokens, analyses, features, marginals, decisions): the GC would scan them again
    and again, a third of the time."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _pieces(text: str, limit: int) -> list[tuple[int, int]]:
    """``[start, end)`` pieces of at most ``limit`` characters, cut after a line break (or
    else a space) in the second half of the piece."""
    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + limit)
        if end < len(text):
            cut = text.rfind("\n", start + limit // 2, end)
            if cut == -1:
                cut = text.rfind(" ", start + limit // 2, end)
            end = cut + 1 if cut != -1 else end
        out.append((start, end))
        start = end
    return out


# --------------------------------------------------------------------------- evaluation
# Used by scripts/train_punct.py and by `cleanup eval punct`.

SPLIT_FILE = MODELS_DIR / "punct_split.json"


def corpora_dir() -> Path:
    """The punctuated corpora: $CORPORA_DIR, else ``../shared/corpora`` beside the repository."""
    import os

    return Path(os.environ.get("CORPORA_DIR") or (MODELS_DIR.parents[2] / "shared" / "corpora")).resolve()


def read_corpus_lines(root: str | Path, files: list[str], only_finished: bool = True) -> list[tuple[str, str]]:
    """(file, line) for the paragraph lines of corpus files (``folder/name.txt`` relative to
    ``root``); with ``only_finished`` only lines that end in sentence punctuation."""
    root = Path(root)
    out = []
    for rel in files:
        for line in (root / rel).read_text("utf-8").splitlines():
            line = line.strip()
            if line and (not only_finished or ends_sentence(line)):
                out.append((rel, line))
    return out


def held_out_lines(root: str | Path, part: str = "test") -> list[str]:
    """The finished paragraph lines of one part (train/dev/test/spoken) of the fixed split."""
    split = json.loads(SPLIT_FILE.read_text("utf-8"))
    return [line for _, line in read_corpus_lines(root, split[part])]


_GROUPS = (
    ("，", {"，"}),
    ("。", {"。"}),
    ("？", {"？"}),
    ("、", {"、"}),
    ("end(。？)", {"。", "？"}),
    ("any", {"，", "。", "？", "、"}),
)


def collect(model: PunctuationModel, lines: list[str]) -> list[tuple[list[str], list[dict]]]:
    """Gold marks and the model's per-character distributions, for scoring many decision
    rules without re-running the model."""
    pairs = [strip_punctuation(line) for line in lines]
    dists = model.predict_proba_many([text for text, _ in pairs])
    return [(gold, d) for (_text, gold), d in zip(pairs, dists, strict=True)]


def decide(dist: dict, bias: dict) -> str:
    if len(dist) == 1:
        return ""
    return max(dist, key=lambda m: math.log(dist[m] + 1e-12) + bias.get(LABEL_OF_MARK[m], 0.0))


def score(collected, bias: dict | None = None) -> dict:
    """Per-mark P/R/F1 over character positions, plus merged sentence-end and any-mark."""
    bias = bias or {}
    return score_marks((gold, [decide(d, bias) for d in dists]) for gold, dists in collected)


def score_marks(pairs) -> dict:
    """:func:`score` for decided marks: ``pairs`` of (gold marks, predicted marks) per line."""
    tp, fp, fn = defaultdict(int), defaultdict(int), defaultdict(int)
    for gold, predicted in pairs:
        for g, p in zip(gold, predicted, strict=False):
            if not g and not p:
                continue
            for name, gset in _GROUPS:
                gi, pi = g in gset, p in gset
                if gi and pi:
                    tp[name] += 1
                elif pi:
                    fp[name] += 1
                elif gi:
                    fn[name] += 1
    res = {}
    for name, _ in _GROUPS:
        p = tp[name] / (tp[name] + fp[name]) if tp[name] + fp[name] else 0.0
        r = tp[name] / (tp[name] + fn[name]) if tp[name] + fn[name] else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        res[name] = {"P": p, "R": r, "F1": f, "support": tp[name] + fn[name]}
    return res


def evaluate(model: PunctuationModel, lines: list[str]) -> dict:
    """Score the model's own decisions (its stored biases) on punctuated lines."""
    return score(collect(model, lines), model._bias)


def evaluate_with_type_ceiling(model: PunctuationModel, lines: list[str]) -> tuple[dict, dict]:
    """:func:`evaluate`, and the scores of the same decisions with every predicted sentence
    end that falls on a gold one given the gold type (。 or ？): the most a better
    question-vs-statement decision could reach, given where the tagger ends sentences."""
    scored, ceiling = [], []
    for gold, dists in collect(model, lines):
        predicted = [decide(d, model._bias) for d in dists]
        scored.append((gold, predicted))
        ceiling.append((gold, [g if {g, p} <= {"。", "？"} else p for g, p in zip(gold, predicted, strict=True)]))
    return score_marks(scored), score_marks(ceiling)


def objective(res: dict) -> float:
    return (res["，"]["F1"] + res["end(。？)"]["F1"] + res["？"]["F1"]) / 3


def print_table(title: str, res: dict, marks=None) -> None:
    print(f"\n{title}")
    print(f"  {'mark':<10}{'P':>7}{'R':>7}{'F1':>7}{'support':>9}")
    for name, r in res.items():
        if marks and name not in marks:
            continue
        print(f"  {name:<10}{r['P']:>7.3f}{r['R']:>7.3f}{r['F1']:>7.3f}{r['support']:>9}")

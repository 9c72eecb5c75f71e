"""punctuate: turn the ASR's pauses into sentences, with the trained model and spoken cues.

Raw ASR text has a comma (or a space between two Chinese characters, or a paragraph break at
an arbitrary point) at every pause, hardly any real sentence end, and a meaningless `。` at
some paragraph ends. The `speakers` stage later joins the paragraphs of a turn, so a mark is
decided at every pause, paragraph ends included.

1. The body (title and image lines aside) becomes one stream per run of paragraphs: the
   text without its pause marks, the character offsets remembered.
2. The shipped model (cleanup/punctmodel.py) gives, per character, the distribution of the
   mark after it (full at every pause, "no mark" alone elsewhere unless a mark is likely).
3. At every pause the ASR's evidence (a pause is almost always at least a clause break)
   is combined with the model: the pause keeps a comma unless the model's odds of a
   sentence end beat a threshold (`。`), and is dropped only when the model is all but
   certain nothing goes there. Between pauses, a mark is inserted only where the model is
   very confident inside a long unpunctuated stretch.
4. Spoken-question rules: final particles (吗, 呢 with a question word), tag questions (对吧,
   是吧, 是不是, 对不对 …), hand-overs to a panelist (X老师有什么看法, 您怎么看, 你的看法是什么样)
   and a final question word end the sentence in `？`; the model's sentence classifier decides
   the rest.
5. No sentence is left longer than MAX_SENTENCE: an over-long one is cut at its likeliest
   sentence end.

Existing `？！、；：` and a `。` inside a paragraph are kept (a `。` only becomes `？` when a
question cue says so); a paragraph-final `。` is a pause like any other. `……` and quotes are
never invented; English phrases are single model tokens, so no mark lands inside one.
Every edit names its rule and carries a confidence; a second run on the output proposes
nothing, because every decision depends only on the stripped text and the kinds of pauses,
and the marks this stage writes are read back as the same kinds.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass

from cleanup.context import Context
from cleanup.document import Change, Document

CJK = "\u4e00-\u9fff\u3400-\u4dbf"
_CJK_RE = re.compile(f"[{CJK}]")
_LATIN_RE = re.compile(r"[A-Za-z0-9Ａ-Ｚａ-ｚ０-９\u00C0-\u024F\u0370-\u03FF+#%]")
# A gap between two pieces of content: marks and/or horizontal space. An ASCII , : between
# digits (1,000 10:30) is not a gap.
GAP = re.compile(
    r"(?:[ \t\u3000]*(?:[，。？！、；：?!;]|(?<![0-9]),|,(?![0-9])|(?<![0-9]):|:(?![0-9]))+[ \t\u3000]*)"
    r"|[ \t\u3000]+"
)
SKIP_LINE = re.compile(r"^\s*(?:#|!\[|\*\*[^*\n]{1,24}\*\*\s*[：:])")

# Decision thresholds (log-odds, natural log) over the model's marginals.
# at a pause: 。 when log(p_end / p_clause) + cues exceeds this; the CRF's value, and the
# BiLSTM's (it puts more mass on sentence ends): 0.0 scored best on the corpus dev split
# (held_out_marks; mean F1 of ， end ？ .715; .704 at 0.5, .695 at -1.0).
END_LOGODDS = -1.0
END_LOGODDS_NN = 0.0
DROP_NONE = 1.01  # at a comma/space pause: no mark only above this P(no mark) (off: see below)
INSERT = 0.93  # between pauses: insert a mark when P(some mark) is above this ...
INSERT_GAP = 16  # ... and the stretch without a pause on both sides is at least this long
ENUM = 0.85  # 、 instead of ， when P(、) among the clause marks is above this
MAX_SENTENCE = 100  # characters; longer sentences are cut at their likeliest end
MIN_PART = 12  # neither part of a cut sentence is shorter than this

# --------------------------------------------------------------------------- sentence cues
# Spoken discourse markers: what opens the next clause and what closes this one shifts the
# log-odds of a sentence end at a pause (the model learnt written prose, where these are
# rarer). General Chinese, not any talk's wording.
OPENERS = (
    (re.compile(r"^(?:好(?![像多几些])|所以|当然|那么|总之|另外|首先|其次|第[二三四五六]|最后|谢谢)"), 1.5),
    (re.compile(r"^(?:我觉得|我认为|对(?!于)|那(?![个些种样么里])|但是|但|如果|然后|因为)"), 0.6),
    (re.compile(r"^(?:就是|或者|包括|比如|而且|以及|还是|并且|和|跟|的|是|在|也)"), -1.0),
)
CLOSERS = (
    (re.compile(r"(?:谢谢|谢谢大家|好的|明白|了)$"), 0.8),
    (
        re.compile(
            r"(?:是|的话|说|在|和|跟|把|被|对|从|给|就|很|这个|那个|一个|我|我们|就是|因为|所以|但是|比如|包括)$"
        ),
        -1.5,
    ),
)


def cue_logodds(before: str, after: str) -> float:
    """Log-odds shift of a sentence end between `before` and `after` (texts without marks)."""
    shift = 0.0
    for rx, v in OPENERS:
        if rx.search(after):
            shift += v
            break
    for rx, v in CLOSERS:
        if rx.search(before):
            shift += v
            break
    return shift


# --------------------------------------------------------------------------- question cues

_TRAIL = "啊呀啦哈嘛"
# A hand-over or a direct request for a view, at the end of a clause.
HANDOVER = re.compile(
    r"(?:有什么|有没有什么|有哪些|有何)(?:样的)?(?:看法|观点|想法|建议|见解|评论|感受|感想|补充|要补充的|经验|思考|体会|判断)$"
    r"|(?:您|你|你们|大家|各位)(?:是)?(?:怎么看|如何看|怎么想|怎么理解|怎么认为|怎么评价|觉得呢|认为呢|看呢)(?:待)?(?:这个问题|这件事|这个)?$"
    r"|(?:看法|观点|想法|意见|判断)(?:是)?(?:什么样|什么|怎样|怎么样|如何)(?:的)?$"
    r"|(?:怎么看|如何看)(?:待)?(?:这个问题|这件事|这个)?$"
)
# Final particles and tag questions: a question whatever the model says.
TAG = re.compile(
    r"(?:吗|么|对吧|是吧|对吗|是吗|好吗|行吗|对不对|是不是|好不好|行不行|能不能|会不会|要不要|有没有|可不可以|是不是这样)$"
)
QWORD = re.compile(r"(?:什么|怎么|为什么|为啥|哪|谁|多少|如何|怎样|几个|几种|是否)")
FINAL_QWORD = re.compile(r"(?:为什么|为啥|什么|怎么样|怎么办|哪里|哪儿|哪些|哪个|哪|谁|多少|如何)$")
NOT_QUESTION = re.compile(
    r"(?:不知道|没有什么|没什么|不管|无论|不论|什么的|怎么说呢|就是说|比如说|什么都|怎么都|谁都|哪都|多少都|为什么呢|这是为什么)"
)


def question_rule(clause: str, sentence: str) -> tuple[str, float] | None:
    """(rule, confidence) when the clause ending here is a spoken question, else None.

    `clause` is the text since the previous pause, `sentence` since the previous sentence
    end (both without marks)."""
    c = clause.rstrip(_TRAIL)
    if not c:
        return None
    if HANDOVER.search(c):
        return "question-handover", 0.9
    if NOT_QUESTION.search(c):
        return None
    if TAG.search(c):
        return "question-tag", 0.85
    if c.endswith("呢") and QWORD.search(sentence[-40:]):
        return "question-particle", 0.85
    if FINAL_QWORD.search(c) and not c.endswith(("的什么", "有什么")):
        return "question-word", 0.75
    return None


# --------------------------------------------------------------------------- the text


@dataclass
class Gap:
    """A place between two pieces of content: where a mark may go."""

    start: int  # doc offsets of the span a decision replaces (empty: an insertion point)
    end: int
    existing: str  # the marks in the span ("" for a space or a bare paragraph end)
    kind: str  # comma | space | lspace | para | period | question | fixed | none
    idx: int  # stream index of the last content character before it


def is_cjk(ch: str) -> bool:
    return bool(_CJK_RE.match(ch))


def is_latin(ch: str) -> bool:
    return bool(_LATIN_RE.match(ch))


def body_lines(text: str):
    """(offset, line) of every body line: not the title, headings, image lines, labels."""
    pos = 0
    for line in text.split("\n"):
        if line.strip() and not SKIP_LINE.match(line):
            yield pos, line
        elif line.strip():
            yield pos, None  # a line that ends the run
        pos += len(line) + 1


class Offsets:
    """Stream index → document offset (-1 for the separators the stream adds)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.starts: list[int] = []  # stream index where each part starts
        self.doc: list[int] = []  # its document offset (-1: a separator)
        self.n = 0

    def add(self, piece: str, doc_start: int) -> None:
        if piece:
            self.parts.append(piece)
            self.starts.append(self.n)
            self.doc.append(doc_start)
            self.n += len(piece)

    def __getitem__(self, i: int) -> int:
        j = bisect.bisect_right(self.starts, i) - 1
        return -1 if self.doc[j] < 0 else self.doc[j] + i - self.starts[j]

    def last(self) -> int:
        return self[self.n - 1] if self.n else -1


def build_runs(text: str):
    """Streams of content: [(stream, offsets, gaps)] — one per run of body paragraphs."""
    runs = []
    offs = Offsets()
    gaps: list[Gap] = []

    for lpos, line in body_lines(text):
        if line is None:
            if offs.n:
                runs.append(("".join(offs.parts), offs, gaps))
            offs, gaps = Offsets(), []
            continue
        content_end = len(line.rstrip())
        lead = i = len(line) - len(line.lstrip())
        for m in GAP.finditer(line, i, content_end):
            s, e = m.span()
            offs.add(line[i:s], lpos + i)
            i = e
            if not offs.n or s == lead:
                continue  # leading marks
            if e >= content_end:
                break  # trailing marks: the paragraph end below
            marks = m.group().strip(" \t\u3000")
            prev, nxt = line[s - 1], line[e]
            kind = _kind(marks, prev, nxt, at_end=False)
            if kind is None:
                offs.add(line[s:e], lpos + s)
                continue
            gaps.append(Gap(lpos + s, lpos + e, marks, kind, offs.n - 1))
            if is_latin(prev) and is_latin(nxt):
                offs.add("\n", -1)  # keep two Latin words separate tokens
        offs.add(line[i:content_end], lpos + i)
        if not offs.n:
            continue
        # the paragraph end: trailing marks (if any) up to the end of the content
        k = content_end
        while k > 0 and line[k - 1] in "，。？！、；：,?!;: \t\u3000":
            k -= 1
        marks = line[k:content_end].strip(" \t\u3000")
        if offs.last() >= lpos + k:  # the marks were taken as content (ASCII , . in numbers)
            marks, k = "", content_end
        kind = _kind(marks, "", "", at_end=True)
        if gaps and gaps[-1].idx == offs.n - 1:
            gaps.pop()
        gaps.append(Gap(lpos + k, lpos + content_end, marks, kind, offs.n - 1))
        offs.add("\n", -1)
    if offs.n:
        runs.append(("".join(offs.parts), offs, gaps))
    return runs


def _kind(marks: str, prev: str, nxt: str, at_end: bool) -> str | None:
    if any(c in marks for c in "？?"):
        return "question"
    if any(c in marks for c in "！!"):
        return "fixed"
    if any(c in marks for c in "、；：;:"):
        return "fixed"
    if "。" in marks:
        return "para" if at_end else "period"
    if marks:  # ， ,
        return "para" if at_end else "comma"
    if at_end:
        return "para"
    if is_cjk(prev) and is_cjk(nxt):
        return "space"
    if is_cjk(prev) or is_cjk(nxt):
        return "lspace"
    return None  # a space between Latin words: part of the text


# --------------------------------------------------------------------------- decisions


@dataclass
class Decision:
    mark: str  # the mark to stand here ("" for none)
    rule: str
    confidence: float


def _dist(marks: list[str], m) -> dict[str, float]:
    if m is None:
        return {}
    if len(m) == 1:
        return {"": m[0]}
    return dict(zip(marks, m, strict=False))


def decide_pause(d: dict[str, float], kind: str, cue: float = 0.0, end_logodds: float = END_LOGODDS) -> Decision:
    """The mark at an ASR pause from the model's distribution there and the cue shift."""
    if not d or len(d) == 1 and kind != "lspace":
        # inside a Latin phrase (no model decision) or the model sure of "no mark"
        p0 = d.get("", 0.0)
        if kind == "comma" and p0 > DROP_NONE:
            return Decision("", "pause-drop", p0)
        return Decision("，", "pause-comma", 0.6)
    p0 = d.get("", 0.0)
    pend = d.get("。", 0.0) + d.get("？", 0.0)
    pclause = d.get("，", 0.0) + d.get("、", 0.0)
    if kind == "lspace" and p0 > 0.5:
        return Decision("", "pause-space", p0)
    if kind in ("comma", "space") and p0 > DROP_NONE:
        return Decision("", "pause-drop", p0)
    z = math.log(pend + 1e-9) - math.log(pclause + 1e-9) + cue
    if z > end_logodds:
        conf = pend / (pend + pclause + 1e-9)
        return Decision("。", "pause-end", conf)
    conf = pclause / (pend + pclause + 1e-9)
    if pclause > 0 and d.get("、", 0.0) / pclause > ENUM:
        return Decision("、", "pause-enum", conf)
    return Decision("，", "pause-comma", conf)


def propose(doc: Document, ctx: Context) -> list[Change]:
    from cleanup.punctmodel import PunctuationModel, gc_paused

    model = PunctuationModel.load()
    text = doc.text
    runs = build_runs(text)
    tagged = model.token_marginals_many([run[0] for run in runs], [{g.idx for g in run[2]} for run in runs])
    changes: list[Change] = []
    with gc_paused():
        for (stream, offs, gaps), (toks, marks, margs) in zip(runs, tagged, strict=True):
            changes.extend(_punctuate_run(doc, text, model, stream, offs, gaps, toks, marks, margs))
    return changes


def _punctuate_run(doc, text, model, stream, offs, gaps, toks, marks, margs) -> list[Change]:
    """The Changes of one run given the model's marginals for its tokens."""
    gap_at = {g.idx: g for g in gaps}
    dist_at: dict[int, tuple] = {e - 1: m for (_s, e, _k), m in zip(toks, margs, strict=False)}
    end_logodds = END_LOGODDS_NN if model.neural_weight > 0 else END_LOGODDS
    # the mark after each stream index: the gaps first, then confident insertions
    chosen: dict[int, Decision] = {}
    for g in gaps:
        d = _dist(marks, dist_at.get(g.idx))
        if g.kind == "question":
            chosen[g.idx] = Decision("？", "keep", 1.0)
        elif g.kind == "fixed":
            chosen[g.idx] = Decision(g.existing, "keep", 1.0)
        elif g.kind == "period":
            chosen[g.idx] = Decision("。", "keep", 1.0)
        else:
            i = g.idx
            cue = cue_logodds(stream[max(0, i - 7) : i + 1].rstrip("\n"), stream[i + 1 : i + 8].lstrip("\n"))
            chosen[i] = decide_pause(d, g.kind, cue, end_logodds)
    gap_idx = sorted(gap_at)
    _insertions(stream, marks, toks, margs, gap_idx, chosen, end_logodds)
    _questions(model, stream, marks, dist_at, chosen)
    _cut_long(stream, marks, dist_at, chosen, gap_at)
    return _changes(doc, text, stream, offs, gap_at, chosen)


def _insertions(stream, marks, toks, margs, gap_idx, chosen, end_logodds) -> None:
    """Marks between pauses where the model is very confident, in long stretches only."""
    for (_s, e, _k), m in zip(toks, margs, strict=False):
        i = e - 1
        if len(m) == 1 or i in chosen or 1 - m[0] < INSERT:
            continue
        if i + 1 < len(stream) and not (is_cjk(stream[i + 1]) or is_latin(stream[i + 1])):
            continue
        j = bisect.bisect_left(gap_idx, i)
        before = i - (gap_idx[j - 1] if j else -1)
        after = (gap_idx[j] if j < len(gap_idx) else len(stream)) - i
        if min(before, after) < INSERT_GAP:
            continue
        cue = cue_logodds(stream[max(0, i - 7) : i + 1].rstrip("\n"), stream[i + 1 : i + 8].lstrip("\n"))
        dec = decide_pause(_dist(marks, m), "comma", cue, end_logodds)
        if dec.mark:
            chosen[i] = Decision(dec.mark, "model-insert", (1 - m[0]) * dec.confidence)


def _sentence_ends(chosen) -> list[int]:
    return sorted(i for i, d in chosen.items() if d.mark in ("。", "？", "！"))


def _questions(model, stream, marks, dist_at, chosen) -> None:
    """Spoken-question cues at every pause; the model's ？/。 split at sentence ends."""
    last_end = -1
    last_mark = -1
    for i in sorted(chosen):
        dec = chosen[i]
        if dec.rule == "keep" and dec.mark != "。":
            last_mark = i
            if dec.mark in "？！":
                last_end = i
            continue
        clause = stream[last_mark + 1 : i + 1].replace("\n", "")
        sentence = stream[last_end + 1 : i + 1].replace("\n", "")
        cue = question_rule(clause, sentence)
        if cue is not None and (dec.mark == "。" or cue[0] != "question-word"):
            chosen[i] = dec = Decision("？", cue[0], cue[1])
        elif dec.mark == "。" and dec.rule != "keep":
            d = _dist(marks, dist_at.get(i))
            tail = sentence[-20:]
            if QWORD.search(tail) and not NOT_QUESTION.search(tail):
                share = model.question_share(sentence[-60:], d.get("？", 0.0), d.get("。", 0.0))
                if share > 0.5:
                    chosen[i] = dec = Decision("？", "model-question", share)
        if dec.mark:
            last_mark = i
        if dec.mark in ("。", "？"):
            last_end = i


def _cut_long(stream, marks, dist_at, chosen, gap_at) -> None:
    """Cut sentences over MAX_SENTENCE at the pause (or else the position) likeliest to end."""
    marked = sorted(i for i, d in chosen.items() if d.mark)
    newline = [0]
    for ch in stream:  # prefix counts of stream "\n" (not displayed)
        newline.append(newline[-1] + (ch == "\n"))

    def length(a: int, b: int) -> int:
        n = (b - a) - (newline[b + 1] - newline[a + 1])
        return n + bisect.bisect_left(marked, b) - bisect.bisect_right(marked, a)

    def p_end(i: int) -> float:
        d = _dist(marks, dist_at.get(i))
        return d.get("。", 0.0) + d.get("？", 0.0)

    previous: dict[int, Decision | None] = {}
    ends = _sentence_ends(chosen)
    # the sentences in order, each cut depth first with its left part first: a stack, as a
    # recursive closure would be a reference cycle keeping the run's data alive until the
    # cyclic GC runs
    todo = list(zip([-1, *ends], [*ends, len(stream) - 1], strict=True))[::-1]
    while todo:
        a, b = todo.pop()
        if length(a, b) <= MAX_SENTENCE:
            continue
        inner = range(a + MIN_PART, b - MIN_PART + 1)
        best = max((i for i in inner if i in gap_at), key=p_end, default=None)
        if best is None:
            best = max((i for i in inner if i in dist_at), key=p_end, default=None)
        if best is None:
            continue
        previous[best] = chosen.get(best)
        if previous[best] is None or not previous[best].mark:
            bisect.insort(marked, best)
        chosen[best] = Decision("。", "long-sentence", round(min(0.9, 0.5 + p_end(best)), 3))
        todo += [(best, b), (a, best)]
    # drop the cuts that later cuts made unnecessary (so a second run finds the same ones)
    ends = _sentence_ends(chosen)
    for i in sorted(previous, key=p_end):
        k = bisect.bisect_left(ends, i)
        a = ends[k - 1] if k else -1
        b = ends[k + 1] if k + 1 < len(ends) else len(stream) - 1
        was = previous[i]
        if length(a, b) - (0 if was and was.mark else 1) <= MAX_SENTENCE:
            if was is None or not was.mark:
                marked.remove(i)
            if was is None:
                del chosen[i]
            else:
                chosen[i] = was
            if chosen.get(i) is None or chosen[i].mark not in ("。", "？", "！"):
                ends.pop(k)


def _changes(doc, text, stream, offs, gap_at, chosen) -> list[Change]:
    out: list[Change] = []
    for i, dec in sorted(chosen.items()):
        g = gap_at.get(i)
        if g is not None:
            if dec.rule == "keep":
                continue
            current = text[g.start : g.end]
            if current == dec.mark:
                continue
            if g.kind == "lspace" and not dec.mark:
                continue
            start, end = g.start, g.end
            after = dec.mark
            if g.kind == "para" and not dec.mark:
                after = ""
            if not doc.is_original(start, end):
                continue
            out.append(Change(start, end, after, dec.rule, round(dec.confidence, 3)))
        else:
            pos = offs[i] + 1
            if offs[i] < 0 or not doc.is_original(pos, pos):
                continue
            # a space after a Latin token before Chinese is taken by the mark
            end = pos
            while end < len(text) and text[end] in " \t" and end + 1 < len(text) and is_cjk(text[end + 1]):
                end += 1
            out.append(Change(pos, end, dec.mark, dec.rule, round(dec.confidence, 3)))
    return out


# --------------------------------------------------------------------------- held-out check


def held_out_marks(lines: list[str]) -> list[tuple[list[str], list[str]]]:
    """(gold, stage) marks per character for punctuated corpus lines, as an ASR would give
    them to the stage: every mark of the line replaced by a pause comma (the ASR pauses at
    each), one raw paragraph per line. Scored by ``punctmodel.score_marks``."""
    from cleanup.context import Context
    from cleanup.document import Source
    from cleanup.punctmodel import strip_punctuation

    golds, raws = [], []
    for line in lines:
        text, gold = strip_punctuation(line)
        if text.strip():
            golds.append((text, gold))
            raws.append("".join(ch + ("，" if m else "") for ch, m in zip(text, gold, strict=True)))
    doc = Document(Source.from_text("# held-out\n\n" + "\n\n".join(raws) + "\n"))
    doc.apply("punctuate", propose(doc, Context()))
    out = []
    for (text, gold), para in zip(golds, doc.text.split("\n\n")[1:], strict=True):
        predicted = [""] * len(text)
        k = -1
        for ch in para.rstrip("\n"):
            if ch in "，。？！、":
                predicted[k] = ch
                continue
            k += 1
            while k < len(text) and text[k] != ch:  # a space the stage took
                k += 1
        out.append((gold, predicted))
    return out

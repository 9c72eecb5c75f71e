"""speakers: the output layout — title, speaker turns, paragraphs — as edits.

Runs last, once punctuate has chosen the sentence marks (which are guesses: no cue relies on
them alone). The text is cut into clauses at marks and line breaks (`cleanup.speakers.clauses`);
cues (`cleanup.speakers.cues`) propose turn starts, each with a score and a hint about who
speaks next; the strongest become turns, labelled from the names the text, its title and the
talk overlay give (`cleanup.speakers.roster`, `cleanup.speakers.segment`). A text without
two independent signs of several speakers is a talk: one label. The overlay's `overrides:`
apply last. Long turns are split into paragraphs at sentence ends.

Everything the reader sees — the raw ASR breaks removed, `\n\n**label**：` inserted, a
turn's trailing comma made a full stop, whitespace tidied — is an edit whose rule, confidence
and note name the cue (`turn:handover-name`, note `邓老师有什么看法`).
"""

from __future__ import annotations

import bisect
import itertools
import re

from cleanup.context import Context
from cleanup.document import Change, Document
from cleanup.speakers.clauses import MARKS, SOFT_MARKS, WS, Clause, Turn, merge_turns, split_clauses
from cleanup.speakers.roster import SOLO, SURNAMES, speakers_section, title_people
from cleanup.speakers.segment import segment

# Paragraph lengths in characters: a turn longer than PARA_MAX is split into paragraphs of about PARA_TARGET.
PARA_MIN, PARA_TARGET, PARA_MAX = 150, 260, 400


def propose(doc: Document, ctx: Context) -> list[Change]:
    """The layout as edits: the title, `**label**：` where a turn starts, paragraphs. A text
    already laid out (our own output) keeps its turns; the overlay's overrides apply either way."""
    text = doc.text
    title_start, title_end = _title_span(text)
    clauses = split_clauses(text, title_end)
    overlay = _overlay(ctx)
    turns: list[Turn] = []
    if clauses and clauses[0].label:  # already laid out (our own output): keep its turns
        prev = None
        for i, c in enumerate(clauses):
            if c.label:
                turns.append(Turn(i, c.label, "turn:existing", 1.0, "label already in the text"))
                prev = c.label
            elif i and "\n\n" in text[clauses[i - 1].end : c.start]:  # an unlabelled paragraph: its own
                turns.append(Turn(i, prev, "paragraph:existing", 1.0, "paragraph already in the text"))
        turns = _apply_overrides(turns, clauses, overlay, doc)
    elif clauses:
        title = text[title_start:title_end] if title_end else ""
        turns = segment(clauses, overlay, title, _word_test(ctx))
        if not turns:
            turns = [Turn(0, _solo_label(title, overlay), "turn:single-speaker", 0.9, "no hand-over cues: one speaker")]
        turns = _apply_overrides(turns, clauses, overlay, doc)
        turns = _paragraphs(merge_turns(turns), clauses, text)
    existing = bool(clauses) and clauses[0].label is not None
    return _Layout(doc, ctx.talk or "transcript", fix_marks=not existing).changes(
        title_start, title_end, clauses, turns
    )


def _title_span(text: str) -> tuple[int, int]:
    """(start, end) of the title line (`# …` as the first non-blank line), or (0, 0)."""
    stripped = text.lstrip(WS)
    if stripped.startswith("# ") or stripped.startswith("#\t"):
        start = len(text) - len(stripped)
        nl = text.find("\n", start)
        return start, (len(text) if nl < 0 else nl)
    return 0, 0


def _overlay(ctx: Context) -> dict:
    """The talk overlay, or {} when there is none or it is broken."""
    try:
        overlay = ctx.talk_overlay
    except Exception:  # a broken overlay is the glossary stage's to report
        return {}
    return overlay if isinstance(overlay, dict) else {}


def _word_test(ctx: Context):
    """`is_word(w)`: w is one word of the segmenter's dictionary (开发, 大家; not a given name like 明远)."""
    try:
        cut = ctx.segmenter
    except Exception:  # pragma: no cover - rjieba is a dependency
        return None
    return lambda w: list(cut(w)) == [w]


def _solo_label(title: str, overlay: dict) -> str:
    """The overlay's speaker, a name with a title in the talk's title (张三教授), or 主讲人."""
    speakers = speakers_section(overlay)
    for key in ("speaker", "moderator"):
        if speakers.get(key):
            return str(speakers[key])
    if m := re.search(r"(?:主讲人?|讲者|嘉宾)[:：]\s*([\u4e00-\u9fff]{2,4})", title):
        return m.group(1)
    if len(people := title_people(title)) == 1:  # 主题报告-周明远
        return people[0]
    if m := re.search(r"(?<![\u4e00-\u9fff])([\u4e00-\u9fff]{2,3}(?:教授|老师|博士|院士|研究员))", title):
        if m.group(1)[0] in SURNAMES:
            return m.group(1)
    return SOLO


def _apply_overrides(turns: list[Turn], clauses: list[Clause], overlay: dict, doc: Document) -> list[Turn]:
    """`overrides: [{at: "snippet", speaker: X}]`: X speaks from the clause the snippet starts in.

    The snippet is matched on letters only (marks and spaces ignored) in the current text, or
    failing that in the source (an earlier stage may have corrected a word inside it).
    """
    overrides = speakers_section(overlay).get("overrides") or []
    if not overrides:
        return turns
    flat, owner = [], []
    for i, c in enumerate(clauses):
        for ch in c.text:
            if ch.isalnum():
                flat.append(ch)
                owner.append(i)
    flat_text = "".join(flat)
    starts = [c.start for c in clauses]
    by_clause = {t.clause: t for t in turns}
    for o in overrides:
        if not isinstance(o, dict):
            continue
        at, who = _letters(str(o.get("at", ""))), str(o.get("speaker", "")).strip()
        if not at or not who:
            continue
        pos = flat_text.find(at)
        if pos >= 0:
            i = owner[pos]
        else:
            cur = _source_to_current(doc, at)
            if cur is None:
                continue
            i = max(0, bisect.bisect_right(starts, cur) - 1)
        by_clause[i] = Turn(i, who, "turn:override", 1.0, f"editor override at {o.get('at')!r}")
    return [by_clause[i] for i in sorted(by_clause)]


def _letters(s: str) -> str:
    return "".join(ch for ch in s if ch.isalnum())


def _source_to_current(doc: Document, letters: str) -> int | None:
    """Current-text offset of the first letter of `letters` found in the source, if any."""
    src = doc.source.text
    idx = [k for k, ch in enumerate(src) if ch.isalnum()]
    pos = "".join(src[k] for k in idx).find(letters)
    if pos < 0:
        return None
    target = idx[pos]
    shift = 0
    for e in doc.applied_edits:  # replay order is source order
        if e.end <= target:
            shift += len(e.after) - (e.end - e.start)
        elif e.start <= target:
            return e.start + shift
    return target + shift


def _paragraphs(turns: list[Turn], clauses: list[Clause], text: str) -> list[Turn]:
    """Split each turn longer than PARA_MAX into paragraphs of ~PARA_TARGET at sentence ends."""
    out: list[Turn] = []
    bounds = [t.clause for t in turns] + [len(clauses)]

    def length(a: int, b: int) -> int:
        return clauses[b - 1].end - clauses[a].start

    for t, end in zip(turns, bounds[1:], strict=True):
        out.append(t)
        start = t.clause
        if length(start, end) <= PARA_MAX:
            continue
        para_start = start
        for i in range(start + 1, end):
            if not clauses[i - 1].sentence_end:
                continue
            cur = length(para_start, i)
            if length(i, end) < PARA_MIN * 0.6:
                break
            nxt_end = next((k for k in range(i + 1, end) if clauses[k - 1].sentence_end), end)
            grows_too_long = cur + length(i, nxt_end) > PARA_MAX
            shift = bool(
                re.match(r"(?:然后|所以|另外|第二|第三|其次|最后|但是|那么|当然|总之|包括|比如说)", clauses[i].text)
            )
            if cur >= PARA_TARGET or (cur >= PARA_MIN and (shift or grows_too_long)):
                out.append(Turn(i, t.label, "paragraph:split", 0.9, f"{cur} characters"))
                para_start = i
    return out


# ----------------------------------------------------------------------- layout


class _Layout:
    """Edits that turn the current text into title + labelled paragraphs, touching only source."""

    def __init__(self, doc: Document, stem: str, fix_marks: bool = True) -> None:
        self.doc = doc
        self.fix_marks = fix_marks  # end each paragraph with a sentence mark (not when re-run on our output)
        self.text = doc.text
        self.stem = stem
        spans = sorted(doc.edited_spans())
        self.edited = spans
        self.edited_starts = [s for s, _ in spans]
        self.out: list[Change] = []

    def original_pieces(self, start: int, end: int) -> list[tuple[int, int]]:
        """Maximal sub-spans of [start, end) that are untouched source text."""
        cuts = {start, end}
        blocked = []
        i = max(0, bisect.bisect_left(self.edited_starts, start) - 1)
        while i < len(self.edited) and self.edited[i][0] <= end:
            a, b = self.edited[i]
            if b > start or a >= start:
                cuts.update(x for x in (a, b) if start <= x <= end)
                if b > a:
                    blocked.append((a, b))
            i += 1
        points = sorted(cuts)
        pieces = []
        for a, b in itertools.pairwise(points):
            if a < b and not any(x <= a and b <= y for x, y in blocked) and self.doc.is_original(a, b):
                pieces.append((a, b))
        return pieces

    def replace(self, start: int, end: int, after: str, rule: str, conf: float = 1.0, note: str = "") -> None:
        pieces = self.original_pieces(start, end) if end > start else []
        if not pieces:
            if after:
                for p in (start, end):
                    if self.doc.is_original(p, p):
                        self.out.append(Change(p, p, after, rule, conf, note=note))
                        return
            return
        first = True
        for a, b in pieces:
            new = after if first else ""
            first = False
            if self.text[a:b] != new:
                self.out.append(Change(a, b, new, rule, conf, note=note))

    def changes(self, title_start: int, title_end: int, clauses: list[Clause], turns: list[Turn]) -> list[Change]:
        text = self.text
        # the title
        if title_end:
            self.replace(0, title_start, "", "layout:whitespace")
            t = text[title_start:title_end]
            stripped = t.rstrip(" \t\u3000")
            self.replace(title_start + len(stripped), title_end, "", "layout:whitespace", note="trailing spaces")
        else:
            self.replace(0, 0, f"# {self.stem}\n\n", "layout:title", 0.8, "no title line: the file name")
        if not clauses:
            self.tail(title_end, len(text))
            return self.out
        by_clause = {t.clause: t for t in turns}
        # before the first paragraph
        first = by_clause.get(0) or Turn(0, SOLO, "turn:single-speaker", 0.9, "")
        head = "\n\n" if title_end else ""
        self.separator(title_end, clauses[0].start, head + f"**{first.label}**：", first)
        for i in range(1, len(clauses)):
            prev, cur = clauses[i - 1], clauses[i]
            turn = by_clause.get(i)
            if turn is None:
                self.join(prev, cur)
            else:
                self.boundary(prev, cur, turn)
        self.tail(clauses[-1].end, len(text))
        return self.out

    def separator(self, start: int, end: int, sep: str, turn: Turn) -> None:
        """Replace whatever lies in [start, end) (whitespace, image lines) by `sep`."""
        if self.original_pieces(start, end) if end > start else []:
            self.replace(start, end, sep, turn.rule, turn.confidence, turn.note)
        else:
            self.replace(end, end, sep, turn.rule, turn.confidence, turn.note)

    def join(self, prev: Clause, cur: Clause) -> None:
        """Inside a paragraph: line breaks go, stray spaces beside Chinese marks go."""
        gap = self.text[prev.end : cur.start]
        if not gap or not any(ch in WS for ch in gap):
            return
        for m in re.finditer(r"[ \t\u3000\n]+|!\[[^\]\n]*\]\([^)\n]*\)", gap):
            a, b = prev.end + m.start(), prev.end + m.end()
            run = m.group()
            if run.startswith("!"):
                self.replace(a, b, "", "layout:image-line", note="Markdown image lines are not part of the talk")
                continue
            left = self.text[a - 1] if a > 0 else ""
            right = self.text[b] if b < len(self.text) else ""
            if "\n" not in run and not (left in MARKS or right in MARKS):
                continue  # a space inside Latin text
            keep = " " if (left.isascii() and left.isalnum() and right.isascii() and right.isalnum()) else ""
            if run != keep:
                self.replace(a, b, keep, "layout:join-lines" if "\n" in run else "layout:whitespace")

    def boundary(self, prev: Clause, cur: Clause, turn: Turn) -> None:
        """A new paragraph at `cur`: end the last one with a sentence mark, then `\\n\\n**X**：`."""
        gap_start, gap_end = prev.end, cur.start
        gap = self.text[gap_start:gap_end]
        marks = [gap_start + k for k, ch in enumerate(gap) if ch in MARKS]
        if marks:
            last = marks[-1]
            ch = self.text[last]
            if self.fix_marks and ch in SOFT_MARKS and self.doc.is_original(last, last + 1):
                mark = "？" if _is_question(prev.text) else "。"
                self.out.append(
                    Change(last, last + 1, mark, "layout:turn-end-mark", 0.7, note=f"{ch} before a new paragraph")
                )
            after_marks = last + 1
        else:
            after_marks = gap_start
            if self.fix_marks and prev.text and prev.text[-1].isalnum() and self.doc.is_original(gap_start, gap_start):
                mark = "？" if _is_question(prev.text) else "。"
                self.out.append(
                    Change(
                        gap_start, gap_start, mark, "layout:turn-end-mark", 0.6, note="no mark before a new paragraph"
                    )
                )
        # whitespace before the marks: drop it
        for m in re.finditer(r"[ \t\u3000\n]+|!\[[^\]\n]*\]\([^)\n]*\)", self.text[gap_start:after_marks]):
            self.replace(gap_start + m.start(), gap_start + m.end(), "", "layout:whitespace")
        self.separator(after_marks, gap_end, f"\n\n**{turn.label}**：", turn)

    def tail(self, start: int, end: int) -> None:
        """After the last words: keep the marks, end in exactly one newline."""
        k = start
        while k < end and self.text[k] not in WS and self.text[k] != "!":
            k += 1
        if self.text[k:end] != "\n":
            self.replace(k, end, "\n", "layout:final-newline")


def _is_question(clause: str) -> bool:
    return bool(re.search(r"(吗|呢|是吧|对吧|对不对|是不是|有没有|怎么看|什么样|什么|为什么|怎么样|哪)$", clause))

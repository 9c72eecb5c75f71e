"""Clauses, the unit a turn starts at, and turns: who speaks from which clause on.

A clause is the words between sentence marks, line breaks and the pauses the ASR writes as a
space between Chinese words; its offsets are the current text's, so the layout can edit there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cleanup.speakers.cues import ASKED, QUESTION_END

CJK = "\u4e00-\u9fff"  # a character class: Chinese characters
MARKS = "，。？！；、,?!;"  # the marks clauses are cut at
END_MARKS = "。？！?!"  # marks that end a sentence
SOFT_MARKS = "，、,；;"  # marks a paragraph should not end with
WS = " \t\u3000\n"

# Markdown image lines (slides in the transcript): no words of the talk.
IMAGE_LINE = re.compile(r"^[ \t]*!\[[^\]\n]*\]\([^)\n]*\)[ \t]*$", re.M)

# A `**X**：` label of our own output (a re-run keeps its turns).
EXISTING_LABEL = re.compile(r"^[ \t]*\*\*([^*\n]{1,24})\*\*[ \t]*[：:][ \t]*", re.M)
_CLAUSE = re.compile(rf"[^{MARKS}{WS}](?:[^{MARKS}\n]*[^{MARKS}{WS}])?")
_CJK_SPACE = re.compile(rf"(?<=[{CJK}])[ \t\u3000]+(?=[{CJK}])")


@dataclass
class Clause:
    start: int  # current-text offsets of the words, without marks or spaces
    end: int
    text: str
    sentence_end: bool = False  # a sentence mark (。？！) follows
    question: bool = False  # a question mark follows, or it ends like a question
    label: str | None = None  # a `**X**：` label already in the text opens this clause


@dataclass
class Turn:
    clause: int  # index of the first clause
    label: str
    rule: str
    confidence: float
    note: str


def split_clauses(text: str, body_start: int) -> list[Clause]:
    """The clauses of `text` from `body_start` (after the title), with what follows each:
    a sentence end, a question (by its mark or its words: the marks are guesses)."""
    out: list[Clause] = []
    images = [(m.start(), m.end()) for m in IMAGE_LINE.finditer(text, body_start)]
    labels = {m.start(): m for m in EXISTING_LABEL.finditer(text, body_start)}
    for m in _CLAUSE.finditer(text, body_start):
        if any(a <= m.start() < b for a, b in images):
            continue
        pos, words, label = m.start(), m.group(), None
        if pos in labels or (m.start() - 1 in labels and text[m.start() - 1] in " \t"):
            lm = labels.get(pos) or labels[m.start() - 1]
            label, words, pos = lm.group(1).strip(), text[lm.end() : m.end()], lm.end()
            if not words.strip():
                continue
        for piece in _CJK_SPACE.split(words):  # a space between Chinese words is a pause
            s = text.index(piece, pos)
            out.append(Clause(s, s + len(piece), piece, label=label))
            label = None
            pos = s + len(piece)
    for k, c in enumerate(out):
        nxt = out[k + 1] if k + 1 < len(out) else None
        gap = text[c.end : nxt.start if nxt else len(text)]
        c.sentence_end = nxt is None or any(ch in END_MARKS for ch in gap)
        c.question = "？" in gap or "?" in gap or bool(QUESTION_END.search(c.text)) or bool(ASKED.search(c.text))
    return out


def merge_turns(turns: list[Turn]) -> list[Turn]:
    """Consecutive turns of one label as one turn (the first)."""
    merged: list[Turn] = []
    for t in turns:
        if merged and merged[-1].label == t.label:
            continue
        merged.append(t)
    return merged

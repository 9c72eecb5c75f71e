"""normalize: script, width, number and spacing fixes, hesitation fillers, image lines.

Each fix is its own named rule so the log says exactly why a character changed.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from cleanup.context import Context
from cleanup.document import Change, Document

CJK = r"\u4e00-\u9fff"
IMAGE_LINE = re.compile(r"^[ \t]*!\[[^\]\n]*\]\([^)\n]*\)[ \t]*(?:\n|$)", re.M)
FULLWIDTH_ALNUM = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+")
# 。 between digits, with the numbers on both sides: a number has at most one decimal point
DIGIT_STOP_DIGIT = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)。(?=(\d+(?:\.\d)?))")
# A space between Chinese and Latin/digits: Chinese publishing style writes them together.
ALNUM = r"A-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"  # full-width too: they become half-width
CJK_LATIN_SPACE = re.compile(rf"(?<=[{CJK}])[ \t]+(?=[{ALNUM}])|(?<=[{ALNUM}%])[ \t]+(?=[{CJK}])")
MULTI_SPACE = re.compile(r"(?<=[A-Za-z0-9,.])[ \t]{2,}(?=[A-Za-z0-9])")
# 呃/嗯 are always hesitations in a transcript; 啊 only at the start of a clause (a
# sentence-final 啊 as in 这是我的经验啊 is a particle and stays).
# The separator after a filler goes with it, spaces included (else a space left between a
# number and Chinese would be a second run's edit).
FILLER = re.compile(r"[呃嗯]+(?:[，,][ \t]*|[ \t]+)?")
CLAUSE_START_AH = re.compile(r"(?:^|(?<=[，。？！ \n]))啊+[，, \t]", re.M)


def propose(doc: Document, ctx: Context) -> list[Change]:
    text = doc.text
    changes: list[Change] = []
    taken = bytearray(len(text))  # characters an earlier rule of this stage already claimed

    def add(start: int, end: int, after: str, rule: str, note: str = "") -> None:
        if any(taken[start:end]) or not doc.is_original(start, end):
            return
        taken[start:end] = b"\x01" * (end - start)
        changes.append(Change(start, end, after, rule, note=note))

    for m in IMAGE_LINE.finditer(text):
        add(m.start(), m.end(), "", "image-line", "Markdown image lines are not part of the talk")
    for start, end, after in _t2s_changes(text):
        add(start, end, after, "t2s", "traditional → simplified (OpenCC t2s)")
    for m in FULLWIDTH_ALNUM.finditer(text):
        half = "".join(chr(ord(c) - 0xFEE0) for c in m.group())
        add(m.start(), m.end(), half, "fullwidth-alnum")
    for m in DIGIT_STOP_DIGIT.finditer(text):
        if "." not in m.group(1) + m.group(2):
            add(m.end(1), m.end(), ".", "decimal-point", "。 between digits is a misheard decimal point")
    for m in FILLER.finditer(text):
        start, end = _filler_span(text, m.start(), m.end())
        add(start, end, "", "filler", "hesitation filler")
    for m in CLAUSE_START_AH.finditer(text):
        add(m.start(), m.end(), "", "filler-ah", "clause-initial 啊 is a hesitation")
    for m in CJK_LATIN_SPACE.finditer(text):
        add(m.start(), m.end(), "", "cjk-latin-space")
    for m in MULTI_SPACE.finditer(text):
        add(m.start(), m.end(), " ", "multi-space")
    return changes


def _filler_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a filler so no stray comma is left: `，嗯。` → `。`, `，嗯，` → `，`."""
    if text[end - 1] not in "，, \t" and start > 0 and text[start - 1] in "，,":
        return start - 1, end
    return start, end


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def _t2s_changes(text: str) -> list[tuple[int, int, str]]:
    """OpenCC t2s per line; report only the characters that actually changed."""
    converted = _converter().convert(text)
    if converted == text:
        return []
    out: list[tuple[int, int, str]] = []
    if len(converted) == len(text):
        i = 0
        while i < len(text):
            if text[i] != converted[i]:
                j = i
                while j < len(text) and text[j] != converted[j]:
                    j += 1
                out.append((i, j, converted[i:j]))
                i = j
            else:
                i += 1
        return out
    matcher = difflib.SequenceMatcher(None, text, converted, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "equal":
            out.append((i1, i2, converted[j1:j2]))
    return out

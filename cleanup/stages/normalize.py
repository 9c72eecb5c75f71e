"""normalize: script, width, number and spacing fixes, hesitation fillers, image lines.

Each fix is its own named rule so the log says exactly why a character changed.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from cleanup.context import Context
from cleanup.document import Change, Document, Source

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
# number and Chinese would be a second run's edit), and so does a run of them (嗯，呃).
FILLER = re.compile(r"(?:[呃嗯]+(?:[，,][ \t]*|[ \t]+)?)+")
CLAUSE_START_AH = re.compile(r"(?:^|(?<=[，。？！ \n]))啊+[，, \t]", re.M)


def propose(doc: Document, ctx: Context) -> list[Change]:
    """The fixes of every rule, the first rule to claim a character winning. The rules run
    again on the text their fixes leave until they find nothing new: a filler removed can
    put a space between Chinese and Latin, or a 。 between two digits, and a second run of
    the pipeline must find nothing to do."""
    text = doc.text
    changes: list[Change] = []
    taken = bytearray(len(text))  # characters an earlier fix of this stage already claimed
    fixed = Document(Source.from_text(text))  # the text as the fixes so far leave it
    while True:
        here = []  # the new fixes in fixed.text; in text they join `changes`
        for a, b, after, rule, note in _fixes(fixed.text):
            span = fixed.source_span(a, b)
            if span is None or any(taken[span[0] : span[1]]) or not doc.is_original(*span):
                continue
            taken[span[0] : span[1]] = b"\x01" * (b - a)
            here.append(Change(a, b, after, rule, note=note))
            changes.append(Change(*span, after, rule, note=note))
        if not here:
            return changes
        fixed.apply("normalize", here)


def _fixes(text: str):
    """``(start, end, after, rule, note)`` of every rule's matches, in rule order."""
    for m in IMAGE_LINE.finditer(text):
        yield m.start(), m.end(), "", "image-line", "Markdown image lines are not part of the talk"
    for start, end, after in _t2s_changes(text):
        yield start, end, after, "t2s", "traditional → simplified (OpenCC t2s)"
    for m in FULLWIDTH_ALNUM.finditer(text):
        yield m.start(), m.end(), "".join(chr(ord(c) - 0xFEE0) for c in m.group()), "fullwidth-alnum", ""
    for m in DIGIT_STOP_DIGIT.finditer(text):
        if "." not in m.group(1) + m.group(2):
            yield m.end(1), m.end(), ".", "decimal-point", "。 between digits is a misheard decimal point"
    for m in FILLER.finditer(text):
        yield *_filler_span(text, m.start(), m.end()), "", "filler", "hesitation filler"
    for m in CLAUSE_START_AH.finditer(text):
        yield m.start(), m.end(), "", "filler-ah", "clause-initial 啊 is a hesitation"
    for m in CJK_LATIN_SPACE.finditer(text):
        yield m.start(), m.end(), "", "cjk-latin-space", ""
    for m in MULTI_SPACE.finditer(text):
        yield m.start(), m.end(), " ", "multi-space", ""


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

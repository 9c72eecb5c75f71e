"""punctuate: turn the ASR's pause marks into sentences.

Raw ASR text puts a comma (or a space, or an arbitrary paragraph break) at every pause and
hardly ever a full stop. Every pause is a candidate boundary; this stage decides per pause
whether it ends a question (？), a sentence (。) or just a clause (，).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cleanup.context import Context
from cleanup.document import Change, Document

# A pause: an ASR comma/stop, a space between two Chinese characters, or the end of a line.
PAUSE = re.compile(r"[，。,]|(?<=[\u4e00-\u9fff])[ \t]+(?=[\u4e00-\u9fff])|(?=\n)|$")
QUESTION_END = re.compile(
    r"(有什么(?:看法|观点|想法|建议|问题)|吗|呢|对吧|是吧|好吧|是不是|有没有|对不对|能不能|会不会|要不要|行不行|为什么|怎么样|怎么看|什么样|"
    r"什么|哪里|哪儿|哪些|哪个|多少|谁)$"
)
NOT_QUESTION = re.compile(r"(不知道|没有什么|不管|无论|什么的|怎么说呢|就是说|比如说)")
SENTENCE_OPENERS = (
    "所以", "然后", "但是", "但", "其实", "我觉得", "我认为", "那么", "那", "好", "对", "因为", "当然",
    "首先", "第二", "第三", "最后", "另外", "而且", "包括", "比如", "就是说", "我们", "我", "这个", "现在",
)
MIN_SENTENCE = 24
MAX_SENTENCE = 90


@dataclass
class Pause:
    start: int
    end: int
    clause: str  # the clause that ends at this pause
    next_clause: str


def propose(doc: Document, ctx: Context) -> list[Change]:
    text = doc.text
    changes: list[Change] = []
    for line_start, line in _body_lines(text):
        sentence_len = 0
        for pause in _pauses(line):
            sentence_len += len(pause.clause)
            mark, rule, confidence = _decide(pause, sentence_len)
            if mark in "。？":
                sentence_len = 0
            start, end = line_start + pause.start, line_start + pause.end
            if text[start:end] == mark or not doc.is_original(start, end):
                continue
            changes.append(Change(start, end, mark, rule, confidence))
    return changes


def _body_lines(text: str):
    pos = 0
    for line in text.split("\n"):
        if line.strip() and not line.startswith("#") and not line.lstrip().startswith("!["):
            yield pos, line
        pos += len(line) + 1


def _pauses(line: str) -> list[Pause]:
    found = [(m.start(), m.end()) for m in PAUSE.finditer(line)]
    pauses, prev = [], 0
    for i, (start, end) in enumerate(found):
        clause = line[prev:start].strip()
        nxt_end = found[i + 1][0] if i + 1 < len(found) else len(line)
        if clause:
            pauses.append(Pause(start, end, clause, line[end:nxt_end].strip()))
        prev = end
    return pauses


def _decide(pause: Pause, sentence_len: int) -> tuple[str, str, float]:
    clause = pause.clause.rstrip("啊呀")
    if QUESTION_END.search(clause) and not NOT_QUESTION.search(clause):
        return "？", "question-particle", 0.8
    if not pause.next_clause:
        return "。", "line-end", 0.7
    if sentence_len >= MAX_SENTENCE:
        return "。", "long-sentence", 0.6
    if sentence_len >= MIN_SENTENCE and pause.next_clause.startswith(SENTENCE_OPENERS):
        return "。", "sentence-opener", 0.6
    return "，", "pause-comma", 0.9

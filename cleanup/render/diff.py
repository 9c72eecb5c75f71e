"""Unified diff input → output, one sentence per line so a reviewer can read it."""

from __future__ import annotations

import difflib
import re

SENTENCE_END = re.compile(r"(?<=[。？！?!])(?![。？！?!”」）\n])")


def sentence_lines(text: str) -> list[str]:
    """Split at newlines and after sentence-final marks; keep every character."""
    lines = []
    for line in text.splitlines(keepends=True):
        parts = SENTENCE_END.split(line)
        lines.extend(p if p.endswith("\n") else p + "\n" for p in parts if p)
    return lines


def render_diff(before: str, after: str, before_name: str, after_name: str) -> str:
    return "".join(difflib.unified_diff(sentence_lines(before), sentence_lines(after), before_name, after_name, n=1))

"""`cleanup glossary suggest FILE...`: spans that look like misrecognitions of glossary terms.

For an editor to promote to variants. Each transcript is read, the glossary's known variants
are applied first (what is already listed is not suggested again), then the phonetic stage's
candidate generation and scoring run with a low bar; hits are grouped by (heard span, term)
across all files and ranked by their best log-odds plus a bonus for recurring. Frequent Latin
words that neither the glossary nor the LM's corpora know (TOGANIZATION, debution) are listed
too, without a term: the editor decides what they are.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

LATIN_WORDS = re.compile(r"[A-Za-z][A-Za-z\-]*[A-Za-z]")


@dataclass
class Suggestion:
    kind: str  # "variant": a likely misrecognition of `term`; "unknown": a Latin word nobody knows
    text: str  # as heard, exactly as in the transcript
    term: str  # the glossary term it probably is ("" for unknown Latin words)
    count: int  # occurrences over all files
    score: float  # ranking: best log10 odds + log2(count)
    confidence: float  # of the best occurrence, as the phonetic stage would report it
    contexts: list[str] = field(default_factory=list)  # up to 3 "…before[heard]after…" snippets
    files: list[str] = field(default_factory=list)


def suggest(paths: list[str | Path], ctx=None, *, limit: int = 40, min_odds: float = -1.0) -> list[Suggestion]:
    """Ranked suggestions for the transcripts `paths` (raises document.InputError on bad input)."""
    from cleanup.context import Context
    from cleanup.document import Document, Source
    from cleanup.stages import glossary as glossary_stage
    from cleanup.stages import phonetic

    ctx = ctx or Context()
    groups: dict[tuple[str, str], list] = defaultdict(list)
    latin: Counter = Counter()
    latin_ctx: dict[str, list[tuple[str, str]]] = defaultdict(list)
    known = {
        w.lower() for e in ctx.glossary.entries for t in [e.term, *(v.text for v in e.variants)] for w in _words(t)
    }
    saved = phonetic.PROPOSE
    phonetic.PROPOSE = min_odds  # keep the weak ones too: an editor reads this list
    try:
        for path in paths:
            source = Source.read(path)
            doc = Document(source)
            doc.apply("glossary", glossary_stage.propose(doc, ctx))
            text = doc.text
            for c in phonetic.find(text, ctx, doc.is_original):
                if c.kind == "case":
                    continue
                groups[(text[c.start : c.end], c.term)].append((c.odds, _snippet(text, c.start, c.end), str(path)))
            for m in LATIN_WORDS.finditer(text):
                w = m.group()
                if w.lower() in known or len(w) < 4 or w.lower() in ctx.lm.model:
                    continue
                latin[w] += 1
                latin_ctx[w].append((_snippet(text, m.start(), m.end()), str(path)))
    finally:
        phonetic.PROPOSE = saved
    out = []
    for (heard, term), hits in groups.items():
        best = max(h[0] for h in hits)
        out.append(
            Suggestion(
                "variant",
                heard,
                term,
                len(hits),
                best + math.log2(len(hits)),
                1 / (1 + 10 ** (-best)),
                [h[1] for h in sorted(hits, reverse=True)[:3]],
                sorted({h[2] for h in hits}),
            )
        )
    matched = {s.text for s in out}
    for w, n in latin.items():
        if n >= 2 and w not in matched:  # not already suggested as a variant of a term
            snippets = latin_ctx[w]
            out.append(
                Suggestion(
                    "unknown",
                    w,
                    "",
                    n,
                    math.log2(n) - 1,
                    0.0,
                    [s for s, _ in snippets[:3]],
                    sorted({f for _, f in snippets}),
                )
            )
    out.sort(key=lambda s: (-s.score, s.text))
    return out[:limit]


def render(suggestions: list[Suggestion]) -> str:
    """A plain table for the terminal: heard → term, count, confidence, one context."""
    lines = []
    for s in suggestions:
        target = s.term if s.term else "(unknown word)"
        ctx = s.contexts[0] if s.contexts else ""
        lines.append(f"{s.text}\t→ {target}\t×{s.count}\t{s.confidence:.2f}\t{ctx}")
    return "\n".join(lines)


def _words(text: str) -> list[str]:
    return LATIN_WORDS.findall(text)


def _snippet(text: str, start: int, end: int, width: int = 12) -> str:
    before = text[max(0, start - width) : start].replace("\n", " ")
    after = text[end : end + width].replace("\n", " ")
    return f"…{before}[{text[start:end]}]{after}…"

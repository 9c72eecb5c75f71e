"""`cleanup glossary stats`: what the packs hold, and which variants actually fire.

Firing is measured the way `cleanup run` applies the glossary: each transcript is normalised
first, then matched against the packs plus that transcript's own talk overlay (by file
name), and a match counts when it would change the text (a match equal to its term does not).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cleanup.glossary.model import Variant, load_glossary


@dataclass
class PackStats:
    path: str
    entries: int = 0
    variants: int = 0
    guarded: int = 0  # variants with bounded / require_near / forbid_near
    fired: int = 0  # distinct variants that fired at least once


@dataclass
class Stats:
    packs: list[PackStats]
    transcripts: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  # (source, variant text, term) -> times fired
    never: list[Variant] = field(default_factory=list)  # variants that fired in no transcript

    def to_json(self) -> dict:
        return {
            "packs": [vars(p) for p in self.packs],
            "transcripts": self.transcripts,
            "fired": [
                {"variant": text, "term": term, "source": source, "count": n}
                for (source, text, term), n in self.counts.most_common()
            ],
            "never_fired": [{"variant": v.text, "term": v.term, "source": v.source} for v in self.never],
        }


def _key(v: Variant) -> tuple[str, str, str]:
    return (v.source, v.text, v.term)


def _file(source: str) -> str:
    return source.rsplit(":", 1)[0]


def compute(pack_paths: list[Path], transcripts: list[Path] = ()) -> Stats:
    """Counts per pack; with transcripts, how often each variant fired and which never did.

    `pack_paths` are the base packs and any talk overlays (files under a ``talks`` folder):
    an overlay is applied only to the transcript it is named after, as in `cleanup run`.
    """
    from cleanup import pipeline
    from cleanup.context import Context
    from cleanup.document import Source

    pack_paths = [Path(p) for p in pack_paths]
    overlays = {p.stem: p for p in pack_paths if p.parent.name == "talks"}
    base = [p for p in pack_paths if p.parent.name != "talks"]
    packs, all_variants = [], []
    for path in pack_paths:
        glossary = load_glossary([path])
        variants = glossary.variants()
        packs.append(
            PackStats(
                str(path),
                len(glossary.entries),
                len(variants),
                sum(bool(v.bounded or v.require_near or v.forbid_near) for v in variants),
            )
        )
        all_variants += variants
    stats = Stats(packs)
    for transcript in transcripts:
        source = Source.read(transcript)
        stem = Path(source.path).stem.removesuffix(".raw")
        paths = base + ([overlays[stem]] if stem in overlays else [])
        ctx = Context(paths, talk=stem)
        doc = pipeline.run(source, ctx, ["normalize"])
        text = doc.text
        for m in ctx.glossary.find(text, ctx.segmenter):
            if text[m.start : m.end] != m.variant.term:
                stats.counts[_key(m.variant)] += 1
        stats.transcripts.append(str(transcript))
    fired = set(stats.counts)
    stats.never = [v for v in all_variants if _key(v) not in fired]
    by_file = Counter(_file(source) for source, _, _ in fired)
    for p in packs:
        p.fired = by_file.get(p.path, 0)
    return stats

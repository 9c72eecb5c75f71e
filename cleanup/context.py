"""Shared resources for the stages, each loaded on first use so the CLI starts fast."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_GLOSSARY_DIR = PACKAGE_DIR.parent / "glossary"


@dataclass
class Context:
    """What a stage may need besides the document: glossary, segmenter, word frequencies.

    `glossary_paths` are the packs to load (default: every pack in `glossary/` plus the talk
    overlay named after the input file, if one exists).
    """

    glossary_paths: list[Path] = field(default_factory=list)
    talk: str | None = None  # input file stem, to pick up glossary/talks/<talk>.yaml

    @cached_property
    def glossary(self):
        from cleanup.glossary.model import load_glossary

        return load_glossary(self.glossary_paths or default_glossary_paths(self.talk))

    @cached_property
    def talk_overlay(self) -> dict:
        """The talk overlay's non-term sections (title, speakers roster and overrides)."""
        return self.glossary.overlay

    @cached_property
    def segmenter(self):
        """Word segmentation: rjieba (jieba's dictionary, ~40x faster, no HMM guessing)."""
        import rjieba

        return lambda text: rjieba.cut(text, False)

    @cached_property
    def word_freq(self) -> dict[str, int]:
        """jieba's dictionary frequencies: how common a word is in ordinary Chinese."""
        import jieba

        freq: dict[str, int] = {}
        with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as fh:
            for line in fh:
                word, count, *_ = line.split(" ")
                freq[word] = int(count)
        return freq

    @cached_property
    def lm(self):
        """The character n-gram LM (cleanup/lm.py): KenLM, loaded on first use (~1 s)."""
        from cleanup import lm

        return lm.default_model()


def default_glossary_paths(talk: str | None) -> list[Path]:
    paths = sorted(REPO_GLOSSARY_DIR.glob("*.yaml"))
    if talk:
        overlay = REPO_GLOSSARY_DIR / "talks" / f"{talk}.yaml"
        if overlay.exists():
            paths.append(overlay)
    return paths

"""The ordered stages: run(source) -> Document with the complete edit log.

Each stage is a module in cleanup/stages with one entry point,
`propose(doc, ctx) -> list[Change]`, seeing the text as earlier stages left it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from cleanup.context import Context
from cleanup.document import Change, Document, Source

STAGES = ["normalize", "glossary", "phonetic", "spelling", "punctuate", "speakers"]
DEFAULT_STAGES = ["normalize", "glossary", "phonetic", "punctuate", "speakers"]


class StageError(Exception):
    """A stage name the pipeline does not know, or a stage that cannot run here."""


def stage_function(name: str) -> Callable[[Document, Context], list[Change]]:
    if name not in STAGES:
        raise StageError(f"unknown stage {name!r}; stages are: {', '.join(STAGES)}")
    return importlib.import_module(f"cleanup.stages.{name}").propose


def select_stages(only: list[str] | None = None, skip: list[str] | None = None) -> list[str]:
    """Stage names in pipeline order: `only` (any order) or the defaults, minus `skip`."""
    for name in (only or []) + (skip or []):
        stage_function(name)
    chosen = only or DEFAULT_STAGES
    return [s for s in STAGES if s in chosen and s not in (skip or [])]


def run(source: Source, ctx: Context, stages: list[str] | None = None) -> Document:
    doc = Document(source)
    for name in stages or DEFAULT_STAGES:
        doc.apply(name, stage_function(name)(doc, ctx))
    return doc

"""glossary: exact replacement of known misrecognitions listed in the YAML packs.

Matches come from `Glossary.find` (leftmost-longest, guarded) on the current text and are
reported as edits; a replacement of another length never shifts its neighbours because the
Document maps every change back to the source.
"""

from __future__ import annotations

from cleanup.context import Context
from cleanup.document import Change, Document


def propose(doc: Document, ctx: Context) -> list[Change]:
    text = doc.text
    changes = []
    for m in ctx.glossary.find(text, ctx.segmenter):
        if text[m.start : m.end] == m.variant.term or not doc.is_original(m.start, m.end):
            continue
        changes.append(
            Change(
                m.start,
                m.end,
                m.variant.term,
                rule=f"glossary:{m.variant.term}",
                confidence=0.99,
                note=m.variant.source,
            )
        )
    return changes

"""spelling: pycorrector's suggestions on our LM, confirmed by our scorer; and phonetic + spelling
together on edited prose (the false-positive budget of issue 4)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from cleanup import lm
from cleanup.context import Context
from cleanup.document import Document, Source
from cleanup.glossary.model import Entry, Glossary
from cleanup.pipeline import StageError
from cleanup.stages import phonetic, spelling

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "transcripts/raw/zhiyuan2024-genmodel-p6-roundtable.raw.txt"
D2L = REPO.parent / "shared/corpora/d2l-zh"
D2L_SLICE = ("chapter_optimization__", "chapter_recurrent-modern__")  # held out from the LM

needs_pycorrector = pytest.mark.skipif(
    importlib.util.find_spec("pycorrector") is None or not lm.DEFAULT_MODEL.exists(),
    reason="pycorrector (extra 'spelling') or the LM is missing",
)


def context_with(terms: list[str], variants: dict[str, list[str]] | None = None) -> Context:
    from cleanup.glossary.model import Variant

    variants = variants or {}
    ctx = Context()
    ctx.glossary = Glossary([Entry(t, [Variant(v, t) for v in variants.get(t, [])]) for t in terms])
    return ctx


def run(text: str, ctx: Context, stages=(spelling,)) -> tuple[Document, list]:
    doc = Document(Source.from_text(text))
    allchanges = []
    for stage in stages:
        changes = stage.propose(doc, ctx)
        doc.apply(stage.__name__.rsplit(".", 1)[-1], changes)
        allchanges += changes
    return doc, allchanges


def test_missing_pycorrector_is_one_clear_line(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(StageError) as err:
        spelling._import_corrector_class()
    assert "pycorrector is not installed" in str(err.value) and "\n" not in str(err.value)


@needs_pycorrector
def test_does_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys; from cleanup.context import Context; from cleanup.stages import spelling; "
        "spelling._import_corrector_class(); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "False"


@needs_pycorrector
def test_raw_suggestions_are_mostly_rejected_on_the_sample():
    """pycorrector alone suggests 姜→将, 笑→学, 换解→环节 ...; none of those may be applied."""
    text = SAMPLE.read_text(encoding="utf-8")
    ctx = context_with(["多模态", "自回归", "幻觉"])
    raw = spelling.suggestions(text, ctx)
    assert len(raw) > 20
    doc, changes = run(text, ctx)
    made = {(text[c.start : c.end], c.after) for c in changes if c.applied}
    assert not made & {("姜", "将"), ("笑", "学"), ("换解", "环节"), ("杰料", "结了"), ("犀", "细")}
    assert len(made) <= 3, made


@needs_pycorrector
def test_protects_latin_numbers_terms_and_particles():
    text = "我们用Scaling Law训练了2024个模型，多模态的效果得到了提升，这个思路地道"
    ctx = context_with(["多模态"])
    doc, changes = run(text, ctx)
    for c in changes:
        span = text[c.start : c.end]
        assert span.isascii() is False and not any(ch.isdigit() for ch in span)
        assert "多模态" not in span and not set(span) & set("的得地")


@needs_pycorrector
def test_glossary_variants_reach_it_as_confusions():
    """Used alone, it knows the glossary's variants (in the pipeline the glossary stage has them first)."""
    text = "我觉得它和自会规其实真的很像，那就是自会规了"
    doc, changes = run(text, context_with(["自回归"], {"自回归": ["自会规"]}))
    assert doc.text == text.replace("自会规", "自回归")


@needs_pycorrector
def test_earlier_edits_are_left_alone():
    from cleanup.document import Change

    text = "我觉得它和自会规其实真的很像"
    doc = Document(Source.from_text(text))
    i = text.index("自会规")
    doc.apply("glossary", [Change(i, i + 3, "自回归", "glossary:test")])
    changes = spelling.propose(doc, context_with(["自回归"], {"自回归": ["自会规"]}))
    doc.apply("spelling", changes)  # nothing touches the glossary's edit, so this does not raise
    assert doc.text == "我觉得它和自回归其实真的很像"


@needs_pycorrector
@pytest.mark.slow
def test_phonetic_and_spelling_together_at_most_one_change_per_20000_chars_of_d2l():
    files = sorted(f for f in D2L.glob("*.txt") if f.name.startswith(D2L_SLICE))
    if not files:
        pytest.skip("../shared/corpora/d2l-zh is not here")
    text = "\n".join(f.read_text(encoding="utf-8") for f in files)
    ctx = Context()  # the shipped glossary, variants and all
    doc, changes = run(text, ctx, stages=(phonetic, spelling))
    made = [c for c in changes if c.applied]
    assert len(made) <= len(text) / 20_000, [(c.rule, c.after, c.note) for c in made]

"""Invariants of the whole default pipeline on arbitrary mixed Chinese/English text."""

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cleanup import pipeline
from cleanup.context import Context
from cleanup.document import Source, replay

PIECES = [
    "我们",
    "做",
    "最大自然",
    "估计",
    "自会规",
    "多么泰",
    "大模型",
    "换解",
    "口散模型",
    "Scaling Loss",
    "transformer",
    "的模态",
    "，",
    "。",
    "？",
    " ",
    "\n\n",
    "呃",
    "嗯，",
    "啊",
    "老师",
    "姜老师有什么看法",
    "谢谢",
    "6。59",
    "ＧＰＴ",
    "這個",
    "<script>",
    "**",
    "# 标题\n\n",
    "对吧",
    "token",
    "image",
    "思琪",
]
TEXT = st.lists(st.sampled_from(PIECES), min_size=1, max_size=40).map("".join)
CTX = Context()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_default_pipeline_replays_exactly_and_loses_nothing(text):
    doc = pipeline.run(Source.from_text(text), CTX)
    assert replay(text, doc.edits) == doc.text
    covered = 0
    for edit in doc.edits:
        assert text[edit.start : edit.end] == edit.before
        covered += (edit.end - edit.start) if edit.applied else 0
    assert covered <= len(text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
@example("6。59。呃6。59")  # the filler went, and a second run read 59。6 as a decimal point
@example("6。59嗯， 我们")  # the filler and its comma went, and a second run took the space
@example("嗯，呃")  # the second filler's span overlapped the first's comma: a second run took it
def test_a_second_run_changes_no_words(text):
    """Running normalize + glossary + phonetic again on the output proposes nothing new."""
    stages = ["normalize", "glossary", "phonetic"]
    once = pipeline.run(Source.from_text(text), CTX, stages)
    twice = pipeline.run(Source.from_text(once.text), CTX, stages)
    assert twice.applied_edits == []

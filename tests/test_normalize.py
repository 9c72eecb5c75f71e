"""normalize: each fix a named edit; correct text untouched."""

import pytest

from cleanup.context import Context
from cleanup.document import Document, Source
from cleanup.stages import normalize


def run(text: str) -> Document:
    doc = Document(Source.from_text(text))
    doc.apply("normalize", normalize.propose(doc, Context()))
    return doc


@pytest.mark.parametrize(
    ("raw", "clean", "rule"),
    [
        ("這個模型的訓練資料", "这个模型的训练资料", "t2s"),
        ("ＧＰＴ４的效果", "GPT4的效果", "fullwidth-alnum"),
        ("准确率是6。59和1。78", "准确率是6.59和1.78", "decimal-point"),
        ("我觉得这个，呃，我觉得", "我觉得这个，我觉得", "filler"),
        ("是6.59嗯， 我们再看", "是6.59我们再看", "filler"),
        ("包括它的那个，嗯。\n\n这个", "包括它的那个。\n\n这个", "filler"),
        ("用 Transformer 做", "用Transformer做", "cjk-latin-space"),
        ("![](img/a_1.png)\n下一段", "下一段", "image-line"),
        ("啊，我们开始", "我们开始", "filler-ah"),
    ],
)
def test_fixes(raw, clean, rule):
    doc = run(raw)
    assert doc.text == clean
    assert {e.rule for e in doc.applied_edits} == {rule}


@pytest.mark.parametrize(
    "text",
    [
        "这是我的经验啊，不是结论。",  # sentence-final particle 啊 stays
        "Scaling Law和model size的关系",  # spaces between Latin words stay
        "第3.5节的结果",
        "准确率是6.59。6.59是上一版",  # a number has one decimal point: this 。 ends a sentence
        "# 2024北京智源大会-生成模型 - P6：圆桌讨论",
    ],
)
def test_correct_text_is_untouched(text):
    assert run(text).applied_edits == []


def test_sample_normalize_is_idempotent(sample_text):
    once = run(sample_text)
    assert run(once.text).applied_edits == []

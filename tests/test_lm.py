"""The character n-gram LM: tokenisation, our Kneser-Ney ARPA writer, and the shipped model."""

from __future__ import annotations

import pytest

from cleanup import lm


def test_tokenisation_cjk_chars_latin_words_digits():
    assert lm.tokenize("用Scaling Law训练GPT-2，效果 好") == [
        "用", "scaling", "law", "训", "练", "gpt", "，", "2", "，", "效", "果", "好",
    ]  # fmt: skip
    assert list(lm.sentences("第一句。第二句？\n，第三句，")) == [
        ["第", "一", "句"],
        ["第", "二", "句"],
        ["第", "三", "句"],
    ]
    # the optional space between Chinese and Latin words makes no difference
    assert lm.tokenize("用 Transformer 做") == lm.tokenize("用Transformer做")


TOY = [["a", "b", "c"], ["a", "b"], ["b", "c", "a"], ["c"], ["d", "a"], ["a", "b", "c", "d"]] * 3 + [["e", "a"]]


@pytest.mark.parametrize("min_count", [None, {3: 2}, {2: 1, 3: 4}])
def test_arpa_is_normalised_in_every_context(tmp_path, min_count):
    import kenlm

    path = tmp_path / "toy.arpa"
    lm.write_arpa(TOY, path, order=3, min_count=min_count)
    model = kenlm.Model(str(path))
    vocab = ["a", "b", "c", "d", "e", "</s>", "never-seen"]
    for context in ([], ["a"], ["a", "b"], ["b", "c"], ["e"], ["d", "a"]):
        state = kenlm.State()
        model.BeginSentenceWrite(state)
        for w in context:
            out = kenlm.State()
            model.BaseScore(state, w, out)
            state = out
        total = sum(10 ** model.BaseScore(state, w, kenlm.State()) for w in vocab)
        assert total == pytest.approx(1.0, abs=1e-4), context


def test_arpa_is_reproducible(tmp_path):
    """Same data, other hash seeds and file names: the same bytes."""
    import os
    import subprocess
    import sys

    code = "import sys; from cleanup import lm; from tests.test_lm import TOY; lm.write_arpa(TOY, sys.argv[1], order=3)"
    outs = []
    for seed, name in (("1", "a.arpa.gz"), ("2", "b.arpa.gz")):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / name)], check=True, env=env, cwd=lm.MODEL_DIR.parent.parent
        )
        outs.append((tmp_path / name).read_bytes())
    assert outs[0] == outs[1]


@pytest.fixture(scope="module")
def model():
    if not lm.DEFAULT_MODEL.exists():
        pytest.skip("no shipped LM (make train-lm)")
    return lm.default_model()


def test_shipped_model_is_small(model):
    assert lm.DEFAULT_MODEL.stat().st_size < 15_000_000
    assert model.order == 5


@pytest.mark.parametrize(
    "sentence, wrong, right",
    [
        ("对然后如果你认为它差不多在做最大自然的话，其实它和自会规其实真的很像", "自会规", "自回归"),
        ("但我之前一直是从最大自然的角度去理解它的", "最大自然", "最大似然"),
        ("我自己做多么泰大模型做的特别多", "多么泰", "多模态"),
        ("然后比如说，你语言模型的换解，我觉得还好吧", "换解", "幻觉"),
        ("那我们的第二个问题，可能探讨一下Scaling Loss。", "Scaling Loss", "Scaling Law"),
    ],
)
def test_fixes_of_the_sample_are_more_probable(model, sentence, wrong, right):
    i = sentence.index(wrong)
    assert model.delta(sentence, i, i + len(wrong), right) > 2


@pytest.mark.parametrize(
    "sentence, word, damage",
    [
        ("数据质量很重要", "数据质量", "数均值量"),
        ("除了什么就是什么", "除了", "出了"),
        ("就没有表现出很好的效果来", "表现", "标签"),
    ],
)
def test_damage_is_not_clearly_more_probable(model, sentence, word, damage):
    """FunASR's fuzzy hotwords made these edits; the LM alone must not vote for them."""
    i = sentence.index(word)
    assert model.delta(sentence, i, i + len(word), damage) < 1


def test_delta_only_looks_inside_the_sentence(model):
    s = "我们用自回归。" + "模型" * 50
    i = s.index("自回归")
    assert model.delta(s, i, i + 3, "自会规") == pytest.approx(model.delta("我们用自回归。", i, i + 3, "自会规"))

"""Behaviour of the shipped punctuation model (cleanup/models/punct.crfsuite) on real text."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from cleanup import punctmodel as pm

MODELS = Path(pm.__file__).resolve().parent / "models"
MARKS = set(pm.MARKS)


@pytest.fixture(scope="module")
def model() -> pm.PunctuationModel:
    if not pm.DEFAULT_MODEL.exists():
        pytest.skip("shipped punctuation model missing (run `make train-punct`)")
    return pm.PunctuationModel.load()


def marks_of(model, text: str) -> str:
    """The text with the predicted marks put back."""
    return "".join(ch + mark for ch, (mark, _) in zip(text, model.predict(text), strict=True))


# --------------------------------------------------------------------------- tokenisation


def test_latin_phrase_is_one_token():
    toks = pm.tokenize("我们用KV cache来加速Scaling Law的推理")
    words = ["我们用KV cache来加速Scaling Law的推理"[s:e] for s, e, _ in toks]
    assert "KV cache" in words and "Scaling Law" in words


def test_formula_is_opaque_and_spaces_are_not_tokens():
    text = "其中 [公式] 是损失"
    toks = pm.tokenize(text)
    assert [text[s:e] for s, e, _ in toks] == ["其", "中", "[公式]", "是", "损", "失"]
    assert [k for _, _, k in toks][2] == "F"


def test_versions_and_numbers_stay_whole():
    text = "GPT-3.5和C++还有50%的数据"
    assert {text[s:e] for s, e, _ in pm.tokenize(text)} >= {"GPT-3.5", "C++", "50%"}


# --------------------------------------------------------------------------- training labels


def test_strip_punctuation_labels_and_mappings():
    text, marks = pm.strip_punctuation("首先，我们定义损失；然后训练模型：结果很好！对吗？")
    assert text == "首先我们定义损失然后训练模型结果很好对吗"
    got = {text[i]: m for i, m in enumerate(marks) if m}
    # ；→。  ：→， (inside a line)  ！→。
    assert got == {"先": "，", "失": "。", "型": "，", "好": "。", "吗": "？"}


def test_halfwidth_after_chinese_is_normalised_and_brackets_dropped():
    text, marks = pm.strip_punctuation("自注意力（self-attention）很重要, 因为它快?")
    assert text == "自注意力self-attention很重要因为它快"
    assert marks[text.index("要")] == "，" and marks[-1] == "？"
    assert marks[text.index("n")] == ""  # after "self-attention": nothing


def test_formula_survives_stripping():
    text, marks = pm.strip_punctuation("设[公式]为输入，则输出为[公式]。")
    assert text == "设[公式]为输入则输出为[公式]"
    assert marks[-1] == "。" and marks[text.index("入")] == "，"


def test_colon_at_line_end_becomes_sentence_end():
    assert pm.strip_punctuation("代码如下：")[1][-1] == "。"


# --------------------------------------------------------------------------- the shipped model


def test_loads_from_package_path_fast_and_cached():
    assert pm.DEFAULT_MODEL.parent == MODELS and pm.DEFAULT_MODEL.exists()
    shipped = [pm.DEFAULT_MODEL, pm.question_model_path(pm.DEFAULT_MODEL), pm.neural_model_path(pm.DEFAULT_MODEL)]
    assert sum(p.stat().st_size for p in shipped if p.exists()) < 20e6
    pm.PunctuationModel._cache.clear()
    t0 = time.perf_counter()
    m = pm.PunctuationModel.load()
    assert time.perf_counter() - t0 < 0.5
    assert pm.PunctuationModel.load() is m


def test_predict_shape_and_types(model):
    for text in ["", "好", "我们今天讨论扩散模型和自回归模型", "  KV cache  ", "[公式]是什么\n下一段"]:
        out = model.predict(text)
        assert len(out) == len(text)
        for mark, p in out:
            assert mark in MARKS and 0.0 <= p <= 1.0


def test_probabilities_are_distributions(model):
    text = "这个模型为什么能生成视频呢我觉得主要是数据的原因"
    for dist, (mark, p) in zip(model.predict_proba(text), model.predict(text), strict=True):
        assert abs(sum(dist.values()) - 1.0) < 1e-6
        assert set(dist) <= MARKS
        assert dist.get(mark, 0.0) == pytest.approx(p)


def test_question_with_ma_gets_question_mark(model):
    text = "你觉得扩散模型会被自回归模型取代吗"
    mark, p = model.predict(text)[-1]
    assert mark == "？" and p > 0.5


def test_question_word_questions(model):
    for text in ["那么为什么大模型会产生幻觉", "我们应该怎么评价这个结果"]:
        assert model.predict(text)[-1][0] == "？", text


def test_statement_ends_with_full_stop(model):
    text = "深度学习模型通常需要大量的数据进行训练"
    assert model.predict(text)[-1][0] == "。"


def test_held_out_paragraph_gets_sentence_ends(model):
    """A paragraph from a d2l-zh chapter in the test split (never trained on)."""
    split = json.loads((MODELS / "punct_split.json").read_text("utf-8"))
    assert any(f.startswith("d2l-zh/") for f in split["test"])
    assert not set(split["test"]) & set(split["train"])
    para = (
        "在前面的章节中，我们介绍了多层感知机的基本原理。然而，当层数增加时，训练会变得困难。"
        "为了解决这个问题，研究人员提出了许多方法，例如批量规范化和残差连接。"
    )
    text, gold = pm.strip_punctuation(para)
    pred = model.predict(text)
    ends = [i for i, (m, _) in enumerate(pred) if m in ("。", "？")]
    gold_ends = [i for i, m in enumerate(gold) if m in ("。", "？")]
    assert pred[-1][0] == "。"
    assert len(ends) >= 2
    assert len(set(ends) & set(gold_ends)) >= 2
    commas = [i for i, (m, _) in enumerate(pred) if m == "，"]
    assert commas, marks_of(model, text)


def test_latin_phrases_are_not_split(model):
    text = "我们在训练时用了KV cache和Scaling Law的一些结论然后发现mixture of experts效果更好"
    pred = model.predict(text)
    for phrase in ("KV cache", "Scaling Law", "mixture of experts"):
        s = text.index(phrase)
        for i in range(s, s + len(phrase) - 1):
            assert pred[i] == ("", 1.0), (phrase, i)


def test_spaces_get_no_mark(model):
    text = "好 我们今天这个报告 coverage 还是比较全"
    for ch, (mark, _) in zip(text, model.predict(text), strict=True):
        if ch == " ":
            assert mark == ""


def test_long_input_is_chunked_consistently(model):
    """Past the chunk limit the text is tagged in pieces cut at line breaks: the repeats of
    one paragraph get the same marks (bar the few beside a piece's edge)."""
    para = "我们首先训练一个基础模型然后在指令数据上微调最后用人类反馈强化学习对齐\n"
    n = max(pm.CHUNK, pm.NN_CHUNK) // len(para) + 20
    out = model.predict(para * n)
    assert len(out) == n * len(para)
    per_para = [tuple(m for m, _ in out[k * len(para) : (k + 1) * len(para)]) for k in range(n)]
    assert Counter(per_para[1:-1]).most_common(1)[0][1] >= 0.9 * (n - 2)


def test_many_texts_tagged_together_equal_each_alone(model, monkeypatch, sample_text):
    """The neural tagger runs the windows of several texts (and of every piece of a text
    too long for one) in one batch: each text's marginals are the ones it gets alone."""
    monkeypatch.setattr(pm, "NN_CHUNK", 500)  # pieces, without a 50,000-character input
    monkeypatch.setattr(pm, "NN_BATCH_TOKENS", 1500)  # and several batches
    lines = [line for line in sample_text.splitlines()[1:] if line.strip()]
    texts = ["\n".join(lines[k : k + 8]) for k in range(0, 32, 8)]
    assert max(map(len, texts)) > pm.NN_CHUNK
    full_at = [{len(t) // 2} for t in texts]
    together = list(model.token_marginals_many(texts, full_at))
    assert len(together) == len(texts)
    for text, full, (toks, marks, margs) in zip(texts, full_at, together, strict=True):
        alone_toks, alone_marks, alone = model.token_marginals(text, full)
        assert marks == alone_marks == list(pm.MARKS)
        assert toks == alone_toks and [len(m) for m in margs] == [len(m) for m in alone]
        assert all(abs(a - b) < 1e-5 for m, n in zip(margs, alone, strict=True) for a, b in zip(m, n, strict=True))

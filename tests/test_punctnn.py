"""The neural punctuation tagger (cleanup/models/punct_nn.npz, numpy inference) on real text."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from cleanup import punctmodel as pm
from cleanup import punctnn

pytestmark = pytest.mark.skipif(not punctnn.NN_MODEL.exists(), reason="neural punctuation model missing")


@pytest.fixture(scope="module")
def tagger() -> punctnn.NeuralTagger:
    return punctnn.NeuralTagger.load()


def marks(tagger, text: str) -> list[str]:
    """The mark after each character, by plain argmax of the tagger alone."""
    toks = pm.tokenize(text)
    out = [""] * len(text)
    for (_s, e, _k), row in zip(toks, tagger.token_probs(text, toks), strict=True):
        out[e - 1] = pm.MARKS[int(row.argmax())]
    return out


def test_question_gets_a_question_mark(tagger):
    for text in ("这个方法为什么有效", "你觉得扩散模型会被自回归模型取代吗"):
        assert marks(tagger, text)[-1] == "？", text


def test_two_sentences_get_a_full_stop_between(tagger):
    text = "深度学习模型通常需要大量的数据进行训练这一节我们介绍如何收集和清洗数据"
    got = marks(tagger, text)
    assert got[text.index("训练") + 1] == "。"
    assert got[-1] == "。"


def test_no_mark_inside_an_english_phrase(tagger):
    text = "我们在训练时用了KV cache和Scaling Law的一些结论然后发现mixture of experts效果更好"
    got = marks(tagger, text)
    for phrase in ("KV cache", "Scaling Law", "mixture of experts"):
        s = text.index(phrase)
        assert not any(got[s : s + len(phrase) - 1]), phrase


def test_distributions_one_per_token():
    tagger = punctnn.NeuralTagger.load()
    text = "其中 [公式] 是损失函数\n我们用 GPT-3.5 生成数据"
    toks = pm.tokenize(text)
    probs = tagger.token_probs(text, toks)
    assert probs.shape == (len(toks), len(pm.MARKS))
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert tagger.token_probs("", []).shape == (0, len(pm.MARKS))


def test_long_text_windows_agree_with_a_single_pass(tagger):
    """Past one window the text is cut into overlapping windows; each token's marks come
    from the window where it is farthest from an edge, so the decisions match the ones
    made on its own paragraph almost everywhere."""
    para = "我们首先训练一个基础模型然后在指令数据上微调最后用人类反馈强化学习对齐这样模型就能更好地回答问题\n"
    text = para * 30  # ≈ 1,400 tokens: several windows
    toks = pm.tokenize(text)
    assert len(toks) > 3 * punctnn.WINDOW
    probs = tagger.token_probs(text, toks)
    one = tagger.token_probs(para, pm.tokenize(para)).argmax(axis=1)
    got = probs.argmax(axis=1).reshape(30, -1)
    assert (got[1:-1, :-1] == one[:-1]).mean() > 0.95


def test_batch_equals_one_at_a_time(tagger):
    texts = ["好", "今天我们讲扩散模型它是一种生成模型", "为什么大模型会产生幻觉这个问题很难回答" * 20]
    inputs = [tagger.inputs(t, pm.tokenize(t)) for t in texts]
    for t, batched in zip(texts, tagger.batch_probs(inputs), strict=True):
        assert np.allclose(batched, tagger.token_probs(t, pm.tokenize(t)), atol=1e-5)


def test_the_shipped_tagger_is_the_bilstm():
    meta = json.loads(pm.DEFAULT_MODEL.with_suffix(".json").read_text("utf-8"))
    assert meta["nn_weight"] == 1.0 and pm.PunctuationModel.load().neural_weight == 1.0
    assert punctnn.NN_MODEL == pm.neural_model_path(pm.DEFAULT_MODEL)


def test_torch_is_not_imported_at_run_time():
    code = (
        "import sys; from cleanup.punctmodel import PunctuationModel as M; "
        "M.load().predict('这个方法为什么有效'); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_switched_on_it_serves_the_punctuate_stage(monkeypatch):
    """With ``nn_weight`` 1 the shipped PunctuationModel answers from the BiLSTM through the
    same interface, and the stage runs on it."""
    from cleanup.context import Context
    from cleanup.document import Document, Source
    from cleanup.stages import punctuate

    crf = pm.PunctuationModel.load()
    meta = dict(crf.meta, nn_weight=1.0, qweight=0.5, bias={"COMMA": 0.5})
    model = pm.PunctuationModel(crf._tagger, meta, crf.path, crf._qtagger, punctnn.NeuralTagger.load())
    assert model.neural_weight == 1.0
    text = "这个方法为什么有效我们先看一个例子"
    pred = model.predict(text)
    assert len(pred) == len(text) and pred[-1][0] == "。"
    assert pred[text.index("效")][0] == "？"
    toks, marks, margs = model.token_marginals(text, full_at={text.index("效")})
    assert marks == list(pm.MARKS) and len(margs) == len(toks)
    assert len(margs[text.index("效")]) == len(pm.MARKS)

    monkeypatch.setattr(pm.PunctuationModel, "load", classmethod(lambda cls, path=None: model))
    doc = Document(
        Source.from_text("# t\n\n今天我们讲扩散模型 它是一种生成模型，那么为什么它效果这么好呢，我们来看一下\n")
    )
    doc.apply("punctuate", punctuate.propose(doc, Context()))
    assert "呢？" in doc.text and doc.text.rstrip().endswith("。")


def _tag_in_child(tagger, text, queue):
    queue.put(tagger.token_probs(text, pm.tokenize(text)).argmax(axis=1).tolist())


def test_a_forked_process_can_tag_after_its_parent(tagger):
    """The backward direction runs on a thread made per call: a process forked after the
    parent tagged (as multiprocessing's fork does) has no stale worker to wait for."""
    import multiprocessing

    text = "为什么大模型会产生幻觉这个问题很难回答" * 30  # several windows
    parent = tagger.token_probs(text, pm.tokenize(text)).argmax(axis=1).tolist()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_tag_in_child, args=(tagger, text, queue))
    child.start()
    try:
        got = queue.get(timeout=60)
        child.join(timeout=60)
    finally:
        child.kill()
    assert child.exitcode == 0 and got == parent

"""punctuate: the shipped model plus the spoken-language layer, on the real sample and slices."""

from __future__ import annotations

import gc
import re
import statistics

import pytest

from cleanup import pipeline
from cleanup.context import Context, default_glossary_paths
from cleanup.document import Document, Source, replay
from cleanup.punctmodel import DEFAULT_MODEL
from cleanup.stages import punctuate

pytestmark = pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="shipped punctuation model missing")

UP_TO_PUNCTUATE = ["normalize", "glossary", "punctuate"]
END = "。？！"
# The sample's moderator hand-overs: each asks a panelist for a view.
HANDOVERS = ["姜老师您的看法是什么样", "邓老师有什么看法", "黄先生有什么看法", "顾老师有什么观点", "李老师有什么看法"]


def ctx() -> Context:
    return Context(default_glossary_paths(None), talk="talk")


def run(text: str, stages=UP_TO_PUNCTUATE) -> Document:
    doc = pipeline.run(Source.from_text(text), ctx(), stages)
    assert replay(doc.source.text, doc.edits) == doc.text
    return doc


def sentences(text: str) -> list[str]:
    """Sentences of the body: the paragraphs joined (as `speakers` will), cut after 。？！."""
    body = "".join(line.strip() for line in text.split("\n")[1:] if line.strip() and not line.startswith("!["))
    body = re.sub(r"\*\*[^*\n]+\*\*：", "", body)
    return [s for s in re.split(f"(?<=[{END}])", body) if s]


def punctuate_text(text: str) -> str:
    return run(text, ["punctuate"]).text


@pytest.fixture(scope="module")
def sample_out(sample_text) -> str:
    return run(sample_text).text


# ------------------------------------------------------------------ the sample's figures


def test_sample_sentence_lengths(sample_out):
    lengths = [len(s) for s in sentences(sample_out)]
    assert max(lengths) <= 120
    assert 15 <= statistics.median(lengths) <= 60


def test_every_raw_paragraph_end_gets_a_mark(sample_out):
    for para in filter(None, sample_out.split("\n\n")[1:]):
        assert para.rstrip()[-1] in "，。？！、；：", para[-30:]


@pytest.mark.parametrize("handover", HANDOVERS)
def test_moderator_handovers_end_in_a_question_mark(sample_out, handover):
    i = sample_out.find(handover)
    assert i >= 0, handover
    assert sample_out[i + len(handover)] == "？"


def test_after_speakers_too(sample_text):
    md = run(sample_text, pipeline.DEFAULT_STAGES).text
    lengths = [len(s) for s in sentences(md)]
    assert max(lengths) <= 120 and 15 <= statistics.median(lengths) <= 60
    for handover in HANDOVERS:
        assert md[md.find(handover) + len(handover)] == "？", handover


def test_english_phrases_keep_their_spacing_and_are_never_split(sample_text, sample_out):
    before = run(sample_text, ["normalize", "glossary"]).text
    phrase = re.compile(r"[A-Za-z][A-Za-z0-9.\-]*(?: [A-Za-z][A-Za-z0-9.\-]*)+")
    phrases = set(phrase.findall(before))
    assert {"model size", "Bayesian Flow Network", "Scaling Law"} <= phrases
    assert phrases == set(phrase.findall(sample_out))  # every one intact, none new


def test_no_ellipsis_or_quotes_invented(sample_out):
    assert "……" not in sample_out and "“" not in sample_out


@pytest.mark.parametrize("start,end", [(0, 3000), (5000, 9000), (9000, None)])
def test_slices_of_the_sample(sample_text, start, end):
    title, body = sample_text.split("\n\n", 1)
    piece = body[start:end]
    piece = piece[piece.find("\n\n") + 2 :] if start else piece
    out = run(title + "\n\n" + piece).text
    lengths = [len(s) for s in sentences(out)]
    assert max(lengths) <= 120
    assert 10 <= statistics.median(lengths) <= 60


# ------------------------------------------------------------------ idempotence and edits


def test_a_second_pass_changes_nothing(sample_out):
    again = run(sample_out, ["punctuate"])
    changed = [e for e in again.edits if e.applied]
    assert len(changed) <= 2, [(e.before, e.after, e.rule, e.note) for e in changed]
    assert not again.proposals


def test_a_second_run_on_the_same_document_proposes_nothing(sample_text):
    doc = run(sample_text)
    assert punctuate.propose(doc, ctx()) == []


def test_edits_are_marks_only_with_rule_and_confidence(sample_text):
    doc = run(sample_text)
    edits = [e for e in doc.edits if e.stage == "punctuate"]
    assert edits
    for e in edits:
        assert set(e.after) <= set("，。？、") and set(e.before) <= set("，。？,. \t")
        assert e.rule and 0 < e.confidence <= 1


# ------------------------------------------------------------------ spoken-language rules


@pytest.mark.parametrize(
    "clause",
    [
        "王老师您怎么看",
        "张老师有什么看法",
        "你的看法是什么样",
        "你真的能满足高斯假设吗",
        "这个其实是达不到的对吧",
        "所以我们关心的是什么呢",
        "大家怎么看待这个问题",
    ],
)
def test_spoken_questions(clause):
    assert punctuate.question_rule(clause, clause) is not None


@pytest.mark.parametrize("clause", ["我不知道为什么", "然后但是呢", "这个没有什么", "怎么说呢", "我们开始吧"])
def test_not_questions(clause):
    assert punctuate.question_rule(clause, clause) is None


def test_handover_in_running_text_gets_a_question_mark():
    text = "# T\n\n好的谢谢，这个观点很有意思，那王老师您怎么看，我觉得这个问题其实很复杂，我们还要再看看。\n"
    out = punctuate_text(text)
    assert "王老师您怎么看？" in out


def test_paragraph_final_asr_stop_mid_sentence_is_a_pause():
    text = (
        "# T\n\n我们在训练的时候其实会用到很多的数据，然后我们发现这些数据里面有很多的。\n\n"
        "噪声和重复的内容，所以我们做了清洗。\n"
    )
    out = punctuate_text(text)
    assert "很多的。\n\n噪声" not in out and "很多的，\n\n噪声" in out


def test_existing_question_marks_and_enumeration_commas_are_kept():
    text = "# T\n\n文本、图片和视频都覆盖了，这是为什么？因为数据够多，\n"
    out = punctuate_text(text)
    assert "文本、图片" in out and "为什么？" in out


def test_spaces_between_chinese_are_pauses():
    out = punctuate_text("# T\n\n好 我们今天这个报告还是比较全的，对 我们之前也准备了几个问题\n")
    assert " " not in out.split("\n", 2)[2]
    assert out.rstrip().endswith(("。", "？"))


def test_latin_words_across_a_pause_stay_apart():
    out = punctuate_text("# T\n\n我们用了GPT，BERT还有T5这些模型来做实验，效果都还不错\n")
    assert "GPTBERT" not in out and "GPT" in out and "BERT" in out


def test_the_stage_leaves_no_reference_cycles(sample_text):
    """The stage pauses the cyclic GC while it works, so a reference cycle would keep a run's
    data alive until a later collection (a recursive closure once held 40 MB of a 245,000-character
    input)."""
    doc = Document(Source.from_text(sample_text))
    punctuate.propose(doc, ctx())  # the models are loaded
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        punctuate.propose(doc, ctx())
        gc.collect()
        left = [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []


# ------------------------------------------------------------------ `cleanup eval punct`


def test_eval_punct_prints_the_held_out_tables(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from cleanup import punctmodel as pm
    from cleanup.eval_cli import app

    lines = ["我们先训练模型，然后评估它的效果。", "这个结果好吗？我觉得还不错，数据、算力和算法都有贡献。"]
    monkeypatch.setattr(pm, "corpora_dir", lambda: tmp_path)
    monkeypatch.setattr(pm, "held_out_lines", lambda root, part="test": lines)
    result = CliRunner().invoke(app, ["punct"])
    assert result.exit_code == 0, result.output
    assert "model alone" in result.output and "punctuate stage" in result.output
    assert "comma (，) F1, reported separately" in result.output
    assert "？ ceiling" in result.output and result.output.startswith("test split")


def test_eval_punct_scores_the_split_asked_for(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from cleanup import punctmodel as pm
    from cleanup.eval_cli import app

    asked = []
    monkeypatch.setattr(pm, "corpora_dir", lambda: tmp_path)
    monkeypatch.setattr(pm, "held_out_lines", lambda root, part: asked.append(part) or ["这个结果好吗？还不错。"])
    result = CliRunner().invoke(app, ["punct", "--split", "spoken"])
    assert result.exit_code == 0, result.output
    assert asked == ["spoken"] and result.output.startswith("spoken split: 1 lines")
    result = CliRunner().invoke(app, ["punct", "--split", "train"])
    assert result.exit_code == 2 and "--split: expected one of test, dev, spoken" in result.output


def test_the_question_ceiling_only_retypes_sentence_ends():
    """The ceiling gives each predicted sentence end on a gold one its gold type: the
    sentence-end and comma scores stay, a question the model ends with 。 counts as found."""
    from cleanup import punctmodel as pm

    lines = [
        "这个方法为什么有效？我们先看一个例子。",
        "下列哪一项是你应该首先检查的地方？",  # the model ends it with 。
        "你觉得扩散模型会被自回归模型取代吗？我觉得不会，两者各有优势。",
        "我们首先训练一个基础模型，然后在指令数据上微调。",
    ]
    model, ceiling = pm.evaluate_with_type_ceiling(pm.PunctuationModel.load(), lines)
    assert ceiling["end(。？)"] == model["end(。？)"] and ceiling["，"] == model["，"]
    assert model["？"]["R"] < 1 and ceiling["？"]["R"] == 1 and ceiling["？"]["P"] == 1


def test_eval_without_clean_and_reference_is_a_usage_error(sample_path):
    from typer.testing import CliRunner

    from cleanup.eval_cli import app

    result = CliRunner().invoke(app, [str(sample_path)])
    assert result.exit_code == 2 and "cleanup eval punct" in result.output

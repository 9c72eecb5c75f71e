"""phonetic: unseen misrecognitions of glossary terms, on real text, without wrecking correct text."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cleanup import lm
from cleanup.context import Context, default_glossary_paths
from cleanup.document import Document, Source
from cleanup.glossary.model import Entry, Glossary, load_glossary
from cleanup.stages import phonetic

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "transcripts/raw/zhiyuan2024-genmodel-p6-roundtable.raw.txt"
TALK = "zhiyuan2024-genmodel-p6-roundtable"
FIXTURE = REPO / "tests/data/sample_term_errors.yaml"
D2L = REPO.parent / "shared/corpora/d2l-zh"
# held out from the LM (scripts/train_lm.py HELD_OUT): the fixed false-positive slice
D2L_SLICE = ("chapter_optimization__", "chapter_recurrent-modern__")

pytestmark = pytest.mark.skipif(not lm.DEFAULT_MODEL.exists(), reason="no shipped LM")


def context_with(terms: list[str]) -> Context:
    ctx = Context()
    ctx.glossary = Glossary([Entry(t, []) for t in terms])
    return ctx


def canonical_only(talk: str | None) -> Context:
    """The shipped glossary with every variant removed: what discovery has to work from."""
    full = load_glossary(default_glossary_paths(talk))
    ctx = Context()
    ctx.glossary = Glossary([Entry(e.term, [], e.en, e.tags) for e in full.entries])
    return ctx


def run(text: str, ctx: Context) -> tuple[Document, list]:
    doc = Document(Source.from_text(text))
    changes = phonetic.propose(doc, ctx)
    doc.apply("phonetic", changes)
    return doc, changes


def applied(text: str, terms: list[str]) -> list[tuple[str, str]]:
    _, changes = run(text, context_with(terms))
    return [(text[c.start : c.end], c.after) for c in changes if c.applied]


# --- what it must find ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, terms, expected",
    [
        # polyphone: 似 in 似然 reads si, and the ASR heard zi
        ("但我之前一直是从最大自然的角度去理解它的", ["最大似然", "自然语言处理"], [("最大自然", "最大似然")]),
        # the window is anchored: 和 and 了 stay
        ("其实它和自会规其实真的很像，那就是自会规了", ["自回归"], [("自会规", "自回归")] * 2),
        ("我自己做多么泰大模型做的特别多", ["多模态"], [("多么泰", "多模态")]),
        ("我总觉得这是一个，常上下闻的问题", ["长上下文", "上下文"], [("常上下闻", "长上下文")]),
        # two syllables heard as one (yu yan → yuan)
        (
            "有可能是大圆模型scale up也不一定能解决的问题",
            ["大语言模型", "大模型", "开源模型"],
            [("大圆模型", "大语言模型")],
        ),
        ("可能探讨一下Scaling Loss。", ["Scaling Law", "Scaling"], [("Scaling Loss", "Scaling Law")]),
        ("除了刚才之前提到Basin Float Network，它是一个连续化的Diffusion之外", ["Bayesian Flow Network"], None),
        ("比如说当年做Gan的时候，大家可能在追求这种consistency", ["GAN"], [("Gan", "GAN")]),
    ],
)
def test_finds_unlisted_misrecognitions(text, terms, expected):
    found = applied(text, terms)
    if expected is None:
        assert len(found) == 1 and found[0][1] == terms[0]
    else:
        assert found == expected


# --- what it must leave alone ------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, terms",
    [
        # FunASR's fuzzy hotwords made exactly these edits (issue 4)
        ("这个模型在数据质量上的表现很好，跟同代的模型比除了速度都更强", ["数均值量", "标签", "通道", "出了"]),
        ("就没有表现出很好的效果来", ["标签"]),
        # numbers are heard right
        ("因为我做多模态做了好久，做了四五年。", ["思维链"]),
        # a real word needs much stronger evidence than an LM that loves domain words
        ("它是在一些比较严肃的场景，你的识别力不准", ["压缩"]),
        ("与NASA开发的测试机翼的数据集不同", ["记忆"]),
        # adding a word to a correct term is not a mishearing
        ("在解决优化问题时比梯度下降更有效", ["随机梯度下降", "梯度下降"]),
        ("不能在现在开源的预训模型上", ["预训练模型"]),
        # English: real phrases, inflections, other acronyms, code
        ("发现语言上你也不能Scaling up，那就是自回归了", ["Scaling Law"]),
        ("针对读论文去做了一些fine tune，针对这个其他一些task做了一些fine tune", ["fine-tuning"]),
        ("我的这个NLL，这个Negative Log Likelihood的Loss，把语言的MLE", ["NLP", "MLP"]),
        ("比如在GP2大小上", ["GPU"]),
        ("它从GPU1拿到a1，从GPU2拿到a2，再从GPU3拿到a3", ["GPU", "GPT-2", "GPT-3"]),
        ("我们定义的init_rnn_state函数，比较rnn.RNN和rnn.GRU的不同实现", ["RNN", "GRU"]),
    ],
)
def test_leaves_correct_text_alone(text, terms):
    assert applied(text, terms) == []


# --- precision rules (hand-made sentences; each was changed or proposed before the rule) --------
def proposed(text: str, terms: list[str]) -> list[tuple[str, str, bool]]:
    _, changes = run(text, context_with(terms))
    return [(text[c.start : c.end], c.after, c.applied) for c in changes]


@pytest.mark.parametrize(
    "text, terms",
    [
        # 的 and 去 are words of their own, the rest (模态, 训练) is right as it is
        ("其实所有的模态放在一起训练，效果会更好", ["多模态"]),
        ("我觉得所有的模态都很重要", ["多模态"]),
        ("他们先去训练一个小模型，再去训练大的", ["预训练"]),
        ("我们收集什么样的数据你都不知道", ["数据集"]),
    ],
)
def test_function_word_at_the_edge_is_never_rewritten(text, terms):
    assert proposed(text, terms) == []


def test_function_word_inside_a_term_or_not_a_word_of_its_own():
    # inside the window both sides anchor it; 太 after 多姆 is a misheard 态, not the adverb
    assert applied("很多人说压缩及智能，我不太同意", ["压缩即智能"]) == [("压缩及智能", "压缩即智能")]
    assert applied("我们这几年一直在做多姆太的大模型", ["多模态"]) == [("多姆太", "多模态")]


@pytest.mark.parametrize(
    "text, terms",
    [
        # a word that begins with the term, or derives from it, is that word
        ("你经过一个tokenize之后，就变成了序列", ["Token"]),
        ("所以你要先做tokenize。", ["Token"]),
        ("我们用的是transformers这个库", ["Transformer"]),
        # an ordinary English word that begins the term is that word
        ("把这个image输入进去，然后再输出", ["Imagen"]),
        ("这还是一个open question", ["OpenAI"]),
        # a frequent function word is heard right
        ("我觉得这个还是case by case吧", ["Bad case"]),
    ],
)
def test_latin_words_that_are_not_mishearings(text, terms):
    assert proposed(text, terms) == []


@pytest.mark.parametrize(
    "text, terms",
    [
        # a span that is itself a term keeps its casing; an English word is not recased
        ("我们用的是Llama 3的开源权重", ["Llama", "LLaMA"]),
        ("后来又出了R1-Zero这个版本", ["ZeRO"]),
        # a name the corpora know (and English does not) is not another name
        ("Google后来收购了Kaggle，Google的人也常在Kaggle上面办比赛", ["Google"]),
        # the term and more is another word; a hyphenated compound is not cut
        ("我们用QLoRA在一张卡上就能微调", ["LoRA"]),
        ("启动的时候加上--served-model-name参数", ["reward model"]),
    ],
)
def test_names_and_compounds_stay(text, terms):
    assert proposed(text, terms) == []


@pytest.mark.parametrize(
    "text, terms",
    [
        # a word's onset is heard; a middle initial is part of how the name was said
        ("不管是skilling还是别的，大家都在讨论", ["Kling"]),
        ("Geoffrey E. Hinton在那篇文章里也说过", ["Geoffrey Hinton"]),
        # 即 is a word of its own: 即注意力 is "that is, attention", not 自注意力
        ("这种机制即注意力机制，是Transformer的核心", ["自注意力"]),
    ],
)
def test_onsets_added_words_and_conjunctions_stay(text, terms):
    assert [a for _, _, a in proposed(text, terms) if a] == []


def test_the_onset_may_be_n_for_l():
    assert applied("很多人都相信Scaling Nor，觉得它还没到头", ["Scaling Law"]) == [("Scaling Nor", "Scaling Law")]


def test_a_rival_term_makes_a_proposal_not_an_edit():
    """Alone, 矩阵 is applied to 巨身; beside 具身, which fits the sound better, it is at most
    proposed, with the rival named for the editor."""
    text = "我们做巨身智能，就是要让巨身的机器人真的动起来"
    alone = proposed(text, ["矩阵"])
    assert alone and all(a for _, _, a in alone)
    _, both = run(text, context_with(["矩阵", "具身"]))
    assert not any(c.applied and c.after == "矩阵" for c in both)
    assert any(not c.applied and "rival 具身" in c.note for c in both)


def test_an_exact_homophone_that_is_no_word_is_stronger_evidence():
    # 巨身 reads exactly as 具身 and is no word: the sound alone is nearly proof
    assert applied("最后我们用了一个巨身的机器人", ["具身"]) == [("巨身", "具身")]


def test_names_the_title_gives_are_terms_of_the_talk():
    body = "好，我们先请雅雯老师谈一谈，雅雯你觉得大模型下一步会怎么走？最后谢谢明远。"
    title = "# 2024某某大会 - 对话：Fireside Chat-李明远-赵雅文\n\n"
    assert phonetic.title_names(title) == ("李明远", "赵雅文", "明远", "雅文")
    assert applied(title + body, ["大模型"]) == [("雅雯", "雅文"), ("雅雯", "雅文")]
    assert applied(body, ["大模型"]) == []


def test_the_same_mishearing_twice_is_stronger_evidence():
    once = "这个模型的换解，我觉得是最难解决的问题。"
    (alone,) = run(once, context_with(["幻觉"]))[1]
    first, second = run(once + "大模型的换解问题还是很严重。", context_with(["幻觉"]))[1]
    assert not alone.applied and first.confidence > alone.confidence
    assert second.applied and "heard so 2 times" in second.note


@pytest.mark.parametrize(
    "text, terms, span",
    [
        ("很多时候是media在报道这些事情", ["Meta"], "media"),
        ("这个imaging的质量非常好", ["Imagen"], "imaging"),
        ("我们看到了很强的positive transfer，这个很有意思", ["Transformer"], "transfer"),
        ("我们后面再做soft，对齐一下人类偏好", ["SFT"], "soft"),
    ],
)
def test_ordinary_english_needs_stronger_evidence(text, terms, span):
    """Ordinary English words (wordfreq) that the corpora never use are not noise: at most a
    proposal for the review report."""
    found = proposed(text, terms)
    assert all(not a for _, _, a in found)
    assert {s for s, _, _ in found} <= {span}


def test_ordinary_english_with_strong_evidence_is_still_fixed():
    assert applied("这是一个zero-shock的分类器，效果很好", ["Zero-shot"]) == [("zero-shock", "zero-shot")]
    assert applied("其实这就是the beta lesson讲的道理", ["The Bitter Lesson"]) == [
        ("the beta lesson", "the bitter lesson")
    ]


def test_an_exactly_heard_word_of_the_term_anchors_an_ordinary_one():
    # knowledge is heard as said, so word is the one misheard; transfer has no such anchor
    assert applied("大模型其实记住了很多word knowledge", ["World Knowledge"]) == [("word knowledge", "world knowledge")]


def test_english_dictionary():
    zipf = phonetic.english_zipf()
    assert len(zipf) > 20_000
    assert zipf["transfer"] >= 4 and zipf["the"] > 7
    assert "skilling" not in zipf and "toganization" not in zipf


@pytest.mark.parametrize(
    "span, term, names, expected",
    [
        ("zero-shock", "Zero-shot", (), "zero-shot"),  # lower case as transcribed
        ("skilling law", "Scaling Law", (), "scaling law"),
        ("Skilling Law", "Scaling Law", (), "Scaling Law"),  # a capital: the glossary's form
        ("SKILLING LAW", "Scaling Law", (), "Scaling Law"),
        ("soft", "SFT", (), "SFT"),  # acronyms and brand casing keep their form
        ("vit", "ViT", (), "ViT"),
        ("chat gpt", "ChatGPT", (), "ChatGPT"),
        ("gpt2", "GPT-2", (), "GPT-2"),
        ("party", "Parti", ("Parti",), "Parti"),  # names (glossary tags) keep their capital
        ("party", "Parti", (), "parti"),
        ("自会规", "自回归", (), "自回归"),
    ],
)
def test_casing_policy(span, term, names, expected):
    assert phonetic.written(span, term, frozenset(names)) == expected


def test_names_keep_their_casing_from_the_glossary_tags():
    text = "我们用midjourny画了一张图"
    for tags, expected in ((["model"], "Midjourney"), ([], "midjourney")):
        ctx = Context()
        ctx.glossary = Glossary([Entry("Midjourney", [], tags=tags)])
        _, changes = run(text, ctx)
        assert [(text[c.start : c.end], c.after, c.applied) for c in changes] == [("midjourny", expected, True)]


def test_only_untouched_source_text_is_proposed_on():
    text = "其实它和自会规其实真的很像"
    doc = Document(Source.from_text(text))
    i = text.index("自会规")
    from cleanup.document import Change

    doc.apply("glossary", [Change(i, i + 3, "自回归呀", "glossary:test")])
    changes = phonetic.propose(doc, context_with(["自回归"]))
    assert all(doc.is_original(c.start, c.end) for c in changes)
    doc.apply("phonetic", changes)  # does not raise


def test_low_confidence_becomes_a_proposal():
    """换解 is two syllables from a confusion away: logged for review, not applied."""
    text = "然后比如说，你语言模型的换解，我觉得还好吧"
    doc, changes = run(text, context_with(["幻觉"]))
    assert [(c.after, c.applied) for c in changes] == [("幻觉", False)]
    assert doc.text == text
    assert 0.5 <= changes[0].confidence < 0.99


# --- the sample: recall with the glossary's variants removed -----------------------------------
def recall(ctx: Context) -> tuple[float, list[str]]:
    text = SAMPLE.read_text(encoding="utf-8")
    doc, _ = run(text, ctx)
    errors = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    missed = []
    for e in errors:
        start = text.index(e["context"]) + e["context"].index(e["wrong"])
        end = start + len(e["wrong"])
        edits = [d for d in doc.applied_edits if d.start < end and start < d.end]
        if not any(e["right"].lower() in d.after.lower() for d in edits):
            missed.append(f"{e['wrong']}→{e['right']}")
    return 1 - len(missed) / len(errors), missed


def test_fixture_is_the_sample():
    errors = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    text = SAMPLE.read_text(encoding="utf-8")
    assert len(errors) >= 70
    assert all(e["wrong"] in e["context"] and text.count(e["context"]) == 1 for e in errors)


def test_discovery_recall_on_the_sample_with_canonical_terms_only():
    """Measured 2026-11-28: 57% (general packs), 63% (with the talk overlay's terms): the target is
    met with the shipped glossary for this talk, not with the general packs alone."""
    general, _ = recall(canonical_only(None))
    with_overlay, missed = recall(canonical_only(TALK))
    print(f"phonetic recall: general packs {general:.0%}, with talk overlay {with_overlay:.0%}; missed {missed}")
    assert general >= 0.56
    assert with_overlay >= 0.62


def test_whole_pipeline_with_the_shipped_glossary_fixes_nine_in_ten():
    """Measured 2026-11-28: 76/76 (variants in the glossary stage, discovery for the rest)."""
    from cleanup import pipeline

    text = SAMPLE.read_text(encoding="utf-8")
    doc = pipeline.run(Source.from_text(text), Context(talk=TALK))
    errors = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    fixed = 0
    for e in errors:
        start = text.index(e["context"]) + e["context"].index(e["wrong"])
        end = start + len(e["wrong"])
        edits = [d for d in doc.applied_edits if d.start < end and start < d.end]
        fixed += any(e["right"].lower() in d.after.lower() for d in edits)
    assert fixed / len(errors) >= 0.9, f"{fixed}/{len(errors)}"


# --- false positives on edited prose ---------------------------------------------------------
def d2l_slice() -> str:
    files = sorted(f for f in D2L.glob("*.txt") if f.name.startswith(D2L_SLICE))
    if not files:
        pytest.skip("../shared/corpora/d2l-zh is not here")
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def test_at_most_one_change_per_20000_chars_of_d2l():
    text = d2l_slice()
    _, changes = run(text, canonical_only(None))
    made = [(text[c.start : c.end], c.after) for c in changes if c.applied]
    assert len(made) <= len(text) / 20_000, made


# --- cleanup glossary suggest ------------------------------------------------------------------
def test_suggest_ranks_unlisted_misrecognitions(tmp_path):
    from cleanup.glossary.suggest import render, suggest

    talk = tmp_path / "talk.txt"
    talk.write_text(
        "我们讨论一下Scaling Loss，就你们刚刚的报告都出现过Scaling Loss。\n"
        "我觉得TOGANIZATION很重要，TOGANIZATION做得好，增加了Word Knowledge。\n"
        "这个Qwertyzx模型和Qwertyzx框架\n",
        encoding="utf-8",
    )
    ctx = context_with(["Scaling Law", "World Knowledge", "tokenization"])
    found = suggest([talk], ctx)
    top = {(s.text, s.term, s.count) for s in found}
    assert ("Scaling Loss", "Scaling Law", 2) in top
    assert ("Word Knowledge", "World Knowledge", 1) in top
    assert ("TOGANIZATION", "tokenization", 2) in top
    assert {s.text for s in found[:2]} == {"Scaling Loss", "TOGANIZATION"}  # recurring and confident first
    assert not any(s.kind == "unknown" and s.text == "TOGANIZATION" for s in found)
    assert any(s.kind == "unknown" and s.text == "Qwertyzx" and s.count == 2 for s in found)
    assert "Scaling Loss\t→ Scaling Law\t×2" in render(found)

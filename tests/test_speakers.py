"""speakers: turns from text alone, labels, overrides and the Markdown layout, as edits.

The figures are measured against `tests/data/sample_turns.yaml`, an editor's segmentation of
the bundled roundtable made by reading it (who starts speaking where, as verbatim snippets of
the raw text), with the same scorer `cleanup eval` uses (boundaries within 5 letters,
per-letter attribution with a one-to-one label mapping). Print them with
`.venv/bin/pytest tests/test_speakers.py -k figures -s`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from cleanup import evaluate, pipeline
from cleanup.context import Context, default_glossary_paths
from cleanup.document import Document, Source, replay

DATA = Path(__file__).resolve().parent / "data"
LABEL = re.compile(r"\*\*([^*\n]+)\*\*：")


_BASE: dict[str, Context] = {}


def make_ctx(overlay: dict | None = None, talk: str = "talk") -> Context:
    """A context with the shared glossary packs and no talk overlay unless one is given."""
    base = _BASE.setdefault("ctx", Context(default_glossary_paths(None)))
    ctx = Context(default_glossary_paths(None), talk=talk)
    for loaded in ("glossary", "segmenter", "word_freq"):  # load the packs once per session
        if loaded in base.__dict__ or loaded == "glossary":
            ctx.__dict__[loaded] = getattr(base, loaded)
    ctx.__dict__["talk_overlay"] = overlay or {}
    return ctx


def run(text: str, overlay: dict | None = None, stages: list[str] | None = None, talk: str = "talk") -> Document:
    doc = pipeline.run(Source.from_text(text), make_ctx(overlay, talk), stages)
    assert replay(doc.source.text, doc.edits) == doc.text
    return doc


def paragraphs(md: str) -> list[tuple[str, str]]:
    """(label, text) of each paragraph after the title."""
    out = []
    for block in md.rstrip("\n").split("\n\n")[1:]:
        m = LABEL.match(block)
        assert m, f"paragraph without a label: {block[:40]!r}"
        out.append((m.group(1), block[m.end() :]))
    return out


def assert_layout(md: str, title: str | None = None) -> None:
    lines = md.split("\n")
    assert lines[0].startswith("# ") and (title is None or lines[0] == f"# {title}")
    assert md.endswith("\n") and not md.endswith("\n\n")
    assert "\n\n\n" not in md
    assert "![" not in md
    blocks = md.rstrip("\n").split("\n\n")
    assert "\n" not in blocks[0]
    for block in blocks[1:]:
        assert LABEL.match(block), block[:40]
        assert "\n" not in block, "one paragraph is one line"
        assert block == block.strip(), "no stray spaces at paragraph edges"
    for line in lines:
        assert line == line.rstrip(" \t"), "no trailing spaces"


# ------------------------------------------------------------------ the reference and figures


@pytest.fixture(scope="session")
def reference_turns() -> list[dict]:
    return yaml.safe_load((DATA / "sample_turns.yaml").read_text(encoding="utf-8"))


def reference_markdown(raw: str, turns: list[dict]) -> str:
    """The raw text with `speaker：` opening each reference turn (the editors' format)."""
    cuts, pos = [], 0
    for t in turns:
        i = raw.find(t["starts_with"], pos)
        assert i >= 0, f"snippet not in the raw sample (in order): {t['starts_with']!r}"
        cuts.append((i, t["speaker"]))
        pos = i + 1
    out = [raw[: cuts[0][0]]]
    for (i, who), (j, _) in zip(cuts, cuts[1:] + [(len(raw), "")], strict=True):
        out.append(f"\n\n{who}：{raw[i:j]}")
    return "".join(out)


def figures(raw: str, md: str, turns: list[dict]) -> dict:
    ref, out = evaluate.normalize(reference_markdown(raw, turns)), evaluate.normalize(md)
    return evaluate.speaker_scores(ref, out, evaluate.align(ref.text, out.text))


@pytest.fixture(scope="session")
def sample_md(sample_text) -> str:
    """The default pipeline on the sample, text only (no talk overlay)."""
    return run(sample_text, talk="zhiyuan2024-genmodel-p6-roundtable").text


def test_reference_snippets_are_verbatim_and_in_order(sample_text, reference_turns):
    md = reference_markdown(sample_text, reference_turns)
    assert len(evaluate.normalize(md).boundaries()) == len(reference_turns) - 1


def test_figures_text_only(sample_text, sample_md, reference_turns):
    scores = figures(sample_text, sample_md, reference_turns)
    b = scores["boundaries"]
    print(
        f"\ntext only: boundary P={b['precision']:.3f} R={b['recall']:.3f} F1={b['f1']:.3f} "
        f"({b['tp']}/{b['expected']} found, {b['predicted']} predicted), attribution={scores['attribution']:.3f}"
    )
    assert b["f1"] >= 0.85
    assert scores["attribution"] >= 0.90


def test_figures_with_the_talk_overlay(sample_text, reference_turns):
    overlay_path = (
        Path(__file__).resolve().parent.parent / "glossary" / "talks" / "zhiyuan2024-genmodel-p6-roundtable.yaml"
    )
    if not overlay_path.exists():
        pytest.skip("no talk overlay for the sample")
    overlay = yaml.safe_load(overlay_path.read_text(encoding="utf-8"))
    md = run(sample_text, overlay).text
    scores = figures(sample_text, md, reference_turns)
    b = scores["boundaries"]
    print(f"\nwith overlay: boundary F1={b['f1']:.3f}, attribution={scores['attribution']:.3f}")
    assert b["f1"] >= 0.85 and scores["attribution"] >= 0.90


# ------------------------------------------------------------------ hand-overs named in the text

# (the hand-over as said, what the named speaker says first, the labels that are right)
HANDOVERS = [
    ("姜老师您的看法是什么样", "我的看法是在算力相对", {"姜老师"}),
    ("邓老师有什么看法", "谢谢，我其实也不是相关领域", {"邓老师"}),
    ("黄先生有什么看法", "好这个我也是一个自己的想法", {"黄先生", "黄老师", "李老师"}),
    ("顾老师有什么观点", "对我也谈一下我的看法", {"顾老师", "谷老师", "郭老师"}),
    ("李老师有什么看法", "好，这个，对对其实我这个问题", {"李老师"}),
    ("我不知道郭文老师有没有试过这个问题", "我其实没有试过中文", {"顾老师", "谷老师", "郭老师"}),
]


def letters_with_labels(md: str) -> tuple[str, list[str], list[int]]:
    """The letters of the output, the label in force at each, and where paragraphs start."""
    norm = evaluate.normalize(md)
    starts = [0] + [
        i for i in range(1, len(norm.positions)) if md.rfind("\n\n", 0, norm.positions[i]) > norm.positions[i - 1]
    ]
    return norm.text, norm.speakers, starts


def clause_letters(snippet: str) -> int:
    return max(len(evaluate.letters(c)) for c in re.split(r"[，。？！、 ]", snippet))


@pytest.mark.parametrize("handover,first_words,labels", HANDOVERS)
def test_named_handover_starts_a_turn_with_that_label(sample_md, handover, first_words, labels):
    text, who, starts = letters_with_labels(sample_md)
    h = text.find(evaluate.letters(handover))
    p = text.find(evaluate.letters(first_words), h)
    assert h >= 0 and p > h
    tolerance = clause_letters(first_words)  # one clause either way
    near = [s for s in starts if abs(s - p) <= tolerance]
    assert near, f"no paragraph starts near {first_words!r}"
    assert who[p + 2] in labels, f"{first_words!r} is labelled {who[p + 2]}"
    assert who[h] not in labels, "the hand-over itself is the moderator's"


def test_moderator_opens_and_hands_over(sample_md):
    paras = paragraphs(sample_md)
    assert paras[0][0] == "主持人"
    for label, body in paras:
        if re.search(r"(姜|邓|顾|李)老师(?:您的看法|有什么(?:看法|观点))", body):
            assert label == "主持人", body[:30]


def test_reversed_order_is_followed(sample_md):
    """`我们再反过来`: the last of round 1 (顾/谷) answers first, then the order runs backwards."""
    text, who, _ = letters_with_labels(sample_md)
    p = text.find(evaluate.letters("我上来就是暴论"))
    assert who[p] in {"顾老师", "谷老师", "郭老师"}
    first_round_first = who[text.find(evaluate.letters("这个范式方面我只能说通过我的经验"))]
    last_in_round_two = who[text.find(evaluate.letters("我要谈谈我的认识"))]
    assert first_round_first == last_in_round_two != "主持人"
    assert who[text.find(evaluate.letters("刚谷老师和李老师分享的"))] == "邓老师"
    assert who[text.find(evaluate.letters("我说一下我看法，就是前面几位老师"))] == "姜老师"


def test_audience_gets_its_own_labels(sample_md):
    text, who, _ = letters_with_labels(sample_md)
    for snippet in ("其实就像老师们刚才提到这个幻觉问题", "我想我们现在实际上", "各位老师好"):
        assert who[text.find(evaluate.letters(snippet)) + 3].startswith("观众"), snippet
    assert len({w for w in who if w and w.startswith("观众")}) == 3


def test_turn_edits_carry_cue_and_confidence(sample_text):
    doc = run(sample_text)
    turns = [e for e in doc.edits if e.stage == "speakers" and e.rule.startswith("turn:")]
    assert len(turns) >= 30
    for e in turns:
        assert e.note and 0 < e.confidence <= 1
        assert re.search(r"\*\*[^*]+\*\*：$", e.after)
    rules = {e.rule for e in turns}
    assert {"turn:handover-name", "turn:handover-order", "turn:panel-order"} <= rules
    assert any(e.note == "邓老师有什么看法" for e in turns)


def test_speakers_never_delete_words(sample_text):
    """The stage only removes whitespace, image lines and swaps a soft mark for a full stop."""
    doc = run(sample_text)
    for e in doc.edits:
        if e.stage == "speakers":
            assert not e.before.strip(" \t\n\u3000，、,；;") or e.before.lstrip().startswith("!["), e


# ------------------------------------------------------------------ slices, single speaker, overrides


def slice_between(text: str, start: str, end: str) -> str:
    i, j = text.index(start), text.index(end)
    return "# 切片\n\n" + text[i:j]


def test_a_slice_of_the_panel_keeps_its_handovers(sample_text):
    part = slice_between(sample_text, "明白，对对，我们多收集一些输入", "对 我感觉这个郭老师的这个")
    md = run(part).text
    assert_layout(md, "切片")
    labels = [label for label, _ in paragraphs(md)]
    seq = [lab for i, lab in enumerate(labels) if i == 0 or lab != labels[i - 1]]
    assert seq[:2] == ["主持人", "姜老师"]
    assert "邓老师" in seq and ("黄先生" in seq or "黄老师" in seq) and ("顾老师" in seq or "谷老师" in seq)
    body = dict((b[:12], lab) for lab, b in paragraphs(md))
    assert any(lab == "邓老师" and evaluate.letters(b).startswith("谢谢我其实") for b, lab in body.items())


def test_single_speaker_gets_one_label_and_no_turns(sample_text):
    # one panelist's long answer, as if it were a keynote: it mentions 谷老师 and 李老师
    talk = slice_between(sample_text, "好，这个，对对其实我这个问题", "刚谷老师和李老师分享的")
    keynote = "谢谢主持人，也谢谢王老师的邀请。" + talk.split("\n\n", 1)[1]
    md = run("# 生成模型的规模化\n\n" + keynote).text
    assert_layout(md)
    labels = {label for label, _ in paragraphs(md)}
    assert labels == {"主讲人"}
    assert len(paragraphs(md)) >= 3, "a long talk is still split into paragraphs"
    doc = run("# 生成模型的规模化\n\n" + keynote)
    assert not [e for e in doc.edits if e.rule.startswith("turn:") and e.rule != "turn:single-speaker"]


def test_single_speaker_named_in_the_title():
    text = (
        "# 张三教授：扩散模型的未来\n\n大家好，今天我讲一讲扩散模型，首先是这个范式的问题，我们现在至少有两种范式。\n"
    )
    md = run(text).text
    assert paragraphs(md)[0][0] == "张三教授"


def test_paragraphs_of_a_long_turn_are_150_to_400_characters(sample_md):
    lengths = [len(body) for _, body in paragraphs(sample_md)]
    long_ones = [n for n in lengths if n > 150]
    assert max(lengths) <= 520
    assert sum(150 <= n <= 420 for n in long_ones) / len(long_ones) >= 0.9


def test_override_relabels_from_its_snippet(sample_text):
    part = slice_between(sample_text, "明白，对对，我们多收集一些输入", "对 我感觉这个郭老师的这个")
    overlay = {
        "speakers": {
            "overrides": [
                {"at": "我的意思是说，就是", "speaker": "姜老师"},
                {"at": "这样的差异在什么", "speaker": "主持人"},
            ]
        }
    }
    doc = run(part, overlay)
    paras = paragraphs(doc.text)
    assert any(label == "主持人" and body.startswith("这样的差异在什么") for label, body in paras)
    assert any(label == "姜老师" and body.startswith("我的意思是说") for label, body in paras)
    assert any(e.rule == "turn:override" and "我的意思是说" in e.note for e in doc.edits)


def test_override_snippet_with_a_word_an_earlier_stage_corrected(sample_text):
    """Overrides are written against the raw text; the glossary may have fixed a word inside."""
    part = slice_between(sample_text, "明白，对对，我们多收集一些输入", "对 我感觉这个郭老师的这个")
    overlay = {"speakers": {"overrides": [{"at": "然后或者说之前有很多人说什么压缩及智能", "speaker": "嘉宾X"}]}}
    doc = run(part, overlay)
    assert any(label == "嘉宾X" and body.startswith("然后或者说") for label, body in paragraphs(doc.text))


def test_overlay_roster_names_and_order(sample_text):
    overlay = {
        "speakers": {
            "moderator": "主持人",
            "panel": [
                {"name": "卢老师", "aliases": ["黄老师", "卢老"]},
                {"name": "姜老师"},
                {"name": "邓老师"},
                {"name": "李老师", "aliases": ["黄先生"]},
                {"name": "顾老师", "aliases": ["谷老师", "郭老师"]},
            ],
        }
    }
    md = run(sample_text, overlay).text
    text, who, _ = letters_with_labels(md)
    assert who[text.find(evaluate.letters("这个范式方面我只能说通过我的经验"))] == "卢老师"
    assert who[text.find(evaluate.letters("好这个我也是一个自己的想法")) + 2] == "李老师"
    assert who[text.find(evaluate.letters("我上来就是暴论"))] == "顾老师"
    assert who[text.find(evaluate.letters("我要谈谈我的认识")) + 2] == "卢老师"
    assert not {w for w in who if w} & {"谷老师", "郭老师", "黄老师"}


# ------------------------------------------------------------------ layout


def test_layout_of_the_sample(sample_md):
    assert_layout(sample_md, "2024北京智源大会-生成模型 - P6：圆桌讨论 - 智源社区 - BV1DS411w7hz")


def test_layout_with_the_speakers_stage_alone(sample_text):
    md = run(sample_text, stages=["speakers"]).text
    assert_layout(md)
    assert "![" not in md


def test_missing_title_is_the_file_stem():
    md = run("  好，我们开始。邓老师有什么看法？谢谢，我说一下。\n\n对，这是我的看法。", talk="my-talk").text
    assert_layout(md, "my-talk")
    assert paragraphs(md)[0][1].startswith("好")


@pytest.mark.parametrize(
    "text",
    [
        "# 标题\n",
        "# 标题   \n\n\n\n第一句话，   \n\n\n  第二句话。  ",
        "\n\n# 标题\n正文没有空行，直接开始\n第二行\n",
        "# 标题\n\n![](img/a.png)\n\n正文。\n\n![](img/b.png)\n",
        "正文 only, no title and no newline at the end",
        "# T\n\nDiffusion\n\nModel 是一个 transformer\n\n模型。\n",
    ],
)
def test_layout_invariants_on_odd_inputs(text):
    for stages in (None, ["speakers"]):
        doc = run(text, stages=stages)
        md = doc.text
        assert_layout(md)
        if len(md.split("\n\n")) > 1:
            assert paragraphs(md)


def test_latin_words_split_by_a_line_break_keep_a_space():
    md = run("# T\n\nDiffusion\n\nModel 是一个 transformer\n\n模型。\n", stages=["speakers"]).text
    assert "Diffusion Model" in md


def test_second_run_on_own_output_changes_nothing(sample_md):
    doc = run(sample_md, stages=["speakers"])
    assert doc.text == sample_md


# ------------------------------------------------------------------ another panel, another style

# Written for these tests in the ASR style of the conference (comma-spliced, breaks anywhere),
# with cues the sample does not have: self-introductions, 张总, 要不X老师先来, a follow-up
# (我想追问一下), an asker who names the panelist, the closing formula.
OTHER_PANEL = """# 2024北京智源大会-具身智能 - P9：圆桌论坛 - 智源社区

各位嘉宾大家好，欢迎来到今天的圆桌论坛，我是今天的主持人，那我们今天请到了几位非常重量级的嘉宾，首先请各位嘉宾做一个简单的自我介绍吧，

大家好，我是来自清华大学的王建国，我主要做机器人学习，特别是这个操作这一块，谢谢，大家好，我是北京大学的刘明，我们组主要关注这个具身大模型，还有这个仿真，谢谢，大家好我是来自银河通用的张伟，我们是做这个人形机器人的，

好，谢谢各位，那我们第一个问题，就是大家都在说具身智能的这个GPT时刻，那各位觉得这个时刻什么时候会到来，要不王老师先来，好，我觉得这个问题其实很难回答，因为现在数据还是一个非常大的瓶颈，我们没有像互联网那样的数据，所以我觉得可能还需要三到五年，这是我的一个粗浅的看法，

好的，谢谢王老师，刘老师您怎么看，我的看法稍微乐观一点，就是我们看到这个仿真的进步非常快，
然后这个sim to real的gap也在缩小，所以我觉得可能两三年就会有一个比较大的突破，对，我就先说这么多，

好，张总，您是做产业的，您怎么看，对我从产业的角度来讲，其实我们更关心的是这个成本，一台人形机器人现在的成本还是很高，如果成本降不下来，那这个GPT时刻其实也没有意义，所以我觉得关键是要把这个硬件的成本打下来，

明白，那我想追问一下张总，您觉得成本降到多少是一个合理的水平，我觉得可能要降到一台车的价格，就是十万以下吧，这样才能真正进入家庭，

好，非常感谢，那我们时间关系，把时间留给现场的观众，大家有没有什么问题，好，这位同学，

老师们好，我是来自北航的学生，我想问一下刘老师，就是仿真数据和真实数据应该怎么配比，谢谢，好这个问题非常好，其实我们做过一些实验，就是仿真数据可以占到大部分，但是一定要有少量的真实数据来做校准，大概是这样，

好，由于时间关系，我们今天的圆桌就到这里，再次感谢各位嘉宾，谢谢大家。
"""

OTHER_PANEL_TURNS = [
    ("主持人", "各位嘉宾大家好"),
    ("王老师", "大家好，我是来自清华大学的王建国"),
    ("刘老师", "大家好，我是北京大学的刘明"),
    ("张总", "大家好我是来自银河通用的张伟"),
    ("主持人", "好，谢谢各位"),
    ("王老师", "好，我觉得这个问题其实很难回答"),
    ("主持人", "好的，谢谢王老师"),
    ("刘老师", "我的看法稍微乐观一点"),
    ("主持人", "好，张总，您是做产业的"),
    ("张总", "对我从产业的角度来讲"),
    ("主持人", "明白，那我想追问一下张总"),
    ("张总", "我觉得可能要降到一台车的价格"),
    ("主持人", "好，非常感谢"),
    ("观众1", "老师们好"),
    ("刘老师", "好这个问题非常好"),
    ("主持人", "好，由于时间关系"),
]


def test_another_panel_in_another_style():
    md = run(OTHER_PANEL).text
    assert_layout(md)
    text, who, starts = letters_with_labels(md)
    pos = 0
    for label, snippet in OTHER_PANEL_TURNS:
        p = text.find(evaluate.letters(snippet), pos)
        assert p >= 0, snippet
        assert who[p + len(evaluate.letters(snippet)) - 1] == label, f"{snippet!r}: {who[p + 3]} instead of {label}"
        assert any(abs(s - p) <= 2 for s in starts), f"no paragraph starts at {snippet!r}"
        pos = p + 1
    assert {label for label, _ in paragraphs(md)} == {lab for lab, _ in OTHER_PANEL_TURNS}


# A panel with almost no names handed over: the moderator introduces three guests, asks them to
# answer 按照刚才介绍的顺序, then follows up (我想追问一下) on what one of them said.
THIRD_PANEL = """# 2024北京智源大会-大模型产业 - P7：圆桌对话 - 智源社区

好，那我们进入今天的圆桌环节，今天我们请到了清华大学的陈立老师，上海人工智能实验室的周海博士，还有百川智能的孙宇总，那我们就按照刚才介绍的顺序，每个人先讲一讲，您觉得今年大模型最大的变化是什么，

好谢谢主持人的问题，我觉得今年最大的变化是这个推理能力，就是大家不再只是比拼参数规模了，而是开始关注这个推理时的计算，这个是一个很大的转变，我就说这么多，

谢谢，那我补充一点，我觉得另外一个变化是开源，开源模型的能力已经非常接近闭源了，这对整个生态是非常好的，

对，我从产业的角度来看，最大的变化是落地，客户不再问你模型有多大，而是问你能解决什么问题，能带来多少收入，这是我的一个观察，

好，非常感谢三位，那刚才陈老师提到推理，我想追问一下，您觉得推理时计算会不会取代预训练的scaling，我觉得不会取代，它们是互补的，预训练决定了这个上限，推理时计算是把这个上限发挥出来，

明白，周博士您同意吗，我基本同意，但是我想补充一点，就是这个数据，高质量的数据越来越少了，所以预训练的scaling可能会放缓，

好，谢谢周博士，我们今天时间有限，就到这里，谢谢三位嘉宾，谢谢大家。
"""

THIRD_PANEL_TURNS = [
    ("主持人", "好，那我们进入今天的圆桌环节"),
    ("陈老师", "谢谢主持人的问题"),
    ("周博士", "那我补充一点"),
    ("孙总", "我从产业的角度来看"),
    ("主持人", "好，非常感谢三位"),
    ("陈老师", "我觉得不会取代"),
    ("主持人", "明白，周博士您同意吗"),
    ("周博士", "我基本同意"),
    ("主持人", "好，谢谢周博士"),
]


def check_turns(md: str, expected: list[tuple[str, str]]) -> None:
    text, who, starts = letters_with_labels(md)
    pos = 0
    for label, snippet in expected:
        p = text.find(evaluate.letters(snippet), pos)
        assert p >= 0, snippet
        assert who[p + len(evaluate.letters(snippet)) - 1] == label, f"{snippet!r}: {who[p + 3]} instead of {label}"
        assert any(abs(s - p) <= 3 for s in starts), f"no paragraph starts at {snippet!r}"
        pos = p + 1
    assert {label for label, _ in paragraphs(md)} == {lab for lab, _ in expected}


def test_a_panel_answering_in_the_introduced_order():
    md = run(THIRD_PANEL).text
    assert_layout(md)
    check_turns(md, THIRD_PANEL_TURNS)


def test_the_same_text_without_a_panel_title_is_still_a_panel():
    """Introductions, 谢谢主持人的问题 and an order cue are signs enough without 圆桌 in the title."""
    md = run(THIRD_PANEL.replace("P7：圆桌对话", "P7：报告")).text
    assert len({label for label, _ in paragraphs(md)}) == 4


def test_a_keynote_that_thanks_the_host_and_introduces_itself_is_one_speaker(sample_text):
    body = slice_between(sample_text, "对我也谈一下我的看法", "对 我感觉这个郭老师的这个").split("\n\n", 1)[1]
    keynote = (
        "# 2024北京智源大会-生成模型 - P2：信号拆分与生成范式\n\n好，谢谢主持人，各位嘉宾大家下午好，"
        "我是来自苹果的顾佳涛，今天我给大家分享一下我们的工作，" + body + "\n\n好，我就说这么多，谢谢大家。\n"
    )
    md = run(keynote).text
    assert {label for label, _ in paragraphs(md)} == {"主讲人"}


# ------------------------------------------------------------------ robustness of the figures


def rebreak(raw: str, seed: int) -> str:
    """The sample with its raw ASR breaks moved: joined, then broken after a random comma."""
    import random

    rnd = random.Random(seed)
    title, body = raw.split("\n\n", 1)
    flat = re.sub(r"\n\n(?!!\[)", "", body)
    pieces, last = [], 0
    for m in re.finditer("，", flat):
        if m.end() - last > rnd.randint(60, 140):
            pieces.append(flat[last : m.end()])
            last = m.end()
    pieces.append(flat[last:])
    return title + "\n\n" + "\n\n".join(pieces)


@pytest.mark.parametrize("seed", [0, 3])
def test_figures_hold_when_the_asr_breaks_move(sample_text, reference_turns, seed):
    """Where the ASR broke lines decides where punctuate puts full stops; turns must not hang on it."""
    scores = figures(sample_text, run(rebreak(sample_text, seed)).text, reference_turns)
    assert scores["boundaries"]["f1"] >= 0.85 and scores["attribution"] >= 0.88


def test_figures_hold_with_other_names(sample_text, reference_turns):
    """Nothing is tied to the sample's surnames: rename every panelist (ASR variants alike)."""
    swap = {"姜": "江", "邓": "唐", "黄": "梁", "李": "林", "顾": "高", "谷": "高", "郭": "高", "卢": "罗"}
    text = sample_text
    for old, new in swap.items():
        text = re.sub(old + "(?=老师|先生|老|文老师)", new, text)
    scores = figures(sample_text, run(text).text, reference_turns)
    assert scores["boundaries"]["f1"] >= 0.85 and scores["attribution"] >= 0.88


def test_an_edited_file_keeps_its_labels_and_gets_labels_where_missing():
    text = "# T\n\n**主持人**：好，我们开始。\n\n**王老师**：我先说。\n\n我再补充一句。  \n\n\n**主持人**：谢谢\n"
    md = run(text, stages=["speakers"]).text
    assert (
        md == "# T\n\n**主持人**：好，我们开始。\n\n**王老师**：我先说。\n\n**王老师**：我再补充一句。\n\n"
        "**主持人**：谢谢\n"
    )


def test_everyday_phrases_inside_an_answer_do_not_split_it(sample_text):
    """我觉得这个问题 / 我的看法是 / 这个问题我 open turns after a closing, not mid-answer."""
    text = sample_text.replace(
        "所以我怎么也想不明白，",
        "所以我怎么也想不明白。我觉得这个问题其实很复杂，我的看法是还要再看看。这个问题我也没想清楚，",
    )
    md = run(text).text
    who = letters_with_labels(md)
    letters = who[0]
    p = letters.find(evaluate.letters("我觉得这个问题其实很复杂"))
    assert who[1][p] == who[1][p - 20] == who[1][p + 40] != "主持人"


KEYNOTE_WITH_QA = """# 2024北京智源大会-智能体 - P3：智能体的记忆机制

好，下面我们有请来自复旦大学的吴老师，给我们带来报告，大家欢迎，

好，谢谢主持人，各位下午好，今天我给大家分享的题目是智能体的记忆机制，我们知道大模型本身是没有长期记忆的，\
所以智能体要想完成复杂任务，就需要一个外部的记忆模块，那么这个记忆模块应该怎么设计，我们做了一些探索，

首先是记忆的写入，我们发现如果把所有的对话都写进去，那这个记忆会非常冗余，所以我们设计了一个摘要的机制，\
最后是遗忘，我们参考了这个人类的遗忘曲线，好，我的报告就到这里，谢谢大家，

好，谢谢吴老师的精彩报告，我们还有几分钟时间，现场有没有问题，好，这边，

吴老师您好，我想问一下，就是这个遗忘曲线的参数是怎么定的，谢谢，好这个问题很好，我们其实是通过实验调出来的，

好，再次感谢吴老师。
"""


def test_a_talk_with_a_host_and_questions():
    """The host's introduction (有请…吴老师), the talk, the host again, a question, the speaker's answer."""
    md = run(KEYNOTE_WITH_QA).text
    assert_layout(md)
    check_turns(
        md,
        [
            ("主持人", "好，下面我们有请来自复旦大学的吴老师"),
            ("吴老师", "好，谢谢主持人"),
            ("主持人", "好，谢谢吴老师的精彩报告"),
            ("观众1", "吴老师您好"),
            ("吴老师", "好这个问题很好"),
            ("主持人", "好，再次感谢吴老师"),
        ],
    )


def test_a_transcript_that_starts_with_a_panelist():
    text = (
        "# 圆桌\n\n谢谢主持人，我先说一下，我觉得数据是最重要的，这是我的看法，"
        "好的，谢谢，刘老师您怎么看，我同意，但是算力也很重要，我就说这么多，"
        "好，王老师有什么补充，我补充一点，就是评测也很重要。\n"
    )
    labels = [label for label, _ in paragraphs(run(text).text)]
    assert labels[0] != "主持人" and labels[1] == "主持人" and labels[2] == "刘老师" and labels[-1] == "王老师"


def test_full_names_and_an_open_question_to_the_panel():
    text = (
        "# 圆桌对话\n\n好，我们开始，第一个问题，王建国老师您怎么看，我觉得数据最重要，这是我的看法，"
        "好的，其他几位老师有没有补充，我补充一点，算力也很重要，我就说这么多，"
        "好，刘明老师呢，我同意两位的看法，谢谢。\n"
    )
    labels = [label for label, _ in paragraphs(run(text).text)]
    assert labels == ["主持人", "王老师", "主持人", "嘉宾A", "主持人", "刘老师"]


# ------------------------------------------------------------------ names from the title, given names

# A fireside chat: the title names the two guests, the host calls them by given name (明远, 雨桐老师),
# thanks them by name, puts a question to both (请两位) and never says 主持人.
FIRESIDE = """# 2024某科技大会-闭幕式 - P2：炉边对话-周明远-高雨桐 - 会议直播

好，下面进入我们的炉边对话，今天请到两位嘉宾，一位是周明远院士，一位是高雨桐博士，那我们就直接开始，\
第一个问题想问问明远老师，您觉得大模型接下来最大的瓶颈是什么，

好的，我觉得最大的瓶颈其实还是数据，高质量的数据已经快用完了，所以接下来要靠合成数据，还有多模态的数据，\
这是我的一个判断，

谢谢明远，雨桐你怎么看，

我同意一部分，但是我觉得算力的瓶颈更现实，现在一张卡都很难买到，所以我们在做很多推理优化的工作，

好，谢谢雨桐老师，那第二个问题请两位都谈一谈，开源和闭源哪个会赢，

好，简单的说我觉得开源会赢，因为生态的力量是最大的，大家一起做总比一家做要快，

我稍微补充一句，我觉得不一定是谁赢，两者会长期共存，闭源在前沿，开源在应用，

好，谢谢两位，我们今天的对话就到这里，谢谢大家。
"""


def test_a_fireside_chat_named_in_the_title():
    md = run(FIRESIDE).text
    assert_layout(md)
    check_turns(
        md,
        [
            ("主持人", "好，下面进入我们的炉边对话"),
            ("周明远", "好的，我觉得最大的瓶颈"),
            ("主持人", "谢谢明远，雨桐你怎么看"),
            ("高雨桐", "我同意一部分"),
            ("主持人", "好，谢谢雨桐老师"),
            ("周明远", "好，简单的说我觉得开源会赢"),
            ("高雨桐", "我稍微补充一句"),
            ("主持人", "好，谢谢两位"),
        ],
    )


# A roundtable whose moderator uses bare given names (若曦, 梓轩) and surnames with 老师, checks that
# a remote panelist can hear, and thanks each by name; one panelist speaks up unasked and is
# named only by the thanks that follow.
GIVEN_NAME_PANEL = """# 2024某科技大会-具身智能论坛 - P5：圆桌讨论 - 会议直播

好各位好，我们进入圆桌环节，现场有两位老师，孟老师和宁老师，线上还有若曦，若曦能听到吗，

能听到能听到，大家好，

好的好的，那我们第一个问题，就是数据从哪里来，孟老师先来，

我觉得还是要靠真实世界的采集，仿真可以补充，但是替代不了，我就说这么多，

好谢谢孟老师，若曦有什么补充吗，

我补充一点，就是我们在线上做了很多遥操作的数据，成本其实比想象的低，

好 谢谢若曦，然后 梓轩，

对我其实比较同意若曦的看法，就是遥操作会是一个主流的方式，

好谢谢梓轩，我可以说两句吗，可以可以，我觉得大家都低估了视频数据，互联网上的视频其实非常多，

好，谢谢宁老师，那我们今天就到这里，谢谢各位。
"""


def test_given_names_thanks_and_a_remote_panelist():
    md = run(GIVEN_NAME_PANEL).text
    assert_layout(md)
    check_turns(
        md,
        [
            ("主持人", "好各位好"),
            ("若曦", "能听到能听到"),
            ("主持人", "好的好的"),
            ("孟老师", "我觉得还是要靠真实世界的采集"),
            ("主持人", "好谢谢孟老师"),
            ("若曦", "我补充一点"),
            ("主持人", "好 谢谢若曦"),
            ("梓轩", "对我其实比较同意"),
            ("主持人", "好谢谢梓轩"),
            ("宁老师", "我可以说两句吗"),
            ("主持人", "可以可以"),
            ("宁老师", "我觉得大家都低估了视频数据"),
            ("主持人", "好，谢谢宁老师"),
        ],
    )


def test_a_keynote_whose_title_names_its_speaker_has_one_label():
    text = (
        "# 2024某科技大会 - P1：主题报告-周明远 - 会议直播\n\n"
        "好，谢谢主持人，各位好，今天我给大家汇报一下我们最近的工作，"
        "我们发现数据的质量比数量更重要，谢谢雨桐老师的邀请，也感谢大家，我们的第一个发现是这样的，"
        "合成数据如果不加筛选，效果会变差，我的报告就到这里，谢谢大家。\n"
    )
    labels = {label for label, _ in paragraphs(run(text).text)}
    assert labels == {"周明远"}


# A panel named in the text whose panelist speaks up after thanks without being named: one of
# the panel (the one heard least lately, not the one the answer names), not a placeholder.
UNNAMED_IN_A_NAMED_PANEL = """# 某论坛 - 圆桌讨论

好，我们开始，第一个问题，周老师您怎么看，我觉得数据最重要，这是我的看法，
好的，谢谢周老师，吴老师有什么看法，我觉得算力更重要，我就说这么多，
好，谢谢吴老师，郑老师呢，我同意两位，但是评测也很重要，谢谢，
好的，第二个问题，开源会不会赢，周老师先来，我觉得会，生态的力量是最大的，我就说这么多，
好，谢谢周老师，我补充一点，我也同意周老师的看法，开源的生态确实很重要，但是闭源在前沿，谢谢，
好的，我们今天就到这里，谢谢各位。
"""


def test_an_unnamed_answer_in_a_named_panel_goes_to_a_panelist():
    md = run(UNNAMED_IN_A_NAMED_PANEL, stages=["punctuate", "speakers"]).text
    labels = [label for label, _ in paragraphs(md)]
    assert not any(label.startswith("嘉宾") for label in labels)
    check_turns(
        md,
        [
            ("主持人", "好，我们开始"),
            ("周老师", "我觉得数据最重要"),
            ("主持人", "好的，谢谢周老师"),
            ("吴老师", "我觉得算力更重要"),
            ("主持人", "好，谢谢吴老师"),
            ("郑老师", "我同意两位"),
            ("主持人", "好的，第二个问题"),
            ("周老师", "我觉得会"),
            ("主持人", "好，谢谢周老师"),
            ("吴老师", "我补充一点"),
            ("主持人", "好的，我们今天就到这里"),
        ],
    )


# The moderator turns to the panel with a new question and no thanks (那最后一个问题我想问一下两位…？);
# the answer after the question is the guest heard least lately.
QUESTION_TO_THE_PANEL = """# 2024某大会 - P3：对话-周明远-高雨桐 - 会议直播

好，我们开始，第一个问题，大模型的瓶颈在哪里，明远老师先来。
好的，我觉得瓶颈在数据，高质量的数据快用完了，所以要靠合成数据。
谢谢明远，雨桐你怎么看。
我觉得算力更紧张，现在一张卡都很难买到，所以我们做了很多推理优化，
那最后一个问题我想问一下两位，开源和闭源，长期来看你们觉得哪个会赢？
我觉得开源会赢，因为生态的力量是最大的。
谢谢两位，我们今天就到这里。
"""


def test_a_question_to_the_panel_without_thanks_is_the_moderator():
    check_turns(
        run(QUESTION_TO_THE_PANEL, stages=["speakers"]).text,
        [
            ("主持人", "好，我们开始"),
            ("周明远", "好的，我觉得瓶颈在数据"),
            ("主持人", "谢谢明远"),
            ("高雨桐", "我觉得算力更紧张"),
            ("主持人", "那最后一个问题"),
            ("周明远", "我觉得开源会赢"),
            ("主持人", "谢谢两位"),
        ],
    )


def test_a_rhetorical_question_inside_an_answer_is_no_turn():
    text = (
        "# 圆桌讨论\n\n好，我们开始，王老师您怎么看？我觉得数据最重要，因为大家觉得模型还能再大吗？"
        "其实已经很难了，这是我的看法。好的，谢谢王老师，刘老师有什么看法？我同意，谢谢。\n"
    )
    labels = [label for label, _ in paragraphs(run(text, stages=["speakers"]).text)]
    assert labels == ["主持人", "王老师", "主持人", "刘老师"]


def test_a_given_name_misheard_as_a_word_still_hands_over_before_you():
    """`好，名媛您的观点`: 名媛 is a word, but at the head of a clause and before 您 it is 明远 addressed."""
    text = QUESTION_TO_THE_PANEL.split("那最后一个问题")[0].replace("推理优化，", "推理优化。") + (
        "好，名媛您的观点，\n对，我同意刚才雨桐说的，算力确实紧张，但是数据的问题更根本。\n谢谢两位，我们今天就到这里。\n"
    )
    check_turns(
        run(text, stages=["speakers"]).text,
        [
            ("主持人", "好，我们开始"),
            ("周明远", "好的，我觉得瓶颈在数据"),
            ("主持人", "谢谢明远"),
            ("高雨桐", "我觉得算力更紧张"),
            ("主持人", "好，名媛您的观点"),
            ("周明远", "对，我同意刚才雨桐说的"),
            ("主持人", "谢谢两位"),
        ],
    )


# A remote panelist, named only in the introduction, comes back on line unasked: the panelist not
# yet heard, for both halves of the turn the moderator's `可以` splits.
REMOTE_COMES_BACK = """# 某论坛 - 圆桌讨论

好，我们开始，线上有孟老师，孟老师是做遥操作的，现场有宁老师和邓老师，第一个问题，数据从哪里来，宁老师先来。
我觉得要靠真实世界的采集，仿真可以补充，我就说这么多。
好，谢谢宁老师，邓老师有什么看法？
我同意宁老师，但是视频数据也很重要，这是我的看法。
好，谢谢邓老师，线上好像有点问题，我们先继续。
大家能听到我吗？
可以。
我刚才网络断了，我补充一点，遥操作的数据成本其实比想象的低。
好的，谢谢，我们今天就到这里。
"""


def test_a_remote_panelist_coming_back_is_the_one_not_yet_heard():
    check_turns(
        run(REMOTE_COMES_BACK, stages=["speakers"]).text,
        [
            ("主持人", "好，我们开始"),
            ("宁老师", "我觉得要靠真实世界的采集"),
            ("主持人", "好，谢谢宁老师"),
            ("邓老师", "我同意宁老师"),
            ("主持人", "好，谢谢邓老师"),
            ("孟老师", "大家能听到我吗"),
            ("主持人", "可以"),
            ("孟老师", "我刚才网络断了"),
            ("主持人", "我们今天就到这里"),
        ],
    )


def test_a_confirmation_of_a_panelists_question_and_an_open_invitation():
    """`…是吧？` — `对对是的，我们…`: the moderator agrees and goes on; `各位老师有什么自己的看法`
    invites the panel, and the one who answers is thanked by name."""
    text = (
        "# 圆桌讨论\n\n好，我们开始，第一个问题，王老师您怎么看？我觉得数据最重要，这个大家应该都同意是吧？"
        "对对是的，我们先有了这个共识，那数据从哪里来，这里也想听听各位老师有什么自己的看法，"
        "我如果从工业界来说的话，我觉得要靠用户的数据，谢谢。好的，谢谢刘老师，今天就到这里。\n"
    )
    check_turns(
        run(text, stages=["speakers"]).text,
        [
            ("主持人", "好，我们开始"),
            ("王老师", "我觉得数据最重要"),
            ("主持人", "对对是的"),
            ("刘老师", "我如果从工业界来说的话"),
            ("主持人", "好的，谢谢刘老师"),
        ],
    )

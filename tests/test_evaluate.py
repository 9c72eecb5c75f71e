"""cleanup.evaluate and `cleanup eval`: each figure pinned down by a small hand-made talk."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from cleanup.eval_cli import app, register
from cleanup.evaluate import MismatchError, evaluate, normalize, punctuation_scores

RAW = (
    "# 对谈：生成模型\n\n我们请到两位嘉宾，王明远和赵雅雯，生成模型下一步做什么，\n\n"
    "我觉得是自会规模型，呃好的，谢谢。\n"
)
REF = (
    "# 对谈：生成模型\n\n"
    "主持人：我们请到两位嘉宾：王明远和赵雅文。生成模型下一步做什么？\n\n"
    "王明远：我觉得是自回归模型。好的，谢谢。\n"
)
ERRORS = [
    {"id": 1, "wrong": "雅雯", "right": "雅文", "left": "王明远和赵", "right_ctx": "，生成模型", "category": "name",
     "confidence": "certain"},
    {"id": 2, "wrong": "自会规", "right": "自回归", "left": "我觉得是", "right_ctx": "模型，呃", "category": "term-zh",
     "confidence": "likely"},
]  # fmt: skip


def ours(reference: str) -> str:
    """The reference as our renderer writes it: bold labels."""
    return reference.replace("主持人：", "**主持人**：").replace("王明远：", "**王明远**：")


def assert_perfect(s: dict) -> None:
    assert s["cer_clean"] == 0
    assert s["error_reduction"] == 1
    assert s["edits"]["wrong"] == s["edits"]["overlapping"] == 0
    assert s["edits"]["matching"] == s["edits"]["reference_edits"] == s["edits"]["reference_fixed"] > 0
    assert s["terms"]["recall"] == 1 and not s["terms"]["misses"]
    for name in ("sentence_end", "question", "comma"):
        assert s["punctuation"][name]["f1"] == 1, name
    assert s["speakers"]["boundaries"]["f1"] == 1
    assert s["speakers"]["attribution"] == 1


def test_normalize_drops_layout_and_keeps_the_way_back():
    text = "# 标题\n\n![图](a.png)\n\n**甲**：你好，世界。\n乙：謝謝 AI！"
    n = normalize(text)
    assert n.text == "你好世界谢谢AI"
    assert [text[p] for p in n.positions] == list("你好世界謝謝AI")
    assert n.marks[1] == "，" and n.marks[3] == "。" and n.marks[-1] == "！"
    assert n.speakers == ["甲"] * 4 + ["乙"] * 4
    assert n.boundaries() == [4]


@pytest.mark.parametrize("clean", [REF, ours(REF)], ids=["editor-labels", "bold-labels"])
def test_reference_scored_against_itself_is_perfect(clean):
    assert_perfect(evaluate(RAW, clean, REF, ERRORS).to_json())


def test_raw_scored_as_output_fixes_nothing_and_breaks_nothing():
    s = evaluate(RAW, RAW, REF, ERRORS).to_json()
    assert s["cer_clean"] == s["cer_raw"] > 0
    assert s["error_reduction"] == 0
    assert s["edits"]["clean_edits"] == s["edits"]["wrong"] == 0
    assert s["terms"]["recall"] == 0 and s["terms"]["total"] == 2
    assert s["speakers"]["attribution"] == 0  # no labels at all


def test_a_change_the_editor_did_not_make_is_a_wrong_edit():
    s = evaluate(RAW, ours(REF).replace("两位", "三位"), REF, ERRORS).to_json()
    assert s["edits"]["wrong"] == 1
    assert "两→三" in s["edits"]["examples"]["wrong"][0]
    assert s["edits"]["matching"] == s["edits"]["reference_edits"]


def test_a_half_fix_overlaps_and_misses_the_term():
    s = evaluate(RAW, ours(REF).replace("雅文", "亚琴"), REF, ERRORS).to_json()
    assert s["edits"]["overlapping"] == 1 and s["edits"]["wrong"] == 0
    (miss,) = s["terms"]["misses"]
    assert miss["id"] == 1 and miss["got"] == "亚琴"


def test_a_missed_term_counts_by_category_and_confidence():
    s = evaluate(RAW, ours(REF).replace("自回归", "自会规"), REF, ERRORS).to_json()
    t = s["terms"]
    assert (t["fixed"], t["total"]) == (1, 2)
    assert t["by_category"]["name"]["recall"] == 1 and t["by_category"]["term-zh"]["recall"] == 0
    assert t["by_confidence"]["likely"] == {"fixed": 0, "total": 1, "recall": 0}
    assert [m["id"] for m in t["misses"]] == [2]
    assert s["edits"]["wrong"] == 0


def test_letters_added_at_a_term_edge_count_as_the_fix():
    raw, ref = "他说Alan Yu的观点很好。", "甲：他说Alan Yuille的观点很好。"
    errors = [{"id": 1, "wrong": "Alan Yu", "right": "Alan Yuille", "left": "他说", "right_ctx": "的观点"}]
    assert evaluate(raw, ref, ref, errors).terms["recall"] == 1


def test_format_only_corrections_are_left_out_of_recall():
    raw, ref = "甲：我们进入AI 2。0时代。", "甲：我们进入AI 2.0时代。"
    errors = [{"id": 1, "wrong": "2。0", "right": "2.0", "left": "进入AI ", "right_ctx": "时代"}]
    t = evaluate(raw, raw, ref, errors).terms
    assert t["total"] == 0 and t["format_only"] == 1


def test_a_question_mark_turned_into_a_full_stop():
    p = punctuation_scores(REF, REF.replace("什么？", "什么。"))
    assert p["question"]["recall"] == 0 and p["question"]["f1"] == 0
    assert p["sentence_end"]["f1"] == 1


def test_punctuation_classes():
    p = punctuation_scores("甲乙、丙丁，戊。己？", "甲乙，丙丁、戊，己？")
    assert p["comma"]["tp"] == 2  # ， and 、 are one class: swapping them costs nothing
    assert (p["sentence_end"]["tp"], p["sentence_end"]["predicted"], p["sentence_end"]["expected"]) == (1, 1, 2)
    assert p["comma"]["predicted"] == 3 and p["comma"]["precision"] == pytest.approx(2 / 3)


def test_punctuation_follows_the_alignment_past_a_misheard_word():
    p = punctuation_scores("甲：我觉得是自回归模型，好的。", "我觉得是自会规模型，好的。")
    assert p["comma"]["f1"] == 1 and p["sentence_end"]["f1"] == 1


def test_a_moved_boundary_counts_within_the_tolerance():
    moved = ours(REF).replace("什么？\n\n**王明远**：我觉得是", "什么？我觉得\n\n**王明远**：是")
    near = evaluate(RAW, moved, REF, tolerance=5).speakers
    far = evaluate(RAW, moved, REF, tolerance=2).speakers
    assert near["boundaries"]["f1"] == 1
    assert far["boundaries"]["f1"] == 0
    letters = len(normalize(REF).text)
    assert near["attribution"] == pytest.approx((letters - 3) / letters)


def test_relabelled_speakers_map_onto_the_reference():
    relabelled = REF.replace("主持人：", "**说话人1**：").replace("王明远：", "**说话人2**：")
    s = evaluate(RAW, relabelled, REF).speakers
    assert s["attribution"] == 1 and s["label_map"] == {"说话人1": "主持人", "说话人2": "王明远"}
    one_voice = "**说话人1**：" + REF.split("\n\n", 1)[1].replace("主持人：", "").replace("\n\n王明远：", "")
    s = evaluate(RAW, one_voice, REF).speakers
    assert s["boundaries"]["recall"] == 0
    assert 0 < s["attribution"] < 1


def test_inputs_from_another_talk_are_a_mismatch():
    with pytest.raises(MismatchError):
        evaluate(RAW, RAW, "甲：完全不同的一段话，讲的是天气和午饭。")
    with pytest.raises(MismatchError):
        evaluate(RAW, RAW, REF, [{"wrong": "天气", "right": "天启", "left": "", "right_ctx": ""}])


@given(st.text(alphabet="我们的大模型AI，。？、 \n", max_size=60))
def test_any_text_scores_perfect_punctuation_against_itself(text):
    p = punctuation_scores(text, text)
    assert all(p[k]["f1"] == 1 for k in ("sentence_end", "question", "comma"))


# ---------------------------------------------------------------- the command


@pytest.fixture
def files(tmp_path):
    paths = {name: tmp_path / name for name in ("raw.txt", "clean.md", "gold.md", "errors.jsonl")}
    paths["raw.txt"].write_text(RAW, encoding="utf-8")
    paths["clean.md"].write_text(ours(REF), encoding="utf-8")
    paths["gold.md"].write_text(REF, encoding="utf-8")
    paths["errors.jsonl"].write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in ERRORS), "utf-8")
    return {k: str(v) for k, v in paths.items()}


def test_cli_json_and_table(files):
    args = [files["raw.txt"], files["clean.md"], "--reference", files["gold.md"], "--errors", files["errors.jsonl"]]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert_perfect(json.loads(result.output))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0 and "wrong edits" in result.output


@pytest.mark.parametrize(
    "broken, message",
    [("clean.md", "no such file"), ("errors.jsonl", "not JSON"), ("gold.md", "not the same talk")],
)
def test_cli_bad_inputs_exit_2_with_one_line(files, tmp_path, broken, message):
    if broken == "clean.md":
        files["clean.md"] = str(tmp_path / "missing.md")
    elif broken == "errors.jsonl":
        Path(files["errors.jsonl"]).write_text("{oops\n", encoding="utf-8")
    else:
        Path(files["gold.md"]).write_text("甲：完全不同的一段话，讲的是天气和午饭。", encoding="utf-8")
    args = [files["raw.txt"], files["clean.md"], "-r", files["gold.md"], "-e", files["errors.jsonl"]]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_register_mounts_eval_on_another_app(files):
    main = typer.Typer()

    @main.command()
    def run() -> None:
        """Stands in for the main CLI's other commands."""

    register(main)
    result = CliRunner().invoke(main, ["eval", files["raw.txt"], files["clean.md"], "-r", files["gold.md"], "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["cer_clean"] == 0


# ---------------------------------------------------------------- the dev set, read in place when present

DEVSET = Path(os.environ.get("DEVSET_DIR", Path(__file__).resolve().parents[2] / "shared" / "devset"))
TALKS = sorted(p for p in DEVSET.glob("*/") if (p / "gold.md").exists()) if DEVSET.is_dir() else []


@pytest.mark.skipif(not TALKS, reason="../shared/devset not present")
@pytest.mark.parametrize("talk", TALKS, ids=lambda p: p.name)
def test_devset_gold_is_perfect_and_raw_fixes_nothing(talk):
    raw, gold = (talk / "raw.txt").read_text("utf-8"), (talk / "gold.md").read_text("utf-8")
    errors = [json.loads(line) for line in (talk / "errors.jsonl").read_text("utf-8").splitlines() if line.strip()]
    assert_perfect(evaluate(raw, gold, gold, errors).to_json())
    s = evaluate(raw, raw, gold, errors).to_json()
    assert s["terms"]["fixed"] == 0 and s["terms"]["total"] > 0 and s["edits"]["wrong"] == 0

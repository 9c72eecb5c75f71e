"""The review loop without a browser: apply decisions, learn from them.

The round trip is the point: learn from decisions, re-run the pipeline, and the accepted
proposal is now applied by the glossary stage while the rejected replacement no longer fires.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cleanup import outputs, pipeline
from cleanup.context import Context
from cleanup.document import Change, Document, Edit, Source, replay
from cleanup.glossary.edit import PackText
from cleanup.glossary.learn import plan_learning
from cleanup.review import ReviewError, apply_decisions, load_log, read_decisions

CLI = [str(Path(sys.executable).parent / "cleanup")]


def cleanup(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + list(args), capture_output=True, text=True)


def decisions_for(doc: Document, *pairs) -> dict:
    items = []
    for pair in pairs:
        item = {"id": pair[0], "verdict": pair[1]}
        if len(pair) > 2:
            item["text"] = pair[2]
        items.append(item)
    return {"source_sha256": doc.source.sha256, "decisions": items}


@pytest.fixture
def small_doc() -> Document:
    """normalize-ish edits by hand: one replacement, one insertion, one proposal."""
    doc = Document(Source.from_text("我们做多么泰大模型 深层结合进去"))
    text = doc.text
    doc.apply(
        "glossary",
        [Change(text.index("多么泰"), text.index("多么泰") + 3, "多模态", rule="glossary:多模态", confidence=0.99)],
    )
    doc.apply("punctuate", [Change(len(doc.text), len(doc.text), "。", rule="end", confidence=0.8)])
    i = doc.text.index("深层")
    doc.apply("phonetic", [Change(i, i + 2, "生成", rule="phonetic:生成", confidence=0.7, applied=False)])
    return doc


# --- apply -------------------------------------------------------------------------------
def test_apply_accepts_a_proposal_and_rejects_an_edit(small_doc):
    doc = small_doc
    new = apply_decisions(doc, decisions_for(doc, ("glossary-1", "reject"), ("phonetic-1", "accept")))
    assert new.text == "我们做多么泰大模型 生成结合进去。"
    assert replay(new.source.text, new.edits) == new.text
    assert {e.id for e in new.proposals} == {"glossary-1"}
    assert doc.text == "我们做多模态大模型 深层结合进去。"  # the input document is untouched


def test_reviewer_text_replaces_after(small_doc):
    new = apply_decisions(small_doc, decisions_for(small_doc, ("glossary-1", "accept", "多模态的")))
    assert new.text.startswith("我们做多模态的大模型")
    edit = next(e for e in new.edits if e.id == "glossary-1")
    assert edit.after == "多模态的" and "reviewer" in edit.note


def test_undecided_edits_keep_their_state(small_doc):
    new = apply_decisions(small_doc, decisions_for(small_doc))
    assert new.text == small_doc.text and [e.id for e in new.edits] == [e.id for e in small_doc.edits]


def test_changed_source_is_refused(small_doc):
    data = decisions_for(small_doc, ("glossary-1", "reject"))
    data["source_sha256"] = "0" * 64
    with pytest.raises(ReviewError, match="sha256"):
        apply_decisions(small_doc, data)


def test_unknown_id_and_stale_decision_are_refused(small_doc):
    with pytest.raises(ReviewError, match="glossary-9"):
        apply_decisions(small_doc, decisions_for(small_doc, ("glossary-9", "reject")))
    stale = decisions_for(small_doc, ("glossary-1", "reject"))
    stale["decisions"][0]["before"] = "别的"
    with pytest.raises(ReviewError, match="different edit"):
        apply_decisions(small_doc, stale)


def test_accepted_proposal_overlapping_an_applied_edit():
    doc = Document(Source.from_text("这个口散模型很好"))
    doc.apply("phonetic", [Change(2, 6, "扩散模型", rule="phonetic:扩散模型", confidence=0.5, applied=False)])
    doc.apply("spelling", [Change(2, 4, "口算", rule="spelling:x")])
    with pytest.raises(ReviewError, match=r"phonetic-1 .*overlaps spelling-1.*reject spelling-1"):
        apply_decisions(doc, decisions_for(doc, ("phonetic-1", "accept")))
    both = apply_decisions(doc, decisions_for(doc, ("phonetic-1", "accept"), ("spelling-1", "reject")))
    assert both.text == "这个扩散模型很好"


def test_accepted_insertion_goes_before_a_later_stage_insertion_at_the_same_point():
    doc = Document(Source.from_text("好的谢谢我来说"))
    doc.apply("punctuate", [Change(4, 4, "。", rule="end", applied=False, confidence=0.5)])
    doc.apply("speakers", [Change(4, 4, "\n\n**嘉宾A**：", rule="turn:thanks")])
    new = apply_decisions(doc, decisions_for(doc, ("punctuate-1", "accept")))
    assert new.text == "好的谢谢。\n\n**嘉宾A**：我来说"


def test_read_decisions_rejects_bad_files(tmp_path):
    bad = tmp_path / "d.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ReviewError, match="not JSON"):
        read_decisions(bad)
    bad.write_text(json.dumps({"source_sha256": "x", "decisions": [{"id": "a", "verdict": "maybe"}]}))
    with pytest.raises(ReviewError, match="verdict"):
        read_decisions(bad)
    with pytest.raises(ReviewError, match="no such file"):
        read_decisions(tmp_path / "missing.json")


def pack(tmp_path, text, name="pack.yaml") -> PackText:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return PackText.read(path)


# --- learn: the round trip ------------------------------------------------------------------
ROUND_TRIP_TEXT = "我们做多么泰大模型做的特别多，输入是多么泰的，世界的深层结合进去，深层的问题很多。"


def test_learn_round_trip(tmp_path):
    base = pack(tmp_path, "- term: 多模态\n  variants: [多么泰]\n- term: 生成\n  en: generation\n")
    source = tmp_path / "talk.txt"
    source.write_text(ROUND_TRIP_TEXT, encoding="utf-8")
    ctx = Context([base.path])
    doc = pipeline.run(Source.read(source), ctx, ["normalize", "glossary"])
    first, second = [e for e in doc.edits if e.stage == "glossary"]
    assert (first.before, first.after) == ("多么泰", "多模态")
    i = doc.text.index("深层结合")
    doc.apply("phonetic", [Change(i, i + 2, "生成", rule="phonetic:生成", confidence=0.6, applied=False)])
    decisions = decisions_for(doc, (first.id, "reject"), ("phonetic-1", "accept"))
    decisions["name"] = "talk"
    target = tmp_path / "talks" / "talk.yaml"
    target.parent.mkdir()

    plan = plan_learning(decisions, doc, target, [base.path])
    kinds = {(lesson.kind, lesson.variant, lesson.term) for lesson in plan.lessons}
    assert kinds == {("variant", "深层", "生成"), ("guard", "多么泰", "多模态")}
    for path, (_, new) in plan.files.items():
        path.write_text(new, encoding="utf-8")

    again = pipeline.run(Source.read(source), Context([base.path, target]), ["normalize", "glossary"])
    fired = {(e.before, e.after, e.start) for e in again.edits if e.stage == "glossary"}
    proposal = next(e for e in doc.edits if e.id == "phonetic-1")
    assert ("深层", "生成", proposal.start) in fired  # the accepted proposal, now by the glossary stage
    assert ("多么泰", "多模态", first.start) not in fired  # the rejected replacement no longer fires
    assert ("多么泰", "多模态", second.start) in fired  # ... only there
    assert ROUND_TRIP_TEXT.count("深层") == 2 and len([f for f in fired if f[0] == "深层"]) == 1  # guarded


def test_learn_removes_a_rejected_talk_variant_and_guards_nested_ones(tmp_path):
    talks = tmp_path / "talks"
    talks.mkdir()
    overlay = pack(talks, "terms:\n  - term: 结论\n    variants: [杰料]\n", name="t.yaml")
    base = pack(tmp_path, "- term: 多模态\n  variants: [多么泰]\n- term: 多模态大模型\n  variants: [多么泰大模型]\n")
    source = tmp_path / "t.txt"
    source.write_text("我做多么泰大模型做的特别多。这不是杰料。后来大家都说起多么泰大模型。", encoding="utf-8")
    doc = pipeline.run(Source.read(source), Context([base.path, overlay.path]), ["glossary"])
    ids = {e.before: e.id for e in doc.edits}
    rejected = next(e for e in doc.edits if e.before == "多么泰大模型")  # the first of two
    decisions = decisions_for(doc, (ids["杰料"], "reject"), (rejected.id, "reject"))
    plan = plan_learning(decisions, doc, overlay.path, [base.path])
    kinds = {(lesson.kind, lesson.variant) for lesson in plan.lessons}
    # the shorter 多么泰 would fire inside the rejected 多么泰大模型: it is guarded there too
    assert kinds == {("remove", "杰料"), ("guard", "多么泰大模型"), ("guard", "多么泰")}
    for path, (_, new) in plan.files.items():
        path.write_text(new, encoding="utf-8")
    again = pipeline.run(Source.read(source), Context([base.path, overlay.path]), ["glossary"])
    assert again.text == "我做多么泰大模型做的特别多。这不是杰料。后来大家都说起多模态大模型。"


def test_learn_skips_what_it_cannot_learn(tmp_path):
    base = pack(tmp_path, "- term: 多模态\n  variants: [多么泰]\n")
    doc = Document(Source.from_text("输入是多么泰的。"))
    doc.apply("phonetic", [Change(3, 6, "多模太", rule="phonetic:多模太", applied=False)])
    doc.apply("punctuate", [Change(6, 7, "，", rule="comma", applied=False)])
    decisions = decisions_for(doc, ("phonetic-1", "accept"), ("punctuate-1", "accept"))
    plan = plan_learning(decisions, doc, tmp_path / "talks.yaml", [base.path])
    assert plan.lessons == [] and plan.files == {}
    assert any("already a variant of 多模态" in s for s in plan.skipped)


# --- CLI --------------------------------------------------------------------------------------
@pytest.fixture
def reviewed(tmp_path):
    """A talk cleaned with a private pack, its outputs, and a decisions file."""
    glossary = tmp_path / "pack.yaml"
    glossary.write_text("# private pack\n- term: Zorblax\n  variants: [Zorb Lax]\n", encoding="utf-8")
    source = tmp_path / "talk.txt"
    source.write_text("我们用Zorb Lax做实验，Zorb Lax很好。然后Zorbex也出现了。", encoding="utf-8")
    doc = pipeline.run(Source.read(source), Context([glossary]), ["glossary"])
    i = doc.text.index("Zorbex")
    doc.apply("phonetic", [Change(i, i + 6, "Zorblax", rule="phonetic:Zorblax", confidence=0.6, applied=False)])
    out = tmp_path / "out"
    outputs.write_atomic(outputs.render_all(doc, "talk"), out)
    decisions = decisions_for(doc, ("glossary-1", "reject"), ("phonetic-1", "accept"))
    decisions["name"] = "talk"
    (out / "talk.decisions.json").write_text(json.dumps(decisions, ensure_ascii=False), encoding="utf-8")
    return tmp_path, out, glossary


def test_cli_apply_rerenders_all_outputs(reviewed):
    _, out, _ = reviewed
    result = cleanup("apply", str(out / "talk.edits.json"), "--decisions", str(out / "talk.decisions.json"))
    assert result.returncode == 0, result.stderr
    md = (out / "talk.md").read_text(encoding="utf-8")
    assert md == "我们用Zorb Lax做实验，Zorblax很好。然后Zorblax也出现了。"
    doc, name = load_log(out / "talk.edits.json")
    assert name == "talk" and doc.text == md
    assert "Zorblax" in (out / "talk.diff").read_text(encoding="utf-8")
    assert 'id="e-phonetic-1"' in (out / "talk.report.html").read_text(encoding="utf-8")


def test_cli_apply_errors_are_one_line(reviewed, tmp_path):
    _, out, _ = reviewed
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"source_sha256": "f" * 64, "decisions": []}), encoding="utf-8")
    for args in (
        ["apply", str(out / "talk.edits.json"), "--decisions", str(bad)],
        ["apply", str(out / "missing.edits.json"), "--decisions", str(bad)],
    ):
        result = cleanup(*args)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "sha256" in cleanup("apply", str(out / "talk.edits.json"), "--decisions", str(bad)).stderr


def test_cli_learn_shows_a_diff_and_writes_only_with_write(reviewed):
    tmp_path, out, glossary = reviewed
    into = tmp_path / "talks" / "talk.yaml"
    args = ["glossary", "learn", str(out / "talk.decisions.json"), "--into", str(into), "--glossary", str(glossary)]
    dry = cleanup(*args)
    assert dry.returncode == 0, dry.stderr
    assert "+    variants: [Zorbex]\n" in dry.stdout and "--write" in dry.stdout
    # the rejected place is told apart from the kept one nearby by the word before it
    assert "+  variants: [{text: Zorb Lax, forbid_near: [用Zorb Lax]}]\n" in dry.stdout
    assert not into.exists() and "forbid_near" not in glossary.read_text(encoding="utf-8")
    wet = cleanup(*args, "--write")
    assert wet.returncode == 0, wet.stderr
    assert glossary.read_text(encoding="utf-8").startswith("# private pack\n- term: Zorblax\n  variants: [{text: Zorb")
    assert into.read_text(encoding="utf-8").startswith("# Talk overlay")
    again = pipeline.run(Source.read(tmp_path / "talk.txt"), Context([glossary, into]), ["glossary"])
    assert again.text == "我们用Zorb Lax做实验，Zorblax很好。然后Zorblax也出现了。"


def test_edit_ids_in_decisions_match_the_log(reviewed):
    _, out, _ = reviewed
    data = json.loads((out / "talk.edits.json").read_text(encoding="utf-8"))
    ids = {e["id"] for e in data["edits"]}
    assert {"glossary-1", "glossary-2", "phonetic-1"} <= ids
    assert all(Edit.from_json(e).before == e["before"] for e in data["edits"])

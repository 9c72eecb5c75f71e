"""The edit log: offsets map back to the source, edits replay exactly, nothing is lost."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanup.document import Change, Document, InputError, Source, replay

MIXED = st.text(
    alphabet=st.sampled_from(list("我们做最大自然估计自会规多么泰，。 \nScaling Loss呃嗯啊ab12")), max_size=60
)


def test_replacement_of_other_length_keeps_neighbours():
    doc = Document(Source.from_text("做最大自然估计，呃，然后"))
    doc.apply("glossary", [Change(1, 5, "最大似然", "g"), Change(5, 5, "X", "ins")])
    doc.apply("normalize", [Change(9, 11, "", "filler")])
    assert doc.text == "做最大似然X估计，然后"
    assert [e.before for e in doc.applied_edits] == ["最大自然", "", "呃，"]
    assert replay(doc.source.text, doc.edits) == doc.text


def test_insertions_at_one_point_keep_current_text_order():
    doc = Document(Source.from_text("甲乙"))
    doc.apply("punctuate", [Change(1, 1, "。", "p")])
    doc.apply("speakers", [Change(2, 2, "\n\n**B**：", "turn"), Change(0, 0, "**A**：", "turn")])
    assert doc.text == "**A**：甲。\n\n**B**：乙"
    assert replay(doc.source.text, doc.edits) == doc.text


def test_change_touching_an_earlier_edit_is_refused():
    doc = Document(Source.from_text("自会规模型"))
    doc.apply("glossary", [Change(0, 3, "自回归", "g")])
    assert not doc.is_original(1, 2)
    with pytest.raises(ValueError):
        doc.apply("phonetic", [Change(1, 4, "x", "p")])


def test_source_span_of_untouched_text_only():
    doc = Document(Source.from_text("我们呃自会规模型"))
    doc.apply("normalize", [Change(2, 3, "", "filler")])
    doc.apply("glossary", [Change(2, 5, "自回归", "g")])
    assert doc.text == "我们自回归模型"
    assert doc.source_span(5, 7) == (6, 8)  # 模型, after the filler removed
    assert doc.source_span(0, 2) == (0, 2)
    assert doc.source_span(1, 3) is None  # reaches into the glossary's edit
    assert doc.source_span(1, 2) == (1, 2)
    assert doc.source_span(2, 2) == (3, 3)  # at an edge, the later piece: after the filler


def test_unapplied_proposals_do_not_change_text_but_are_logged():
    doc = Document(Source.from_text("思科一下"))
    doc.apply("spelling", [Change(0, 2, "思考", "lm", 0.4, applied=False)])
    assert doc.text == "思科一下"
    assert [(e.before, e.after, e.applied) for e in doc.edits] == [("思科", "思考", False)]


def test_rejecting_one_edit_leaves_the_others_valid():
    doc = Document(Source.from_text("多么泰和换解和口散模型"))
    doc.apply("glossary", [Change(0, 3, "多模态", "g"), Change(4, 6, "幻觉", "g"), Change(7, 9, "扩散", "g")])
    edits = doc.edits
    edits[1].applied = False
    assert replay(doc.source.text, edits) == "多模态和换解和扩散模型"


@st.composite
def document_with_changes(draw):
    text = draw(MIXED)
    doc = Document(Source.from_text(text))
    for stage in ("a", "b", "c"):
        current = doc.text
        kept = [i for i in range(len(current) + 1) if doc.is_original(i, i)]
        points = sorted(draw(st.lists(st.sampled_from(kept), max_size=5, unique=True))) if kept else []
        changes, last = [], -1
        for p in points:
            if p < last:
                continue
            length = draw(st.integers(0, 3))
            end = p
            while end < min(len(current), p + length) and doc.is_original(p, end + 1):
                end += 1
            changes.append(Change(p, end, draw(st.sampled_from(["", "。", "最大似然", "Law"])), "r"))
            last = end if end > p else p + 1
        doc.apply(stage, changes)
    return doc


@settings(max_examples=300, deadline=None)
@given(document_with_changes())
def test_edits_replay_exactly_and_no_source_text_is_lost(doc):
    edits = doc.edits
    assert replay(doc.source.text, edits) == doc.text
    covered = sorted((e.start, e.end) for e in edits if e.applied)
    for e in edits:
        assert doc.source.text[e.start : e.end] == e.before
    # every source character is either kept verbatim or inside an applied edit's `before`
    kept = "".join(doc.source.text[a:b] for a, b in _gaps(covered, len(doc.source.text)))
    assert len(kept) + sum(e - s for s, e in covered) == len(doc.source.text)


def _gaps(spans, length):
    pos = 0
    for s, e in spans:
        yield pos, s
        pos = e
    yield pos, length


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("最大似然".encode(), "utf-8"),
        ("最大似然".encode("utf-8-sig"), "utf-8-sig"),
        ("最大似然，自回归模型".encode("gbk"), "gb18030"),
    ],
)
def test_encodings_are_detected_and_recorded(tmp_path, data, encoding):
    path = tmp_path / "t.txt"
    path.write_bytes(data)
    source = Source.read(path)
    assert source.encoding == encoding
    assert source.text.startswith("最大似然")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"  \n", "empty"),
        ("bin.txt", b"\x89PNG\r\n\x00\x00", "binary"),
        ("latin.txt", bytes(range(0x80, 0xFF)), "cannot decode"),
        ("notes.docx", "文本".encode(), "unknown extension"),
    ],
)
def test_bad_input_is_one_clear_error(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match=message):
        Source.read(path)

"""NAME.report.html without a browser: escaping, every edit present, counts, layout, size."""

import base64
import hashlib
import html as htmllib
import json
import re
import time
from html.parser import HTMLParser

import pytest

from cleanup.document import Change, Document, Source
from cleanup.render.report import conflicts, layout, merge_in_replay_order, overlaps, render_report

HOSTILE = (
    "# 标题 <b>bold</b>\n\n"
    '主持人说 <script>alert("x")</script> 然后 </script><img src=x onerror=alert(1)> 还有 '
    "<!-- comment --> & &amp; \u2028 多么泰 模型。"
)


@pytest.fixture
def hostile_doc() -> Document:
    doc = Document(Source.from_text(HOSTILE))
    text = doc.text
    i = text.index("多么泰")
    doc.apply(
        "glossary", [Change(i, i + 3, "多模态</script><script>alert(2)</script>", rule="glossary:<x>", note="<i>")]
    )
    j = doc.text.index("主持人")
    doc.apply("speakers", [Change(j, j, "**<主持人>**：", rule="turn:<cue>", confidence=0.7)])
    k = doc.text.index("然后")
    doc.apply("phonetic", [Change(k, k + 2, "<svg onload=alert(3)>", rule="phonetic:x", confidence=0.4, applied=False)])
    return doc


class Collector(HTMLParser):
    """The page as a browser's tokenizer sees it: tags, and the text inside each script."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def parse(page: str) -> Collector:
    c = Collector()
    c.feed(page)
    return c


def test_transcript_markup_is_text(hostile_doc):
    page = render_report(hostile_doc, title="<t>")
    parsed = parse(page)
    tags = {t for t, _ in parsed.tags}
    assert "img" not in tags and "svg" not in tags and "i" not in tags
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert [t for t, _ in parsed.tags].count("script") == 2  # the data block and the page's own script
    assert not any(k.startswith("on") for _, attrs in parsed.tags for k in attrs)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page or "&lt;script&gt;alert(&quot;x&quot;)" in page
    assert "&lt;t&gt;" in page and "<t>" not in page


def test_edit_data_is_embedded_safely(hostile_doc):
    page = render_report(hostile_doc, title="t")
    parsed = parse(page)
    block = next(i for i, (t, a) in enumerate(t for t in parsed.tags if t[0] == "script") if a.get("type"))
    raw = parsed.scripts[block]
    assert "<" not in raw and ">" not in raw and "&" not in raw and "\u2028" not in raw
    data = json.loads(raw)
    assert [e["id"] for e in data["edits"]] == [e.id for e in hostile_doc.edits]
    assert data["edits"][0]["after"] == hostile_doc.edits[0].after  # the text survives the escaping
    assert data["source_sha256"] == hostile_doc.source.sha256


def test_csp_allows_only_the_pages_own_script(hostile_doc):
    page = render_report(hostile_doc, title="t")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "connect-src" not in csp  # default-src 'none' covers fetches
    script = parse(page).scripts[-1]
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    assert "http://" not in page and "https://" not in page  # nothing to fetch


def test_every_edit_appears_once_inline(hostile_doc):
    page = render_report(hostile_doc, title="t")
    for e in hostile_doc.edits:
        assert page.count(f'id="e-{e.id}"') == 1, e.id
        assert f'title="{htmllib.escape(e.stage)} · ' in page or f'title="{e.stage} · ' in page
    proposals = re.search(r'<h2 id="proposals">(.*?)</table>', page, re.S).group(1)
    assert 'data-id="phonetic-1"' in proposals and 'data-id="glossary-1"' not in proposals
    turns = re.search(r'<h2 id="turns">(.*?)</table>', page, re.S).group(1)
    assert "&lt;主持人&gt;" in turns and "&lt;cue&gt;" in turns and "0.70" in turns


def test_summary_counts():
    doc = Document(Source.from_text("最大自然估计和最大自然 自会规 模型 好"))
    t = doc.text
    doc.apply(
        "glossary",
        [
            Change(t.index("最大自然估计"), t.index("最大自然估计") + 4, "最大似然", rule="glossary:最大似然"),
            Change(t.rindex("最大自然"), t.rindex("最大自然") + 4, "最大似然", rule="glossary:最大似然"),
            Change(t.index("自会规"), t.index("自会规") + 3, "自回归", rule="glossary:自回归"),
        ],
    )
    t = doc.text
    doc.apply("punctuate", [Change(t.index(" "), t.index(" ") + 1, "，", rule="comma", confidence=0.9)])
    doc.apply("punctuate", [Change(len(doc.text), len(doc.text), "。", rule="end", confidence=0.5, applied=False)])
    page = render_report(doc, title="t")
    stage_rows = re.findall(
        r'<tr class="st-\d"><td><span class="swatch"></span> (\w+)</td>'
        r'<td class="n">(\d+)</td><td class="n">(\d+)</td>',
        page,
    )
    assert stage_rows == [("glossary", "3", "0"), ("punctuate", "1", "1")]
    top = re.search(r"Most frequent corrections</h2>(.*?)</table>", page, re.S).group(1)
    first = re.search(r"<del>(.*?)</del> → <ins>(.*?)</ins></td><td>glossary</td><td class=\"n\">(\d+)", top)
    assert first.groups() == ("最大自然", "最大似然", "2")
    assert f'<b id="c-undecided">{len(doc.edits)}</b>' in page


def test_layout_reconstructs_both_texts(hostile_doc):
    """Kept text plus each inline edit's before (or after) gives the source (or the output)."""
    source, output = [], []
    for kind, item in layout(hostile_doc):
        if kind == "text":
            source.append(item)
            output.append(item)
        elif not item.marker:
            source.append(item.edit.before)
            output.append(item.edit.after if item.edit.applied else item.edit.before)
    assert "".join(source) == hostile_doc.source.text
    assert "".join(output) == hostile_doc.text


def test_overlapping_proposal_becomes_a_marker_with_conflicts():
    doc = Document(Source.from_text("这个口散模型很好"))
    doc.apply("phonetic", [Change(2, 6, "扩散模型", rule="phonetic:扩散模型", applied=False, confidence=0.5)])
    doc.apply("spelling", [Change(2, 4, "口算", rule="spelling:x")])
    assert conflicts(doc.edits) == {"phonetic-1": ["spelling-1"], "spelling-1": ["phonetic-1"]}
    items = [item for kind, item in layout(doc) if kind == "edit"]
    assert [(i.edit.id, i.marker) for i in items] == [("spelling-1", False), ("phonetic-1", True)]
    page = render_report(doc, title="t")
    assert 'class="e st-0 off prop mark"' in page.replace("st-1", "st-0")


def test_overlaps_and_merge_order():
    from cleanup.document import Edit

    def e(i, s, t, stage="glossary", after="x"):
        return Edit(i, stage, "r", s, t, "", after)

    assert overlaps(e("a", 2, 5), e("b", 4, 6)) and not overlaps(e("a", 2, 5), e("b", 5, 6))
    assert overlaps(e("a", 2, 5), e("b", 3, 3)) and not overlaps(e("a", 2, 5), e("b", 2, 2))
    assert not overlaps(e("a", 3, 3), e("b", 3, 3))
    applied = [e("p", 4, 4, "punctuate"), e("s", 4, 4, "speakers"), e("g", 4, 6)]
    merged = merge_in_replay_order(
        applied,
        [e("n", 4, 4, "normalize"), e("q", 4, 4, "phonetic")],
        ["normalize", "glossary", "phonetic", "punctuate", "speakers"],
    )
    assert [x.id for x in merged] == ["n", "q", "p", "s", "g"]


def test_two_thousand_edits_render_quickly():
    words = "我们今天讨论自会规模型和扩散模型 然后"
    text = words * 400  # 7600 characters, 2000 edits
    doc = Document(Source.from_text(text))
    changes, proposals = [], []
    for i in range(0, len(text), len(words)):
        changes.append(Change(i + 6, i + 9, "自回归", rule="glossary:自回归", confidence=0.99))
        changes.append(Change(i + 16, i + 17, "，", rule="comma", confidence=0.6))
        changes.append(Change(i + 2, i + 4, "", rule="filler", confidence=0.95))
        proposals.append(Change(i + 10, i + 12, "扩散", rule="phonetic:x", confidence=0.5, applied=False))
        proposals.append(Change(i + 19, i + 19, "。", rule="end", confidence=0.3, applied=False))
    doc.apply("glossary", changes + proposals)
    assert len(doc.edits) == 2000
    started = time.perf_counter()
    page = render_report(doc, title="big")
    elapsed = time.perf_counter() - started
    assert elapsed < 3.0, elapsed
    assert page.count('class="e ') == len(doc.edits)
    assert len(page) < 2_500_000


def test_text_is_cut_into_lines_at_kept_newlines(hostile_doc):
    from cleanup.render.report import lines

    body = layout(hostile_doc)
    cut = lines(body)
    kept_newlines = sum(item.count("\n") for kind, item in body if kind == "text")
    assert len(cut) == kept_newlines + 1
    assert [x for line in cut for x in line if x[0] == "edit"] == [x for x in body if x[0] == "edit"]
    page = render_report(hostile_doc, title="t")
    assert page.count('<div class="ln">') == len(cut)

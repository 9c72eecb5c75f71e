"""Glossary: loader errors with file:line, the matcher, check, export/import, add, stats, and the
two targets of issue 3 on the sample transcript and on clean textbook prose."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cleanup.context import Context
from cleanup.glossary.check import check_paths
from cleanup.glossary.edit import PackText, yaml_scalar
from cleanup.glossary.model import GlossaryError, load_glossary

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def pack(tmp_path: Path, text: str, name: str = "pack.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def glossary_of(tmp_path: Path, text: str):
    return load_glossary([pack(tmp_path, text)])


def apply(glossary, text: str) -> str:
    """Replace every match, as the glossary stage does (skipping text already equal to the term)."""
    out, pos = [], 0
    for m in glossary.find(text, Context().segmenter):
        out += [text[pos : m.start], m.variant.term]
        pos = m.end
    return "".join(out) + text[pos:]


# --- loader ------------------------------------------------------------------------------
LOADER_FAILURES = [
    ("- term: 自回归\n  variants: [自会规\n", 3, "invalid YAML"),
    ("- term: 自回归\n  variants: [自会规]\n- term: 多模态\n  varients: [多么泰]\n", 3, "unknown key(s) varients"),
    ("- term: 自回归\n  variants: [自会规]\n- variants: [多么泰]\n", 3, "'term' must be a non-empty string"),
    ("- term: ''\n  variants: [x]\n", 1, "'term' must be a non-empty string"),
    ("- term: 生成\n  variants: [深层]\n  context:\n    forbid_near: 深层结构\n", 1, "must be lists of strings"),
    ("- term: 生成\n  variants: [深层]\n  context: {near: [模型]}\n", 1, "'context' takes only"),
    ("- term: 生成\n  variants: [深层]\n  context: {window: 0}\n", 1, "window must be"),
    ("- term: 生成\n  variants:\n    - {txt: 深层}\n", 1, "a variant is a string or a mapping"),
    ("- term: 生成\n  variants:\n    - {text: 深层, near: [x]}\n", 1, "unknown variant key(s) near"),
    ("- term: 生成\n  variants: 深层\n", 1, "'variants' must be a list"),
    ("term: 生成\n", 1, "a pack is a list of entries"),
    ("[1, 2]\n", 1, "each entry must be a mapping"),
]


@pytest.mark.parametrize(("text", "line", "message"), LOADER_FAILURES)
def test_loader_reports_file_and_line(tmp_path, text, line, message):
    path = pack(tmp_path, text)
    with pytest.raises(GlossaryError) as info:
        load_glossary([path])
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert message in str(info.value)


def test_loader_missing_file(tmp_path):
    with pytest.raises(GlossaryError, match=r"nope\.yaml:1: cannot read"):
        load_glossary([tmp_path / "nope.yaml"])


def test_loader_reads_overlay_and_variant_guards(tmp_path):
    g = glossary_of(
        tmp_path,
        """
        title: 圆桌
        speakers: {顾老师: 顾佳涛}
        terms:
          - term: 生成
            variants:
              - text: 深层
                forbid_near: [深层结构, 更深层]
            context: {require_near: [模型], window: 5}
        """,
    )
    (v,) = g.variants()
    assert v.forbid_near == ("深层结构", "更深层") and v.require_near == ("模型",) and v.window == 5
    assert g.overlay["title"] == "圆桌" and v.source.endswith(":4")


# --- matcher -----------------------------------------------------------------------------
MATCHER_PACK = """
- term: Scaling Law
  variants: [Scaling Loss, Scaling-Nor, skin law, scaling node]
- term: law
  variants:
    - text: load
      require_near: [Scaling, scaling, 曲线]
- term: 自回归
  variants: [自会规, 自物规]
- term: 自回归模型
  variants: [自会规模型]
- term: GAN
  variants: [Gan]
- term: 生成
  variants: [深层]
  context: {forbid_near: [深层结构, 更深层, 深层次]}
- term: 语料
  variants:
    - text: 预料
      require_near: [知乎, 训练, 数据]
      window: 6
- term: 文生图
  variants: [{text: 文森图, bounded: true}]
"""


@pytest.fixture
def matcher(tmp_path):
    return glossary_of(tmp_path, MATCHER_PACK)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("都出现过Scaling Loss，对", "都出现过Scaling Law，对"),
        ("SCALING LOSS和scaling loss", "Scaling Law和Scaling Law"),
        ("因为Scaling-Nor这个问题", "因为Scaling Law这个问题"),
        ("所谓的skin load", "所谓的skin load"),  # 'load' needs its guard word nearby: 'skin' is not one
        ("所谓的skin law", "所谓的Scaling Law"),
        ("scaling的load曲线", "scaling的law曲线"),
        ("先download模型，再load权重", "先download模型，再load权重"),  # never inside a word; guard fails
        ("它和自会规很像，自会规模型", "它和自回归很像，自回归模型"),  # leftmost-longest
        ("包括GAN或者Gan的时候", "包括GAN或者GAN的时候"),
        ("Organ和gang", "Organ和gang"),
        (
            "世界的深层结合进去，反正发现特别困难。还有几个更深层的",
            "世界的生成结合进去，反正发现特别困难。还有几个更深层的",
        ),
        ("会用知乎的预料去回答，这出乎预料", "会用知乎的语料去回答，这出乎预料"),
        ("见https://x.org/Scaling Loss与`自会规`", "见https://x.org/Scaling Loss与`自会规`"),
        ("图片 ![](img/自会规.png) 里", "图片 ![](img/自会规.png) 里"),
        ("就理解是文森图", "就理解是文生图"),
    ],
)
def test_matcher(matcher, raw, clean):
    assert apply(matcher, raw) == clean


def test_matches_are_ordered_non_overlapping_source_offsets(matcher):
    text = "自会规模型和Scaling Loss，自物规"
    matches = matcher.find(text)
    assert [(text[m.start : m.end], m.variant.term) for m in matches] == [
        ("自会规模型", "自回归模型"),
        ("Scaling Loss", "Scaling Law"),
        ("自物规", "自回归"),
    ]
    assert all(a.end <= b.start for a, b in zip(matches, matches[1:], strict=False))


def test_bounded_variant_needs_jieba_word_boundaries(tmp_path):
    g = glossary_of(tmp_path, "- term: 语料\n  variants: [{text: 预料, bounded: true}]\n")
    assert apply(g, "知乎的预料") == "知乎的语料"
    assert apply(g, "这是预料之中的") == "这是预料之中的"  # jieba: 预料之中 is one word


# --- check -------------------------------------------------------------------------------
def problems_for(tmp_path: Path, *texts: str, names: tuple[str, ...] = ()) -> list[str]:
    paths = [pack(tmp_path, t, (names[i] if i < len(names) else f"p{i}.yaml")) for i, t in enumerate(texts)]
    return check_paths(paths)


def test_check_clean_pack_passes(tmp_path):
    assert (
        problems_for(tmp_path, "- term: 自回归\n  variants: [自会规, 自物规]\n- term: 多模态\n  variants: [多么泰]\n")
        == []
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("- term: 自回归\n  variants: [自会规]\n- term: 自回\n  variants: [自会规]\n", 3, "also claimed by '自回归'"),
        ("- term: 自回归\n  variants: [自会规, 自会规]\n", 1, "listed twice"),
        ("- term: 自回归\n  variants: [自回归]\n", 1, "is the term itself"),
        ("- term: 大语言模型\n  variants: [语言模型]\n", 1, "occurs inside the term '大语言模型'"),
        ("- term: 生成\n  variants: [深层]\n- term: 深层网络\n", 1, "occurs inside the term '深层网络'"),
        ("- term: A\n  variants: [B]\n- term: B\n  variants: [C]\n", 1, "equals the term 'B'"),
        ("- term: 语料\n  variants: [预料]\n", 1, "ordinary word (jieba frequency"),
        ("- term: 多模态\n  variants: [动模]\n", 1, "inside common word(s)"),
        ("- term: 自回归\n  variants: [自会规]\n  variants: [自物规]\n", 3, "duplicate key 'variants'"),
        ("- term: 否\n  variants: [no]\n", 2, "variants: no reads as a YAML bool"),
        ("- term: 自回归\n  variants: [自会规]\n- term: 多模态\n  varients: [多么泰]\n", 3, "unknown key"),
    ],
)
def test_check_failure_modes(tmp_path, text, line, message):
    problems = problems_for(tmp_path, text)
    hits = [p for p in problems if message in p]
    assert hits, problems
    assert hits[0].startswith(f"{tmp_path / 'p0.yaml'}:{line}: ")


def test_check_reports_every_bad_entry_and_goes_on(tmp_path):
    problems = problems_for(
        tmp_path,
        "- term: a\n  bad: 1\n- term: b\n  worse: 2\n",
        "- term: 自回归\n  variants: [自回归]\n",
    )
    assert len(problems) == 3 and ":1: unknown key(s) bad" in problems[0] and ":3: unknown key(s) worse" in problems[1]


def test_check_guards_silence_ordinary_words(tmp_path):
    text = """
    - term: 语料
      variants:
        - {text: 预料, require_near: [知乎]}
    - term: 多模态
      variants: [{text: 动模, bounded: true}]
    - term: 生成
      variants: [深层]
      context: {forbid_near: [深层网络]}
    - term: 深层网络
    """
    assert problems_for(tmp_path, textwrap.dedent(text)) == []


def test_check_common_english_variant_needs_guard(tmp_path):
    pytest.importorskip("wordfreq")
    problems = problems_for(tmp_path, "- term: law\n  variants: [load, Scaling Loss]\n- term: GAN\n  variants: [gan]\n")
    assert len(problems) == 1 and "'load' → 'law' is common English" in problems[0]


def test_check_duplicate_terms_across_packs_but_overlays_may_extend(tmp_path):
    problems = problems_for(
        tmp_path,
        "- term: 自回归\n  variants: [自会规]\n",
        "- term: 多模态\n- term: 自回归\n  variants: [自物规]\n",
        "terms:\n  - term: 自回归\n    variants: [自活龟]\n",
        "terms:\n  - term: 自回归\n    variants: [自活龟]\n",
        names=("a.yaml", "b.yaml", "talks/t1.yaml", "talks/t2.yaml"),
    )
    assert problems == [f"{tmp_path / 'b.yaml'}:2: term '自回归' is already defined at {tmp_path / 'a.yaml'}:1"]


def test_check_overlay_conflicting_with_a_pack(tmp_path):
    problems = problems_for(
        tmp_path,
        "- term: 自回归\n  variants: [自会规]\n",
        "terms:\n  - term: 自回\n    variants: [自会规]\n",
        names=("a.yaml", "talks/t.yaml"),
    )
    assert len(problems) == 1 and "talks/t.yaml:2: variant '自会规'" in problems[0]


# --- export / import ---------------------------------------------------------------------
EXPORT_PACK = """
- term: 自回归
  variants: [自会规, 自物规, 自活龟]
  en: autoregressive
  tags: [generative, modeling]
  note: 'AR, "autoregressive"'
- term: Scaling Law
  variants: [Scaling Loss, skin law, Scaling-Nor]
  en: scaling law
- term: law
  variants:
    - text: load
      require_near: [scaling]
- term: 语料
  variants: [{text: 预料, bounded: true}]
- term: 多模态
  variants: [多么泰]
- term: 端到端多模态大语言模型
  variants: [端到端多么泰大圆模型]
- term: GAN
  variants: [Gan]
"""


@pytest.fixture
def export_glossary(tmp_path):
    return glossary_of(tmp_path, EXPORT_PACK)


def test_export_unknown_format(export_glossary):
    from cleanup.glossary.export import ExportError, export

    with pytest.raises(ExportError, match="unknown format 'word'"):
        export(export_glossary, "word")


def funasr_runtime_hotwords(text: str) -> dict[str, int]:
    """FunASR runtime's ExtractHws: split on ' ', the last field is the weight, the rest the word."""
    hotwords = {}
    for line in text.splitlines():
        fields = [f for f in line.strip().split(" ") if f]
        if len(fields) > 1:
            hotwords[" ".join(fields[:-1])] = int(float(fields[-1]))
    return hotwords


def test_export_funasr_hotwords(export_glossary):
    from cleanup.glossary.export import export

    text = export(export_glossary, "funasr")
    assert text == export(export_glossary, "funasr-hotwords") and text.endswith("\n")
    hotwords = funasr_runtime_hotwords(text)
    assert list(hotwords)[:2] == ["自回归", "Scaling Law"]  # most variants first
    assert set(hotwords.values()) == {20}
    assert "端到端多模态大语言模型" not in hotwords  # 11 characters: over FunASR's advised 10
    assert len(text.splitlines()) == len(hotwords)


def test_export_funasr_postprocess_only_context_free_pairs(export_glossary):
    from cleanup.glossary.export import export

    lines = export(export_glossary, "funasr-postprocess").splitlines()
    assert "自会规=>自回归" in lines and "Scaling Loss=>Scaling Law" in lines
    assert all(line.count("=>") == 1 for line in lines)
    assert not any(line.startswith(("load=>", "预料=>", "Gan=>")) for line in lines)  # guarded / casing


def load_module_file(package: str, module: str):
    """Load one module file of an installed package without running the package's __init__."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None:
        pytest.skip(f"{package} not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / f"{module}.py"
    mod_spec = importlib.util.spec_from_file_location(f"_{package}_{module}", path)
    mod = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(mod)
    return mod


def test_export_pycorrector_confusion_loads_in_pycorrector(export_glossary, tmp_path):
    from cleanup.glossary.export import export

    text = export(export_glossary, "pycorrector")
    assert "Scaling Loss" in text.splitlines()[1] and text.splitlines()[1].startswith("# ")  # has spaces
    path = tmp_path / "confusion.txt"
    path.write_text(text, encoding="utf-8")
    confusion = load_module_file("pycorrector", "confusion_corrector")
    pairs = confusion.ConfusionCorrector.load_custom_confusion_dict(str(path))
    assert pairs == {
        "自会规": "自回归",
        "自物规": "自回归",
        "自活龟": "自回归",
        "多么泰": "多模态",
        "端到端多么泰大圆模型": "端到端多模态大语言模型",
    }  # "Scaling-Nor Scaling Law" would split into 3 fields: left out, listed in the comment line
    corrector = confusion.ConfusionCorrector(str(path))
    assert corrector.correct("我们做多么泰和自会规")["target"] == "我们做多模态和自回归"


def test_export_pycorrector_proper_names(export_glossary):
    from cleanup.glossary.export import export

    lines = [line for line in export(export_glossary, "pycorrector-proper").splitlines() if not line.startswith("#")]
    assert lines == ["自回归", "语料", "多模态", "端到端多模态大语言模型"]  # Chinese terms, one per line


def test_csv_round_trip(export_glossary):
    from cleanup.glossary.export import export, import_csv

    text = export(export_glossary, "csv")
    assert text.splitlines()[0] == "term,variants,en,tags,note"
    assert (
        text.splitlines()[1]
        == '自回归,自会规|自物规|自活龟,autoregressive,generative|modeling,"AR, ""autoregressive"""'
    )
    assert summary(import_csv(text)) == summary(export_glossary.entries)
    assert summary(import_csv("\ufeffterm,variants\n多模态, 多么泰 | 动模态\n\n")) == [
        ("多模态", ["多么泰", "动模态"], "", [], "")
    ]


def test_tbx_round_trip_and_structure(export_glossary):
    import xml.etree.ElementTree as ET

    from cleanup.glossary.export import TBX_NS, export, import_tbx

    text = export(export_glossary, "tbx")
    root = ET.fromstring(text.encode())
    q = f"{{{TBX_NS}}}"
    assert root.tag == f"{q}tbx" and root.get("type") == "TBX-Basic" and root.get("style") == "dca"
    assert root.find(f"{q}tbxHeader/{q}fileDesc/{q}sourceDesc/{q}p") is not None
    concepts = root.findall(f"{q}text/{q}body/{q}conceptEntry")
    assert len(concepts) == 7 and len({c.get("id") for c in concepts}) == 7
    first = concepts[0]
    statuses = [
        (s.findtext(f"{q}term"), s.find(f"{q}termNote[@type='administrativeStatus']").text)
        for s in first.findall(f"{q}langSec/{q}termSec")
    ]
    assert statuses == [
        ("自回归", "preferredTerm-admn-sts"),
        ("自会规", "deprecatedTerm-admn-sts"),
        ("自物规", "deprecatedTerm-admn-sts"),
        ("自活龟", "deprecatedTerm-admn-sts"),
        ("autoregressive", "preferredTerm-admn-sts"),
    ]
    assert [d.text for d in first.findall(f"{q}descrip[@type='subjectField']")] == ["generative", "modeling"]
    assert summary(import_tbx(text)) == summary(export_glossary.entries)


def test_import_tbx_v2_and_errors():
    from cleanup.glossary.export import ExportError, import_tbx

    v2 = """<martif type="TBX"><text><body><termEntry id="t1">
      <langSet xml:lang="zh"><tig><term>多模态</term></tig><tig><term>多么泰</term></tig></langSet>
      <langSet xml:lang="en"><tig><term>multimodal</term></tig></langSet></termEntry></body></text></martif>"""
    assert summary(import_tbx(v2)) == [("多模态", ["多么泰"], "multimodal", [], "")]
    with pytest.raises(ExportError, match="not well-formed"):
        import_tbx("<tbx><text>")


def summary(entries):
    return [(e.term, [v.text for v in e.variants], e.en, e.tags, e.note) for e in entries]


def test_whisper_prompt_fits_223_tokens(export_glossary):
    from cleanup.glossary.export import export, whisper_token_count

    prompt = export(export_glossary, "whisper-prompt")
    assert prompt.startswith("AI讲座术语：自回归、Scaling Law、") and prompt.endswith("。")
    assert whisper_token_count(prompt) <= 223


def test_whisper_prompt_cut_at_the_limit():
    from cleanup.glossary.export import Term, whisper_prompt, whisper_token_count

    terms = [Term(f"术语{i:03d}") for i in range(300)]
    prompt = whisper_prompt(terms)
    assert whisper_token_count(prompt) <= 223 < whisper_token_count(prompt + "、术语999")
    assert prompt.startswith("AI讲座术语：术语000、术语001")


def test_whisper_token_count_exact_and_fallback_bound(monkeypatch):
    from cleanup.glossary import export as ex

    if ex._whisper_encoding() is None:
        pytest.skip("tiktoken / openai-whisper vocabulary not installed")
    samples = ["AI讲座术语：自回归、Scaling Law、多模态。", "鲁棒性、DALL-E 3、GPT-2、饕餮"]
    exact = [ex.whisper_token_count(s) for s in samples]
    assert exact[0] < len((" " + samples[0]).encode())
    monkeypatch.setattr(ex, "_whisper_encoding", lambda: None)
    assert all(ex.whisper_token_count(s) >= n for s, n in zip(samples, exact, strict=True))


def test_export_subtitle_edit_rules_apply_like_subtitle_edit(export_glossary):
    import re
    import xml.etree.ElementTree as ET

    from cleanup.glossary.export import export

    root = ET.fromstring(export(export_glossary, "subtitle-edit").encode())
    assert root.tag == "Settings"
    (group,) = root.findall("MultipleSearchAndReplaceList/Group")  # SE: //Group, Name, rules
    assert group.findtext("Name") == "cleanup glossary"
    text = "都出现过scaling loss，先download再load，自会规和Gan"
    for item in group.findall("MultipleSearchAndReplaceItem"):
        assert item.findtext("Enabled") == "True"
        kind, find, replace = item.findtext("SearchType"), item.findtext("FindWhat"), item.findtext("ReplaceWith")
        assert kind in ("Normal", "CaseSensitive", "RegularExpression")
        if kind == "RegularExpression":
            text = re.sub(find, replace.replace("$$", "$"), text)
        else:
            text = text.replace(find, replace)
    assert text == "都出现过Scaling Law，先download再load，自回归和Gan"


# --- add -----------------------------------------------------------------------------------
ADD_PACK = """\
# Generative models: keep this comment
- term: 自回归   # AR
  variants: [自会规, 自物规]
  en: autoregressive

# block style
- term: 多模态
  variants:
    - 多么泰
    - {text: 动模态, bounded: true}
  # trailing comment about 多模态
- term: 扩散模型
  en: diffusion model
- term: 生成
  variants: []
"""


@pytest.mark.parametrize(
    ("term", "variant", "changed"),
    [
        ("自回归", "自活龟", ("  variants: [自会规, 自物规]\n", "  variants: [自会规, 自物规, 自活龟]\n")),
        (
            "多模态",
            "动模",
            ("    - {text: 动模态, bounded: true}\n", "    - {text: 动模态, bounded: true}\n    - 动模\n"),
        ),
        ("扩散模型", "口散模型", ("- term: 扩散模型\n", "- term: 扩散模型\n  variants: [口散模型]\n")),
        ("生成", "深深", ("  variants: []\n", "  variants: [深深]\n")),
        ("新词", "a: b", ("", '- term: 新词\n  variants: ["a: b"]\n')),
        ("Scaling Law", "yes", ("", '- term: Scaling Law\n  variants: ["yes"]\n')),
    ],
)
def test_add_variant_edits_only_the_entry(tmp_path, term, variant, changed):
    from cleanup.glossary.edit import add_variant

    path = pack(tmp_path, ADD_PACK)
    add_variant(path, term, variant)
    old, new = changed
    expected = ADD_PACK.replace(old, new, 1) if old else ADD_PACK + new
    assert path.read_text(encoding="utf-8") == expected
    (entry,) = [e for e in load_glossary([path]).entries if e.term == term]
    assert entry.variants[-1].text == variant


def test_add_variant_to_talk_overlay(tmp_path):
    from cleanup.glossary.edit import add_variant

    text = "title: 圆桌\nterms:\n  - term: 顾老师\n    variants: [谷老师]\nspeakers:\n  顾老师: 顾佳涛\n"
    path = pack(tmp_path, text, "talks/t.yaml")
    add_variant(path, "顾老师", "郭老师")
    add_variant(path, "自回归", "自会规")
    assert path.read_text(encoding="utf-8") == (
        "title: 圆桌\nterms:\n  - term: 顾老师\n    variants: [谷老师, 郭老师]\n"
        "  - term: 自回归\n    variants: [自会规]\n"
        "speakers:\n  顾老师: 顾佳涛\n"
    )


@pytest.mark.parametrize(
    ("term", "variant", "message"),
    [
        ("多模态", "多么泰", "is already a variant of '多模态'"),
        ("自回归", "多么泰", "is already claimed by '多模态'"),
        ("自回归", "自回归", "is the term itself"),
    ],
)
def test_add_variant_refuses(tmp_path, term, variant, message):
    from cleanup.glossary.edit import EditError, add_variant

    path = pack(tmp_path, ADD_PACK)
    with pytest.raises(EditError, match=message) as info:
        add_variant(path, term, variant)
    assert str(path) in str(info.value) or "term itself" in message
    assert path.read_text(encoding="utf-8") == ADD_PACK


def test_add_variant_to_new_file_and_broken_file(tmp_path):
    from cleanup.glossary.edit import EditError, add_variant

    path = tmp_path / "new.yaml"
    add_variant(path, "自回归", "自会规")
    assert path.read_text(encoding="utf-8") == "- term: 自回归\n  variants: [自会规]\n"
    broken = pack(tmp_path, "- term: x\n  variants: [a\n", "broken.yaml")
    with pytest.raises(EditError, match="invalid YAML"):
        add_variant(broken, "x", "b")


# --- PackText: guards, removals and guarded variants (for learn) -------------------------
PACK = """\
# A pack with comments, flow and block lists: all of it must survive.
- term: 多模态  # the canonical form
  variants: [多么泰, {text: 动模态, forbid_near: [运动]}]
  en: multimodal
- term: 自回归
  variants:
    - 自会规
    - text: 自物规
      require_near: [模型]
  context:
    forbid_near: [回归分析]

# trailing comment
"""


def pack_text(tmp_path, text=PACK, name="pack.yaml") -> PackText:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return PackText.read(path)


def test_add_variant_to_flow_and_block_lists(tmp_path):
    p = pack_text(tmp_path)
    p.add_variant("多模态", "多摩态")
    p.add_variant("自回归", "智慧规", require_near=["自回归模型"])
    assert "  variants: [多么泰, {text: 动模态, forbid_near: [运动]}, 多摩态]\n" in p.text
    assert "    - {text: 智慧规, require_near: [自回归模型]}\n  context:" in p.text
    assert p.text.startswith("# A pack with comments") and "# trailing comment" in p.text
    assert "# the canonical form" in p.text
    assert PACK.count("\n") + 1 == p.text.count("\n")  # one line added (the flow list grew in place)


def test_add_new_entry_and_new_overlay(tmp_path):
    p = pack_text(tmp_path)
    p.add_variant("扩散模型", "口散模型", note="talk-x")
    entries = {e.term: e for e in p.entries()}
    assert [v.text for v in entries["扩散模型"].variants] == ["口散模型"]
    assert p.text.index("- term: 扩散模型") > p.text.index("回归分析")
    talks = tmp_path / "talks"
    talks.mkdir()
    new = PackText.read(talks / "talk-x.yaml", new_file_header="# Talk overlay\n")
    new.add_variant("生成", "深层", require_near=["深层结合"])
    assert new.is_overlay() and new.text.splitlines()[1] == "terms:"
    assert new.entries()[0].variants[0].require_near == ("深层结合",)


def test_guards_keep_inherited_words(tmp_path):
    p = pack_text(tmp_path)
    p.add_forbid("多模态", "多么泰", ["多么泰大"])
    p.add_forbid("多模态", "动模态", ["动模态分析"])
    p.add_forbid("自回归", "自会规", ["自会规定"])  # inherits the entry's forbid_near
    p.add_forbid("自回归", "自物规", ["自物规则"])  # a block mapping variant
    variants = {v.text: v for e in p.entries() for v in e.variants}
    assert variants["多么泰"].forbid_near == ("多么泰大",)
    assert variants["动模态"].forbid_near == ("运动", "动模态分析")
    assert variants["自会规"].forbid_near == ("回归分析", "自会规定")
    assert variants["自物规"].forbid_near == ("回归分析", "自物规则")
    assert variants["自物规"].require_near == ("模型",)
    assert "      forbid_near: [回归分析, 自物规则]\n" in p.text


def test_remove_variant(tmp_path):
    p = pack_text(tmp_path)
    p.remove_variant("多模态", "多么泰")
    p.remove_variant("自回归", "自物规")
    assert "  variants: [{text: 动模态, forbid_near: [运动]}]\n" in p.text
    assert "自物规" not in p.text and "    - 自会规\n  context:" in p.text
    p.remove_variant("自回归", "自会规")
    assert [v.text for e in p.entries() for v in e.variants] == ["动模态"]


def test_yaml_scalar_quotes_what_needs_it():
    assert yaml_scalar("自回归") == "自回归"
    assert yaml_scalar("Scaling Law") == "Scaling Law"
    for tricky in ("yes", "null", "a: b", "x, y", "[x]", "- a", "#tag", "1.5", "it's"):
        import yaml

        assert yaml.safe_load(f"[{yaml_scalar(tricky)}]") == [tricky]


# --- commands ------------------------------------------------------------------------------
@pytest.fixture
def glossary_cli():
    import typer
    from typer.testing import CliRunner

    from cleanup.glossary.commands import register

    app = typer.Typer()
    sub = typer.Typer()
    app.add_typer(sub, name="glossary")
    register(sub)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["glossary", *args])


def test_cli_export_to_file_and_stdout(glossary_cli, tmp_path):
    extra = pack(tmp_path, "- term: 测试术语甲\n  variants: [测试数语甲]\n")
    out = tmp_path / "out" / "hot.txt"
    result = glossary_cli("export", "--format", "funasr", "-g", str(extra), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "测试术语甲 20" in out.read_text(encoding="utf-8").splitlines()
    result = glossary_cli("export", "-f", "funasr-postprocess", "-g", str(extra))
    assert result.exit_code == 0 and "测试数语甲=>测试术语甲" in result.stdout.splitlines()


def test_cli_errors_are_one_line_exit_2(glossary_cli, tmp_path):
    bad = pack(tmp_path, "- term: x\n  wrong: 1\n")
    for args in (
        ["export", "-f", "nope"],
        ["export", "-f", "csv", "-g", str(bad)],
        ["add", "一个不存在的术语", "--variant", "x"],
        ["add", "x", "--variant", "y", "--file", str(bad)],
        ["stats", str(tmp_path / "missing.txt")],
    ):
        result = glossary_cli(*args)
        assert result.exit_code == 2, (args, result.output)
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("cleanup: ")


def test_cli_add_and_stats(glossary_cli, tmp_path):
    path = pack(tmp_path, "# keep me\n- term: 自回归\n  variants: [自会规]\n")
    result = glossary_cli("add", "自回归", "-v", "自物规", "-v", "自活龟", "--file", str(path))
    assert result.exit_code == 0, result.output
    assert path.read_text(encoding="utf-8") == "# keep me\n- term: 自回归\n  variants: [自会规, 自物规, 自活龟]\n"
    transcript = tmp_path / "talk.txt"
    transcript.write_text("它和自会规很像，自会规模型，还有自物规。\n", encoding="utf-8")
    result = glossary_cli("stats", str(transcript), "-g", str(path), "--json")
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.stdout)
    assert data["packs"][0] | {"path": ""} == {"path": "", "entries": 1, "variants": 3, "guarded": 0, "fired": 2}
    assert [(f["variant"], f["count"]) for f in data["fired"]] == [("自会规", 2), ("自物规", 1)]
    assert [n["variant"] for n in data["never_fired"]] == ["自活龟"]
    result = glossary_cli("stats", str(transcript), "-g", str(path))
    assert result.exit_code == 0 and "never fired" in result.stdout and "自活龟→自回归" in result.stdout


# --- issue 3 targets -----------------------------------------------------------------------
def glossary_edits(path: Path):
    """The glossary stage's applied edits on a transcript, as `cleanup run` makes them."""
    from cleanup import pipeline
    from cleanup.context import default_glossary_paths
    from cleanup.document import Source

    source = Source.read(path)
    stem = path.stem.removesuffix(".raw")
    doc = pipeline.run(source, Context(default_glossary_paths(stem), talk=stem), ["normalize", "glossary"])
    return source.text, [e for e in doc.edits if e.stage == "glossary" and e.applied]


def score_sample(raw: str, edits, items: list[dict]) -> dict:
    """Which listed misrecognitions the edits fix, and which edits are wrong.

    An edit is right when it turns every listed item it touches into one of that item's
    `right` forms and changes nothing else; any other edit is a wrong replacement.
    """
    import itertools

    spans = []
    for item in items:
        at = raw.index(item["context"]) + item["context"].index(item["wrong"])
        rights = item["right"] if isinstance(item["right"], list) else [item["right"]]
        spans.append((at, at + len(item["wrong"]), rights, item))
    fixed, wrong = [], []
    for e in edits:
        inside = [s for s in spans if s[0] < e.end and e.start < s[1]]
        ok = bool(inside) and all(e.start <= a and b <= e.end for a, b, _, _ in inside)
        if ok:
            ok = False
            for choice in itertools.product(*(rights for _, _, rights, _ in inside)):
                out, pos = [], e.start
                for (a, b, _, _), right in zip(inside, choice, strict=True):
                    out += [raw[pos:a], right]
                    pos = b
                if "".join(out) + raw[pos : e.end] == e.after:
                    ok = True
                    break
        if ok:
            fixed += [s[3] for s in inside]
        else:
            wrong.append(f"{e.before}→{e.after} at {e.start}: …{raw[max(0, e.start - 8) : e.end + 8]}…")
    counted = [s[3] for s in spans if s[3]["category"] == "term" and not s[3].get("uncertain")]
    hit = [i for i in counted if any(i is f for f in fixed)]
    return {
        "terms": len(counted),
        "fixed": len(hit),
        "recall": len(hit) / len(counted),
        "missed": [f"{i['wrong']}→{i['right']} ({i['context']})" for i in counted if not any(i is h for h in hit)],
        "wrong": wrong,
        "all_fixed": len(fixed),
        "names_fixed": sum(1 for f in fixed if f["category"] == "name"),
    }


SAMPLE_ERRORS = DATA / "sample_glossary_errors.yaml"


@pytest.fixture(scope="module")
def sample_score(sample_path):
    import yaml

    if not any(REPO.glob("glossary/*.yaml")):
        pytest.skip("no shipped glossary packs yet")
    items = yaml.safe_load(SAMPLE_ERRORS.read_text(encoding="utf-8"))
    raw, edits = glossary_edits(sample_path)
    return score_sample(raw, edits, items)


def test_reference_list_is_well_formed(sample_text):
    import yaml

    items = yaml.safe_load(SAMPLE_ERRORS.read_text(encoding="utf-8"))
    for item in items:
        assert sample_text.count(item["context"]) == 1, item
        assert item["context"].count(item["wrong"]) == 1, item
        assert item["category"] in ("term", "name", "general"), item
    assert sum(i["category"] == "term" and not i.get("uncertain") for i in items) >= 70


def test_sample_glossary_fixes_90_percent_of_term_errors(sample_score):
    assert sample_score["recall"] >= 0.9, sample_score["missed"]


def test_sample_glossary_makes_no_wrong_replacement(sample_score):
    assert sample_score["wrong"] == []


D2L = REPO.parent / "shared" / "corpora" / "d2l-zh"


def d2l_changes() -> tuple[int, list[str]]:
    """Characters of d2l-zh prose and the glossary edits made on it (packs only: no talk overlay)."""
    from cleanup import pipeline
    from cleanup.document import Source

    ctx = Context(sorted(REPO.glob("glossary/*.yaml")))
    chars, changes = 0, []
    for path in sorted(D2L.glob("*.txt")):
        if path.name == "TERMINOLOGY.txt":
            continue
        source = Source.read(path)
        chars += len(source.text)
        doc = pipeline.run(source, ctx, ["normalize", "glossary"])
        text = source.text
        changes += [
            f"{path.name}: {e.before}→{e.after} …{text[max(0, e.start - 10) : e.end + 10]}…"
            for e in doc.edits
            if e.stage == "glossary" and e.applied
        ]
    return chars, changes


@pytest.mark.skipif(not D2L.is_dir(), reason="../shared/corpora/d2l-zh not present")
def test_clean_prose_at_most_one_change_per_20000_chars():
    if not any(REPO.glob("glossary/*.yaml")):
        pytest.skip("no shipped glossary packs yet")
    chars, changes = d2l_changes()
    assert chars > 300_000
    assert len(changes) <= chars / 20_000, changes

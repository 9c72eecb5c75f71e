"""Export the glossary for other tools, and import it back from CSV and TBX.

One command, one format, one file: ``export(glossary, fmt) -> str``. The formats:

``funasr-hotwords`` (alias ``funasr``)
    FunASR runtime hotword file: ``词 权重`` per line. The runtime splits a line on spaces,
    takes the last field as the weight and joins the rest with one space, so Latin terms with
    spaces are fine. FunASR advises at most ~1000 hotwords of at most 10 characters with
    weights of 10–30; terms are ranked (most variants first) and cut accordingly.
``funasr-postprocess``
    ``wrong=>right`` per line, for a plain replace step after FunASR: the two FunASR files are
    a pair from one command run twice (``--format funasr`` and ``--format funasr-postprocess``).
``pycorrector-confusion`` (alias ``pycorrector``)
    pycorrector's custom confusion file (``ConfusionCorrector``): ``错误词 正确词`` per line,
    split on whitespace, ``#`` starts a comment; pairs containing whitespace cannot be written
    and are listed in a comment instead.
``pycorrector-proper``
    pycorrector's proper-name list (``ProperCorrector``): one Chinese term per line.
``csv``
    ``term,variants,en,tags,note``; variants and tags joined by ``|``. Read back by
    :func:`import_csv`.
``tbx``
    ISO 30042:2019 (TBX v3) TBX-Basic, DCA style: one ``conceptEntry`` per term; a ``zh``
    ``langSec`` with the term (``administrativeStatus`` = ``preferredTerm-admn-sts``) and each
    misrecognition (``deprecatedTerm-admn-sts``), an ``en`` ``langSec`` with the English gloss,
    tags as ``descrip type="subjectField"``, the note as ``note``. Read back by :func:`import_tbx`.
``whisper-prompt``
    An ``initial_prompt`` for Whisper: most useful terms first, within 223 tokens (Whisper keeps
    only the last ``n_text_ctx // 2 - 1`` = 223 prompt tokens, so an overlong prompt loses its
    *first*, most useful, terms). See :func:`whisper_token_count`.
``subtitle-edit``
    Subtitle Edit's multiple-replace rules file (the ``.template`` XML its Multiple replace
    dialog imports and exports: ``Settings/MultipleSearchAndReplaceList/Group/
    MultipleSearchAndReplaceItem`` with ``Enabled``, ``FindWhat``, ``ReplaceWith``,
    ``SearchType``, ``Description``). Latin variants become ``RegularExpression`` rules with
    ASCII word boundaries and ``(?i)``; Chinese ones ``CaseSensitive`` plain rules.

Replace-style formats (funasr-postprocess, pycorrector-confusion, subtitle-edit) have no
notion of context, so variants with ``require_near``/``forbid_near`` guards or ``bounded`` are
left out: exported bare they would make exactly the wrong replacements the guards prevent.
The guards are also not part of CSV/TBX: a round trip keeps terms, variants, en, tags, note.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from cleanup.glossary.model import Entry, Glossary, Variant, fold, is_latin

FORMATS = {
    "funasr-hotwords": "FunASR hotword list: '词 权重' per line",
    "funasr-postprocess": "replacements after FunASR: 'wrong=>right' per line",
    "pycorrector-confusion": "pycorrector confusion file: '错误词 正确词' per line",
    "pycorrector-proper": "pycorrector proper-name list: one term per line",
    "csv": "CSV: term, variants (|), en, tags (|), note",
    "tbx": "TBX-Basic (ISO 30042:2019) XML, misrecognitions as deprecated terms",
    "whisper-prompt": "Whisper initial_prompt within 223 tokens",
    "subtitle-edit": "Subtitle Edit multiple-replace rules (.template XML)",
}
ALIASES = {"funasr": "funasr-hotwords", "pycorrector": "pycorrector-confusion"}
WHISPER_PROMPT_TOKENS = 223
FUNASR_WEIGHT = 20
FUNASR_MAX_HOTWORDS = 1000
FUNASR_MAX_CHARS = 10
TBX_NS = "urn:iso:std:iso:30042:ed-2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CSV_COLUMNS = ["term", "variants", "en", "tags", "note"]
_CJK = re.compile(r"[\u3400-\u9fff]")


class ExportError(ValueError):
    """An unknown format, or data a format cannot carry."""


@dataclass
class Term:
    """One canonical term with the variants of every entry that names it (packs + overlay)."""

    term: str
    variants: list[Variant] = field(default_factory=list)
    en: str = ""
    tags: list[str] = field(default_factory=list)
    note: str = ""


def export(glossary: Glossary, fmt: str) -> str:
    fmt = ALIASES.get(fmt, fmt)
    writer = _WRITERS.get(fmt)
    if writer is None:
        raise ExportError(f"unknown format {fmt!r}; formats: {', '.join([*FORMATS, *ALIASES])}")
    return writer(merged_terms(glossary))


def merged_terms(glossary: Glossary) -> list[Term]:
    terms: dict[str, Term] = {}
    for entry in glossary.entries:
        t = terms.setdefault(entry.term, Term(entry.term))
        seen = {v.text for v in t.variants}
        t.variants += [v for v in entry.variants if v.text not in seen and v.text != entry.term]
        t.en = t.en or entry.en
        t.tags += [tag for tag in entry.tags if tag not in t.tags]
        t.note = t.note or entry.note
    return list(terms.values())


def ranked(terms: list[Term]) -> list[Term]:
    """Most useful first: the terms ASR gets wrong in the most ways (stable within a count)."""
    return sorted(terms, key=lambda t: -len(t.variants))


def plain_pairs(terms: list[Term]) -> list[tuple[str, str]]:
    """(variant, term) pairs that are safe to replace without context."""
    return [
        (v.text, t.term)
        for t in terms
        for v in t.variants
        if not (v.require_near or v.forbid_near or v.bounded) and fold(v.text) != fold(t.term)
    ]


# --- FunASR ------------------------------------------------------------------------------
def funasr_hotwords(terms: list[Term]) -> str:
    lines = []
    for t in ranked(terms):
        word = " ".join(t.term.split())
        if _hotword_length(word) > FUNASR_MAX_CHARS:
            continue
        lines.append(f"{word} {FUNASR_WEIGHT}")
        if len(lines) == FUNASR_MAX_HOTWORDS:
            break
    return "".join(line + "\n" for line in lines)


def _hotword_length(word: str) -> int:
    """Characters for Chinese, words for Latin (FunASR: at most 10 characters)."""
    return len(_CJK.findall(word)) + len(re.findall(r"[A-Za-z0-9][A-Za-z0-9.+-]*", word))


def funasr_postprocess(terms: list[Term]) -> str:
    return "".join(f"{wrong}=>{right}\n" for wrong, right in plain_pairs(terms) if "=>" not in wrong + right)


# --- pycorrector -------------------------------------------------------------------------
def pycorrector_confusion(terms: list[Term]) -> str:
    lines, skipped = [], []
    for wrong, right in plain_pairs(terms):
        if re.search(r"\s", wrong + right) or wrong.startswith("#"):
            skipped.append(f"{wrong}→{right}")
        else:
            lines.append(f"{wrong} {right}")
    header = "# cleanup glossary: 错误词 正确词\n"
    if skipped:
        header += "# not representable (contain spaces): " + "; ".join(skipped) + "\n"
    return header + "".join(line + "\n" for line in lines)


def pycorrector_proper(terms: list[Term]) -> str:
    names = [t.term for t in terms if _CJK.search(t.term) and len(t.term) >= 2 and not re.search(r"\s", t.term)]
    return "# cleanup glossary: proper names and domain terms\n" + "".join(n + "\n" for n in dict.fromkeys(names))


# --- CSV ---------------------------------------------------------------------------------
def to_csv(terms: list[Term]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for t in terms:
        texts = [v.text for v in t.variants]
        for value in [*texts, *t.tags]:
            if "|" in value:
                raise ExportError(f"{t.term}: {value!r} contains '|', the CSV list separator")
        writer.writerow([t.term, "|".join(texts), t.en, "|".join(t.tags), t.note])
    return out.getvalue()


def import_csv(text: str) -> list[Entry]:
    """Entries from CSV written by :func:`to_csv` (or by hand/a spreadsheet with those columns)."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in next(rows, [])]
    if "term" not in header:
        raise ExportError("csv:1: the first row must name the columns, with at least 'term'")
    entries = []
    for number, row in enumerate(rows, 2):
        if not any(cell.strip() for cell in row):
            continue
        cell = dict(zip(header, row, strict=False))
        term = cell.get("term", "").strip()
        if not term:
            raise ExportError(f"csv:{number}: empty term")
        source = f"csv:{number}"
        variants = [Variant(v.strip(), term, source=source) for v in _split(cell.get("variants", ""))]
        tags = _split(cell.get("tags", ""))
        entries.append(Entry(term, variants, cell.get("en", "").strip(), tags, cell.get("note", "").strip(), source))
    return entries


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split("|") if part.strip()]


# --- TBX ---------------------------------------------------------------------------------
def to_tbx(terms: list[Term]) -> str:
    ET.register_namespace("", TBX_NS)
    q = f"{{{TBX_NS}}}"
    root = ET.Element(f"{q}tbx", {"type": "TBX-Basic", "style": "dca", XML_LANG: "zh"})
    header = ET.SubElement(ET.SubElement(root, f"{q}tbxHeader"), f"{q}fileDesc")
    ET.SubElement(ET.SubElement(header, f"{q}titleStmt"), f"{q}title").text = "cleanup glossary"
    source = ET.SubElement(header, f"{q}sourceDesc")
    ET.SubElement(
        source, f"{q}p"
    ).text = "Exported by cleanup: canonical terms of Chinese AI talks; deprecated terms are known ASR misrecognitions."
    body = ET.SubElement(ET.SubElement(root, f"{q}text"), f"{q}body")
    for number, t in enumerate(terms, 1):
        concept = ET.SubElement(body, f"{q}conceptEntry", {"id": f"c{number}"})
        for tag in t.tags:
            ET.SubElement(concept, f"{q}descrip", {"type": "subjectField"}).text = tag
        if t.note:
            ET.SubElement(concept, f"{q}note").text = t.note
        zh = ET.SubElement(concept, f"{q}langSec", {XML_LANG: "zh"})
        _term_sec(zh, t.term, "preferredTerm-admn-sts")
        for v in t.variants:
            _term_sec(zh, v.text, "deprecatedTerm-admn-sts")
        if t.en:
            _term_sec(ET.SubElement(concept, f"{q}langSec", {XML_LANG: "en"}), t.en, "preferredTerm-admn-sts")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _term_sec(lang_sec: ET.Element, text: str, status: str) -> None:
    q = f"{{{TBX_NS}}}"
    sec = ET.SubElement(lang_sec, f"{q}termSec")
    ET.SubElement(sec, f"{q}term").text = text
    ET.SubElement(sec, f"{q}termNote", {"type": "administrativeStatus"}).text = status


def import_tbx(text: str) -> list[Entry]:
    """Entries from TBX v3 (conceptEntry/langSec/termSec) or v2 (termEntry/langSet/tig).

    In the first non-English language section, the preferred term (or else the first term) is
    the entry's term and every other term a variant; the first English term is its gloss.
    """
    try:
        root = ET.fromstring(text.lstrip("\ufeff").encode("utf-8"))
    except ET.ParseError as exc:
        raise ExportError(f"tbx:{exc.position[0]}: not well-formed XML ({exc})") from None
    entries = []
    for number, concept in enumerate(_children(root, ".//", ("conceptEntry", "termEntry")), 1):
        source = f"tbx:{concept.get('id') or number}"
        tags = [
            d.text.strip() for d in _children(concept, "", ("descrip",)) if d.get("type") == "subjectField" and d.text
        ]
        notes = [n.text.strip() for n in _children(concept, "", ("note",)) if n.text]
        term, variants, en = "", [], ""
        for lang_sec in _children(concept, "", ("langSec", "langSet")):
            lang = (lang_sec.get(XML_LANG) or lang_sec.get("lang") or "").lower()
            found = []
            for sec in _children(lang_sec, "", ("termSec", "tig", "ntig")):
                words = [t.text.strip() for t in _children(sec, ".//", ("term",)) if t.text and t.text.strip()]
                status = next(
                    (
                        n.text or ""
                        for n in _children(sec, ".//", ("termNote",))
                        if n.get("type") == "administrativeStatus"
                    ),
                    "",
                )
                found += [(w, status) for w in words[:1]]
            if not found:
                continue
            if lang.startswith("en") and term:
                en = en or found[0][0]
                continue
            if term:
                continue
            preferred = next((w for w, s in found if s.startswith("preferred")), found[0][0])
            term = preferred
            variants = [w for w, _ in found if w != preferred]
        if term:
            entries.append(
                Entry(term, [Variant(v, term, source=source) for v in variants], en, tags, " ".join(notes), source)
            )
    return entries


def _children(element: ET.Element, prefix: str, names: tuple[str, ...]) -> list[ET.Element]:
    """Elements named `names` with or without the TBX namespace (./ or .// searches)."""
    found = []
    for name in names:
        for ns in (f"{{{TBX_NS}}}", ""):
            found += element.findall(f"{prefix or './'}{ns}{name}")
    order = {id(e): i for i, e in enumerate(element.iter())}
    return sorted({id(e): e for e in found}.values(), key=lambda e: order[id(e)])


# --- Whisper -----------------------------------------------------------------------------
def whisper_prompt(terms: list[Term], limit: int = WHISPER_PROMPT_TOKENS, lead: str = "AI讲座术语：") -> str:
    """Terms, most useful first, joined by 、 after a short lead, as many as fit in `limit`."""
    chosen: list[str] = []
    for t in ranked(terms):
        candidate = lead + "、".join([*chosen, t.term]) + "。"
        if whisper_token_count(candidate) <= limit:
            chosen.append(t.term)
    return lead + "、".join(chosen) + "。" if chosen else ""


def whisper_token_count(text: str) -> int:
    """Tokens Whisper feeds for `text` as initial_prompt (it encodes ``" " + text.strip()``).

    Exact when tiktoken and openai-whisper's ``multilingual.tiktoken`` vocabulary (shipped in
    the openai-whisper package; nothing is downloaded) are installed. Otherwise the UTF-8 byte
    count + 1: a byte-level BPE never makes more tokens than bytes, so the estimate is a safe
    upper bound (a Chinese character is 3 bytes but usually 1–2 Whisper tokens, so the
    fallback prompt holds roughly half the terms the exact count allows).
    """
    encoding = _whisper_encoding()
    prompt = " " + text.strip()
    if encoding is None:
        return len(prompt.encode("utf-8"))
    return len(encoding.encode(prompt, disallowed_special=()))


@cache
def _whisper_encoding():
    try:
        import tiktoken

        spec = importlib.util.find_spec("whisper")  # locate without importing (it would load torch)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    vocab = Path(next(iter(spec.submodule_search_locations))) / "assets" / "multilingual.tiktoken"
    if not vocab.exists():
        return None
    import base64

    ranks = {
        base64.b64decode(tok): int(rank)
        for tok, rank in (line.split() for line in vocab.read_text().splitlines() if line)
    }
    # Whisper's own pattern (whisper/tokenizer.py, get_encoding); special tokens are not needed.
    pattern = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
    return tiktoken.Encoding(name="whisper-multilingual", pat_str=pattern, mergeable_ranks=ranks, special_tokens={})


# --- Subtitle Edit -----------------------------------------------------------------------
def subtitle_edit(terms: list[Term]) -> str:
    root = ET.Element("Settings")
    group = ET.SubElement(ET.SubElement(root, "MultipleSearchAndReplaceList"), "Group")
    ET.SubElement(group, "Name").text = "cleanup glossary"
    ET.SubElement(group, "Enabled").text = "True"
    for wrong, right in plain_pairs(terms):
        item = ET.SubElement(group, "MultipleSearchAndReplaceItem")
        ET.SubElement(item, "Enabled").text = "True"
        if is_latin(wrong):
            find, kind = rf"(?i)(?<![A-Za-z0-9_]){re.escape(wrong)}(?![A-Za-z0-9_])", "RegularExpression"
            replace = right.replace("$", "$$")  # .NET regex replacement: $ starts a substitution
        else:
            find, kind, replace = wrong, "CaseSensitive", right
        ET.SubElement(item, "FindWhat").text = find
        ET.SubElement(item, "ReplaceWith").text = replace
        ET.SubElement(item, "SearchType").text = kind
        ET.SubElement(item, "Description").text = f"ASR: {wrong} → {right}"
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


_WRITERS = {
    "funasr-hotwords": funasr_hotwords,
    "funasr-postprocess": funasr_postprocess,
    "pycorrector-confusion": pycorrector_confusion,
    "pycorrector-proper": pycorrector_proper,
    "csv": to_csv,
    "tbx": to_tbx,
    "whisper-prompt": whisper_prompt,
    "subtitle-edit": subtitle_edit,
}

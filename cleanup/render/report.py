"""NAME.report.html: one self-contained, offline review page for a Document.

The page shows the clean text with every edit inline (struck source text, marked output text,
one colour per stage), the summary tables, the speaker turns and the proposals that were not
applied, and lets a reviewer accept or reject each of them and download the decisions as
NAME.decisions.json for `cleanup apply`.

Safety: every piece of transcript text goes through jinja2's autoescape; the edit data is
embedded as JSON in a `<script type="application/json">` block with `<`, `>` and `&` written
as \\u escapes, so nothing in a transcript can close the block; and a Content-Security-Policy
allows only the page's own script (by its sha256) and no network access at all, so even a
mistake in escaping could not run injected code or fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from cleanup.document import Document, Edit

HIGH_CONFIDENCE = 0.9
# (mark background, accent) per stage; unknown stages take the spare colours in turn.
STAGE_COLOURS = {
    "normalize": ("#e0e7ff", "#4f46e5"),
    "glossary": ("#d1fae5", "#047857"),
    "phonetic": ("#cffafe", "#0e7490"),
    "spelling": ("#ffedd5", "#c2410c"),
    "punctuate": ("#fef3c7", "#b45309"),
    "speakers": ("#f3e8ff", "#7e22ce"),
}
SPARE_COLOURS = [("#fce7f3", "#be185d"), ("#e5e7eb", "#374151"), ("#ecfccb", "#4d7c0f"), ("#dbeafe", "#1d4ed8")]
WORDISH = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")
WHITESPACE_SIGNS = {" ": "␣", "\n": "↵", "\t": "⇥", "\u3000": "␣"}


def overlaps(a: Edit, b: Edit) -> bool:
    """Whether two source-anchored edits cannot both be applied.

    Two insertions never overlap (they keep an order at their point); an insertion overlaps a
    replacement only strictly inside it; two replacements overlap when their spans intersect.
    """
    a_ins, b_ins = a.start == a.end, b.start == b.end
    if a_ins and b_ins:
        return False
    if a_ins:
        return b.start < a.start < b.end
    if b_ins:
        return a.start < b.start < a.end
    return a.start < b.end and b.start < a.end


def merge_in_replay_order(applied: list[Edit], extra: list[Edit], stages: list[str]) -> list[Edit]:
    """Place `extra` edits (none overlapping `applied` or each other) among `applied` edits.

    `applied` keeps its exact order (it replays); an extra edit goes before the first applied
    edit that starts later, at the same point an insertion goes before a replacement, and
    insertions at one point follow the pipeline's stage order (a punctuate insertion before a
    speakers label), the way the pipeline would have placed it.
    """
    rank = {s: i for i, s in enumerate(stages)}

    def key(e: Edit) -> tuple[int, int, int]:
        return (e.start, int(e.end > e.start), rank.get(e.stage, len(rank)))

    pending = sorted(extra, key=key)  # stable: ties keep log order
    merged: list[Edit] = []
    k = 0
    for a in applied:
        while k < len(pending) and key(pending[k]) < key(a):
            merged.append(pending[k])
            k += 1
        merged.append(a)
    merged.extend(pending[k:])
    return merged


def overlapping_pairs(edits: list[Edit]):
    """Every pair of edits in `edits` that overlap (see :func:`overlaps`), by a sweep."""
    active: list[Edit] = []  # edits that can still overlap one starting later
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        active = [a for a in active if a.end > e.start]
        for a in active:
            if overlaps(a, e):
                yield a, e
        active.append(e)


def conflicts(edits: list[Edit]) -> dict[str, list[str]]:
    """For every edit, the ids of the edits it overlaps (only proposals create any)."""
    found: dict[str, list[str]] = {}
    for a, b in overlapping_pairs(edits):
        if a.applied and b.applied:
            continue
        found.setdefault(a.id, []).append(b.id)
        found.setdefault(b.id, []).append(a.id)
    return found


@dataclass
class _Inline:
    """One edit as placed in the text: inline, or a marker beside the edit it collides with."""

    edit: Edit
    marker: bool = False


def layout(doc: Document) -> list[tuple[str, object]]:
    """The page body: ("text", str) runs of kept source and ("edit", _Inline) items."""
    applied = doc.applied_edits
    clash = conflicts(doc.edits)
    applied_ids = {a.id for a in applied}
    inline, markers = [], []
    taken: set[str] = set()
    for p in sorted(doc.proposals, key=lambda e: (e.start, e.end)):
        if any(c in applied_ids or c in taken for c in clash.get(p.id, [])):
            markers.append(p)
        else:
            inline.append(p)
            taken.add(p.id)
    sequence = merge_in_replay_order(applied, inline, doc.stages)
    # markers go right after the first edit they collide with that is placed in the text
    by_anchor: dict[str, list[Edit]] = {}
    placed = {e.id for e in sequence}
    for p in markers:
        anchor = next(c for c in clash[p.id] if c in placed)
        by_anchor.setdefault(anchor, []).append(p)
    text = doc.source.text
    body: list[tuple[str, object]] = []
    pos = 0
    for e in sequence:
        if e.start > pos:
            body.append(("text", text[pos : e.start]))
            pos = e.start
        body.append(("edit", _Inline(e)))
        pos = max(pos, e.end)
        body.extend(("edit", _Inline(m, marker=True)) for m in by_anchor.get(e.id, []))
    if pos < len(text):
        body.append(("text", text[pos:]))
    return body


def lines(body: list[tuple[str, object]]) -> list[list[tuple[str, object]]]:
    """The body cut at the newlines of kept text: one block per line keeps the browser's
    relayout after a decision to that line (a 2000-edit page stays responsive). Newlines
    inside edits stay inline."""
    out: list[list[tuple[str, object]]] = [[]]
    for kind, item in body:
        if kind != "text":
            out[-1].append((kind, item))
            continue
        first, *rest = item.split("\n")
        if first:
            out[-1].append(("text", first))
        for part in rest:
            out.append([("text", part)] if part else [])
    return out


def pieces(text: str) -> list[tuple[str, str]]:
    """Split edit text into ("t", text) and ("w", whitespace char) pieces, so the page can
    show a struck or inserted space or line break as a visible sign."""
    out: list[tuple[str, str]] = []
    for m in re.finditer(r"\n+|[ \t\u3000]|[^\n \t\u3000]+", text):
        run = m.group()
        if run[0] == "\n":
            out.append(("nl", run))  # a paragraph break shows one sign
        else:
            out.append(("w" if run in WHITESPACE_SIGNS else "t", run))
    return out


def _stage_list(doc: Document) -> list[str]:
    stages = list(doc.stages)
    for e in doc.edits:
        if e.stage not in stages:
            stages.append(e.stage)
    return stages


def _colours(stages: list[str]) -> dict[str, tuple[str, str]]:
    spare = iter(SPARE_COLOURS * (len(stages) // len(SPARE_COLOURS) + 1))
    return {s: STAGE_COLOURS.get(s) or next(spare) for s in stages}


def _tooltip(e: Edit) -> str:
    status = "applied" if e.applied else "proposal, not applied"
    parts = [f"{e.stage} · {e.rule} · confidence {e.confidence:.2f} · {status}"]
    parts.append(f"{_show(e.before)} → {_show(e.after)}")
    if e.note:
        parts.append(e.note)
    return "\n".join(parts)


def _context(text: str, e: Edit, width: int = 12) -> tuple[str, str]:
    left = text[max(0, e.start - width) : e.start].replace("\n", " ")
    return left, text[e.end : e.end + width].replace("\n", " ")


def _show(text: str) -> str:
    if not text:
        return "∅"
    return "".join(WHITESPACE_SIGNS.get(ch, ch) for ch in text)


def summary(doc: Document, stages: list[str]) -> dict:
    per_stage = []
    for s in stages:
        mine = [e for e in doc.edits if e.stage == s]
        applied = [e for e in mine if e.applied]
        per_stage.append(
            {
                "stage": s,
                "applied": len(applied),
                "proposals": len(mine) - len(applied),
                "confidence": sum(e.confidence for e in mine) / len(mine) if mine else None,
            }
        )
    corrections = Counter(
        (e.stage, e.before, e.after)
        for e in doc.applied_edits
        if WORDISH.search(e.before) and WORDISH.search(e.after) and "\n" not in e.after
    )
    rules = Counter((e.stage, e.rule, e.applied) for e in doc.edits)
    return {
        "per_stage": per_stage,
        "corrections": [
            {"stage": s, "before": b, "after": a, "count": n} for (s, b, a), n in corrections.most_common(20)
        ],
        "rules": [{"stage": s, "rule": r, "applied": ap, "count": n} for (s, r, ap), n in rules.most_common()],
    }


def speaker_turns(doc: Document) -> list[dict]:
    """Edits of stage `speakers` whose rule starts with `turn:`: label, cue, confidence."""
    turns = []
    text = doc.source.text
    for e in doc.edits:
        if e.stage != "speakers" or not e.rule.startswith("turn:"):
            continue
        label = re.sub(r"[*：:\s]+", " ", e.after).strip()
        turns.append(
            {
                "edit": e,
                "label": label or "(no label)",
                "cue": e.rule.removeprefix("turn:"),
                "note": e.note,
                "context": text[e.end : e.end + 40].replace("\n", " "),
            }
        )
    return turns


def _edit_data(e: Edit, clash: dict[str, list[str]]) -> dict:
    data = {
        "id": e.id,
        "stage": e.stage,
        "rule": e.rule,
        "start": e.start,
        "end": e.end,
        "before": e.before,
        "after": e.after,
        "confidence": e.confidence,
        "applied": e.applied,
        "note": e.note,
    }
    if e.id in clash:
        data["conflicts"] = clash[e.id]
    return data


def json_for_script(data) -> str:
    """JSON that is safe inside <script type="application/json">: no `<`, `>`, `&`, U+2028/9."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


@cache
def _template():
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("cleanup.render", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pieces"] = pieces
    env.filters["show"] = _show
    env.filters["sign"] = lambda run: WHITESPACE_SIGNS[run[0]]
    return env.get_template("report.html.j2")


_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def render_report(doc: Document, *, title: str) -> str:
    stages = _stage_list(doc)
    clash = conflicts(doc.edits)
    # Decisions kept in the browser belong to this exact log: a re-rendered report starts fresh.
    state = json.dumps([(e.id, e.applied, e.after) for e in doc.edits], ensure_ascii=False)
    payload = {
        "name": title,
        "source_sha256": doc.source.sha256,
        "log_key": hashlib.sha256(state.encode("utf-8")).hexdigest()[:16],
        "source_path": doc.source.path,
        "high": HIGH_CONFIDENCE,
        "stages": stages,
        "edits": [_edit_data(e, clash) for e in doc.edits],
    }
    html = _template().render(
        title=title,
        doc=doc,
        stages=stages,
        stage_index={s: i for i, s in enumerate(stages)},
        colours=_colours(stages),
        lines=lines(layout(doc)),
        summary=summary(doc, stages),
        turns=speaker_turns(doc),
        proposals=[e for e in doc.edits if not e.applied],
        high=HIGH_CONFIDENCE,
        tooltip=_tooltip,
        context=lambda e: _context(doc.source.text, e),
        data_json=json_for_script(payload),
    )
    # Allow exactly the page's own script: hash it and put the hash into the CSP meta tag.
    script = _SCRIPT.search(html)
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode("utf-8")).digest()).decode("ascii")
    return html.replace("__SCRIPT_HASH__", f"sha256-{digest}", 1)

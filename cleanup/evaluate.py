"""Score a cleaned transcript against an editor's reference (and the raw transcript it came from).

Everything is measured on the *letters* of the talk: titles, image lines, speaker labels,
punctuation and whitespace are dropped and both sides are converted to simplified script, so
that the figures measure what was said, not how it was laid out. Punctuation and speaker turns
are then scored separately, by carrying them on the letters they follow or start on and
comparing through the character alignment. Alignment is rapidfuzz's Levenshtein (C++,
bit-parallel): a 20 000-character talk aligns in well under a second.

All functions are pure: texts in, plain data out (JSON-able).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

SENTENCE_END = "。！？!?"
QUESTION = "？?"
COMMA = "，、,"
PUNCT_CLASSES = {"sentence_end": SENTENCE_END, "question": QUESTION, "comma": COMMA}

# Above this CER the two texts are not the same talk: report a mismatch instead of a score.
MISMATCH_CER = 0.5
EXAMPLES = 10

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
# A speaker label opens a paragraph: `**X**：` (our output) or `X：` (the editors' references).
_LABEL = re.compile(r"[ \t]*(?:\*\*([^*\n]{1,24}?)\*\*[ \t]*[：:]|([^\s*#，。！？、；：:,.!?]{1,12})[：:])[ \t]*")


class MismatchError(ValueError):
    """The inputs cannot be compared (different talks, empty text, errors list for another raw)."""


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def simplify(text: str) -> str:
    """OpenCC t2s that keeps one character per character, so offsets survive.

    Phrase conversion almost never changes the length; where it does, fall back to converting
    character by character rather than lose the offset map.
    """
    converted = _t2s().convert(text)
    if len(converted) == len(text):
        return converted
    return "".join(c2 if len(c2 := _t2s().convert(c)) == 1 else c for c in text)


def letters(fragment: str) -> str:
    """The comparable letters of a short fragment (an errors.jsonl `right`, say)."""
    return simplify("".join(c for c in unicodedata.normalize("NFKC", fragment) if c.isalnum()))


@dataclass
class Normalized:
    """The letters of a text, with where each came from and what surrounds it.

    `positions[i]` is the offset in the original string of letter i, `marks[i]` the
    punctuation between letter i and the next one, `speakers[i]` the label in force at letter i
    (None before the first label).
    """

    text: str
    positions: list[int]
    marks: list[str]
    speakers: list[str | None]

    def boundaries(self) -> list[int]:
        """Letter indices where a new speaker turn starts (a change of label)."""
        return [i for i in range(1, len(self.speakers)) if self.speakers[i] != self.speakers[i - 1]]


def normalize(text: str) -> Normalized:
    """Letters (NFKC, alphanumeric, simplified) of `text` without titles, image lines and labels."""
    chars: list[str] = []
    positions: list[int] = []
    marks: list[str] = []
    speakers: list[str | None] = []
    speaker = None
    offset = 0
    for line in text.splitlines(keepends=True):
        start, offset = offset, offset + len(line)
        body = line.strip()
        if body.startswith("# ") or body == "#" or _IMAGE.fullmatch(body):
            continue
        skip = 0
        if label := _LABEL.match(line):
            speaker = simplify((label.group(1) or label.group(2)).strip())
            skip = label.end()
        for k in range(skip, len(line)):
            kept = [c for c in unicodedata.normalize("NFKC", line[k]) if c.isalnum()]
            for c in kept:
                chars.append(c)
                positions.append(start + k)
                marks.append("")
                speakers.append(speaker)
            if not kept and marks and not line[k].isspace():
                marks[-1] += line[k]
    return Normalized(simplify("".join(chars)), positions, marks, speakers)


# ---------------------------------------------------------------- alignment

Block = tuple[str, int, int, int, int]  # ("equal" | "change", a_start, a_end, b_start, b_end)


def align(a: str, b: str) -> list[Block]:
    """Levenshtein opcodes with adjacent non-equal runs merged into one "change" block.

    rapidfuzz may split one edit into a replace plus an insert; for scoring, an edit is a
    maximal run between two stretches of agreement.
    """
    blocks: list[Block] = []
    for op in Levenshtein.opcodes(a, b):
        block = ("equal" if op.tag == "equal" else "change", op.src_start, op.src_end, op.dest_start, op.dest_end)
        if block[0] == "change" and blocks and blocks[-1][0] == "change":
            block = ("change", blocks[-1][1], op.src_end, blocks[-1][3], op.dest_end)
            blocks[-1] = block
        else:
            blocks.append(block)
    return blocks


def swap(blocks: list[Block]) -> list[Block]:
    """The same alignment seen from the other side (b → a)."""
    return [(tag, j1, j2, i1, i2) for tag, i1, i2, j1, j2 in blocks]


def _one_to_one(block: Block) -> bool:
    tag, i1, i2, j1, j2 = block
    return tag == "equal" or i2 - i1 == j2 - j1


def span_mapper(blocks: list[Block]):
    """A function mapping a[start:end] to the b-span aligned with it.

    Letters paired one to one map exactly; inside an uneven change the span widens to the whole
    block. Insertions touching the span are included, so a fix that adds letters at a term's
    edge (`Alan Yu` → `Alan Yuille`) is seen.
    """
    ends = [blk[2] for blk in blocks]

    def candidates(p: int, side: str):
        for blk in blocks[bisect.bisect_left(ends, p) :]:
            tag, i1, i2, j1, j2 = blk
            if i1 > p:
                break
            if _one_to_one(blk):
                yield j1 + (p - i1)
            elif p == i1 and i1 != i2:
                yield j1
            elif p == i2 and i1 != i2:
                yield j2
            else:
                yield j1 if side == "start" else j2

    def map_span(start: int, end: int) -> tuple[int, int]:
        if not blocks:
            return 0, 0
        return min(candidates(start, "start")), max(candidates(end, "end"))

    return map_span


def pairs(blocks: list[Block]):
    """(a index, b index) of letters aligned one to one (equal, or substituted in place)."""
    for blk in blocks:
        if _one_to_one(blk):
            _, i1, i2, j1, _ = blk
            yield from ((i1 + k, j1 + k) for k in range(i2 - i1))


# ---------------------------------------------------------------- CER and edits


def cer(hypothesis: str, reference: str) -> float:
    """Character error rate: edit distance over reference length."""
    return Levenshtein.distance(hypothesis, reference) / len(reference) if reference else float(bool(hypothesis))


def _touches(s: int, e: int, a: int, b: int) -> bool:
    """Do two spans share a letter — or, when one is an insertion point, meet at all?"""
    if s == e or a == b:
        return a <= e and s <= b
    return s < b and a < e


def _changes(blocks: list[Block]) -> list[Block]:
    return [blk for blk in blocks if blk[0] == "change"]


def _toucher(changes: list[Block], adjacent: bool = False):
    """A predicate: does any of these change blocks (a-coordinates) touch a[s:e]?

    With `adjacent`, a change that merely borders the span counts too.
    """
    ends = [blk[2] for blk in changes]

    def hits(s: int, e: int) -> bool:
        for _, a, b, _, _ in changes[bisect.bisect_left(ends, s) :]:
            if a > e:
                return False
            if (a <= e and s <= b) if adjacent else _touches(s, e, a, b):
                return True
        return False

    return hits


def _snippet(raw: str, s: int, e: int, after: str, width: int = 8) -> str:
    return f"…{raw[max(0, s - width) : s]}[{raw[s:e]}→{after}]{raw[e : e + width]}…"


def edit_scores(raw: str, clean: str, reference: str) -> dict:
    """Classify the edits clean made to raw against the edits the reference made.

    An edit is a change block of the raw→clean alignment. It is *matching* when the reference
    made the same change (same raw span, same letters), or when clean now agrees with the
    reference all around it (the same edit, aligned one letter over in a run like 对对对);
    *overlapping* when it touches a raw span the reference changed; otherwise it is a *wrong
    edit*: it changed something the editor left alone.
    """
    raw_clean = align(raw, clean)
    ref_edits = _changes(align(raw, reference))
    wanted = {(i1, i2, reference[j1:j2]) for _, i1, i2, j1, j2 in ref_edits}
    off_reference = _toucher(_changes(align(clean, reference)), adjacent=True)
    reference_changed = _toucher(ref_edits)
    follow = span_mapper(raw_clean)
    counts = Counter()
    examples = defaultdict(list)
    for _, i1, i2, j1, j2 in _changes(raw_clean):
        if (i1, i2, clean[j1:j2]) in wanted or not off_reference(j1, j2):
            kind = "matching"
        elif reference_changed(i1, i2):
            kind = "overlapping"
        else:
            kind = "wrong"
        counts[kind] += 1
        if kind != "matching" and len(examples[kind]) < EXAMPLES:
            examples[kind].append(_snippet(raw, i1, i2, clean[j1:j2]))
    fixed = sum(clean[slice(*follow(i1, i2))] == reference[j1:j2] for _, i1, i2, j1, j2 in ref_edits)
    made = sum(counts.values())
    return {
        "clean_edits": made,
        "matching": counts["matching"],
        "overlapping": counts["overlapping"],
        "wrong": counts["wrong"],
        "wrong_share": counts["wrong"] / made if made else 0.0,
        "reference_edits": len(ref_edits),
        "reference_fixed": fixed,
        "reference_recall": fixed / len(ref_edits) if ref_edits else 1.0,
        "examples": {"wrong": examples["wrong"], "overlapping": examples["overlapping"]},
    }


# ---------------------------------------------------------------- listed misrecognitions


def _rate(fixed: int, total: int) -> dict:
    return {"fixed": fixed, "total": total, "recall": fixed / total if total else None}


def term_scores(raw_text: str, raw: Normalized, clean: str, errors: list[dict]) -> dict:
    """Recall of the misrecognitions listed in errors.jsonl, overall, by category and confidence.

    Each entry is located by `left + wrong + right_ctx` in the raw text (first hit), its letters
    followed through the raw→clean alignment, and counted fixed when the clean letters there
    equal `right`. Entries whose letters do not change (`AI 2。0` → `AI 2.0`) cannot be seen
    on letters and are reported as `format_only`, outside the recall.
    """
    follow = span_mapper(align(raw.text, clean))
    total, by_category, by_confidence = [0, 0], defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    misses, unlocated, format_only = [], [], 0
    for entry in errors:
        left, wrong = entry.get("left", ""), entry["wrong"]
        hit = raw_text.find(left + wrong + entry.get("right_ctx", ""))
        if hit < 0:
            unlocated.append(entry.get("id"))
            continue
        start = bisect.bisect_left(raw.positions, hit + len(left))
        end = bisect.bisect_left(raw.positions, hit + len(left) + len(wrong))
        right = letters(entry["right"])
        if raw.text[start:end] == right:
            format_only += 1
            continue
        got = clean[slice(*follow(start, end))]
        ok = got == right
        for tally in (total, by_category[entry.get("category", "?")], by_confidence[entry.get("confidence", "?")]):
            tally[0] += ok
            tally[1] += 1
        if not ok:
            misses.append(
                {
                    "id": entry.get("id"),
                    "wrong": wrong,
                    "right": entry["right"],
                    "got": got,
                    "category": entry.get("category"),
                    "confidence": entry.get("confidence"),
                    "context": _snippet(raw.text, start, end, got),
                }
            )
    located = len(errors) - len(unlocated)
    if errors and located < len(errors) / 2:
        raise MismatchError(f"only {located} of {len(errors)} listed errors occur in the raw text: wrong errors file?")
    return {
        **_rate(*total),
        "by_category": {k: _rate(*v) for k, v in sorted(by_category.items())},
        "by_confidence": {k: _rate(*v) for k, v in sorted(by_confidence.items())},
        "format_only": format_only,
        "unlocated": unlocated,
        "misses": misses,
    }


# ---------------------------------------------------------------- punctuation


def _prf(tp: int, predicted: int, expected: int) -> dict:
    """Precision/recall/F1; an empty side counts as perfect only if the other is empty too."""
    p = tp / predicted if predicted else float(not expected)
    r = tp / expected if expected else float(not predicted)
    return {
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "tp": tp,
        "predicted": predicted,
        "expected": expected,
    }


def _gap_map(blocks: list[Block]) -> dict[int, int]:
    """Output letter j → reference letter i such that "a mark after j" means "a mark after i".

    Letters paired one to one map directly; the last letter of an uneven change maps to the
    last letter of the reference's side, so a comma after a misheard word still counts.
    """
    gaps = {j: i for i, j in pairs(blocks)}
    for tag, i1, i2, j1, j2 in blocks:
        last = i2 - 1 if i2 > i1 else i1 - 1
        if tag == "change" and j2 > j1 and j2 - 1 not in gaps and last >= 0:
            gaps[j2 - 1] = last
    return gaps


def punctuation_from(reference: Normalized, output: Normalized, blocks: list[Block]) -> dict:
    """Punctuation P/R/F1 per class, `blocks` aligning reference letters to output letters."""
    gaps = _gap_map(blocks)
    scores = {}
    for name, chars in PUNCT_CLASSES.items():
        expected = {i for i, m in enumerate(reference.marks) if any(c in m for c in chars)}
        predicted = {gaps.get(j, ("unaligned", j)) for j, m in enumerate(output.marks) if any(c in m for c in chars)}
        scores[name] = _prf(len(expected & predicted), len(predicted), len(expected))
    scores["classes"] = dict(PUNCT_CLASSES)
    return scores


def punctuation_scores(reference_text: str, output_text: str) -> dict:
    """Sentence-end (。！？), question-mark and comma (，、) P/R/F1 of output against reference.

    Meant for two texts with the same letters (a punctuation model's output against the
    editor's text); differing letters are tolerated through the character alignment.
    """
    ref, out = normalize(reference_text), normalize(output_text)
    return punctuation_from(ref, out, align(ref.text, out.text))


# ---------------------------------------------------------------- speakers


def speaker_scores(reference: Normalized, output: Normalized, blocks: list[Block], tolerance: int = 5) -> dict:
    """Turn-boundary P/R/F1 and per-letter attribution accuracy.

    A reference boundary is found when an output boundary lies within `tolerance` letters of
    it (each output boundary used once). Output labels are mapped one to one onto reference
    labels, largest letter overlap first, so `说话人1` can stand for `主持人`; letters without
    a label, or whose label found no partner, count as wrong.
    """
    to_ref = span_mapper(swap(blocks))
    predicted = sorted(to_ref(j, j)[0] for j in output.boundaries())
    expected = reference.boundaries()
    tp, used = 0, set()
    for i in expected:
        near = [(abs(p - i), k) for k, p in enumerate(predicted) if k not in used and abs(p - i) <= tolerance]
        if near:
            used.add(min(near)[1])
            tp += 1
    boundary = _prf(tp, len(predicted), len(expected))

    overlap = Counter((output.speakers[j], reference.speakers[i]) for i, j in pairs(blocks))
    mapping, taken = {}, set()
    for (out_label, ref_label), _ in overlap.most_common():
        if out_label is not None and ref_label is not None and out_label not in mapping and ref_label not in taken:
            mapping[out_label] = ref_label
            taken.add(ref_label)
    labelled = sum(s is not None for s in reference.speakers)
    right = sum(n for (o, r), n in overlap.items() if r is not None and mapping.get(o) == r)
    return {
        "boundaries": boundary,
        "tolerance": tolerance,
        "reference_turns": len(expected) + 1 if reference.text else 0,
        "output_turns": len(output.boundaries()) + 1 if output.text else 0,
        "attribution": right / labelled if labelled else None,
        "label_map": mapping,
    }


# ---------------------------------------------------------------- all together


@dataclass
class Scores:
    """Every figure for one talk; `to_json()` gives plain dicts, lists and numbers."""

    letters: dict
    cer_raw: float
    cer_clean: float
    error_reduction: float | None
    edits: dict
    terms: dict | None
    punctuation: dict
    speakers: dict

    def to_json(self) -> dict:
        return asdict(self)


def evaluate(
    raw_text: str, clean_text: str, reference_text: str, errors: list[dict] | None = None, tolerance: int = 5
) -> Scores:
    """Score `clean_text` (made from `raw_text`) against the editor's `reference_text`."""
    raw, clean, ref = normalize(raw_text), normalize(clean_text), normalize(reference_text)
    if not ref.text:
        raise MismatchError("the reference has no text once titles, labels and punctuation are removed")
    cer_raw, cer_clean = cer(raw.text, ref.text), cer(clean.text, ref.text)
    if cer_raw > MISMATCH_CER:
        raise MismatchError(f"raw and reference differ in {cer_raw:.0%} of letters: not the same talk?")
    if cer_clean > MISMATCH_CER:
        raise MismatchError(f"clean output and reference differ in {cer_clean:.0%} of letters: not the same talk?")
    ref_clean = align(ref.text, clean.text)
    return Scores(
        letters={"raw": len(raw.text), "clean": len(clean.text), "reference": len(ref.text)},
        cer_raw=cer_raw,
        cer_clean=cer_clean,
        error_reduction=(cer_raw - cer_clean) / cer_raw if cer_raw else None,
        edits=edit_scores(raw.text, clean.text, ref.text),
        terms=term_scores(raw_text, raw, clean.text, errors) if errors is not None else None,
        punctuation=punctuation_from(ref, clean, ref_clean),
        speakers=speaker_scores(ref, clean, ref_clean, tolerance),
    )

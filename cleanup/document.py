"""The source text, the edits proposed against it, and the one place that maps offsets.

The source never changes. Every stage proposes :class:`Change` objects in the coordinates of
the *current* text (the source with all earlier applied edits replayed), because detecting a
sentence end is easier once the glossary has fixed the words. :class:`Document` turns them
into source-anchored :class:`Edit` records, so a reviewer can drop any single edit and the
rest still replay. Nothing else in the package does offset arithmetic.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}


class InputError(Exception):
    """Bad input: reported as one line on stderr with exit code 2."""


@dataclass(frozen=True)
class Source:
    """The decoded input, exactly as read, with what identifies it."""

    path: str
    text: str
    encoding: str
    sha256: str

    @classmethod
    def from_text(cls, text: str, path: str = "<text>") -> Source:
        data = text.encode("utf-8")
        return cls(path, text, "utf-8", hashlib.sha256(data).hexdigest())

    @classmethod
    def read(cls, path: str | Path) -> Source:
        path = Path(path)
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if path.is_dir():
            raise InputError(f"{path}: is a directory, expected a .txt or .md transcript")
        if path.suffix.lower() not in TEXT_SUFFIXES:
            raise InputError(f"{path}: unknown extension {path.suffix or '(none)'!r}; expected .txt or .md")
        data = path.read_bytes()
        text, encoding = decode(data, path)
        if not text.strip():
            raise InputError(f"{path}: file is empty")
        return cls(str(path), text, encoding, hashlib.sha256(data).hexdigest())


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """Decode UTF-8 (with or without BOM), else GB18030 (a superset of GBK/GB2312).

    A fixed cascade rather than a statistical detector: Chinese ASR exports come in exactly
    these encodings, and a detector's guess (Big5? Shift-JIS?) is worse than a clear error.
    """
    if b"\x00" in data:
        raise InputError(f"{path}: binary file (contains NUL bytes), expected text")
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "gb18030" and not _looks_like_chinese(text):
            break
        return text.replace("\r\n", "\n").replace("\r", "\n"), encoding
    raise InputError(f"{path}: cannot decode as UTF-8 or GB18030 (GBK); re-save it as UTF-8")


def _looks_like_chinese(text: str) -> bool:
    """Random bytes often decode as GB18030; real Chinese text is mostly common CJK."""
    letters = [c for c in text if not c.isspace() and not c.isascii()]
    if not letters:
        return True
    common = sum("\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef" for c in letters)
    return common / len(letters) > 0.9


@dataclass
class Change:
    """What a stage proposes, in current-text offsets: replace text[start:end] by `after`."""

    start: int
    end: int
    after: str
    rule: str
    confidence: float = 1.0
    applied: bool = True
    note: str = ""


@dataclass
class Edit:
    """One logged edit, anchored to the source: `before == source[start:end]`."""

    id: str
    stage: str
    rule: str
    start: int
    end: int
    before: str
    after: str
    confidence: float = 1.0
    applied: bool = True
    note: str = ""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Edit:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass
class _Piece:
    """A run of the current text: kept source (edit is None) or an applied edit's output."""

    cur_start: int
    src_start: int
    src_end: int
    text: str
    edit: Edit | None = None

    @property
    def cur_end(self) -> int:
        return self.cur_start + len(self.text)


@dataclass
class Document:
    """The source plus the edit log; owns the current-text ↔ source mapping.

    Applied edits are kept in replay order (insertions at one source offset keep the order
    in which they were placed in the current text); unapplied proposals are kept aside and
    merged by source offset for the log.
    """

    source: Source
    applied_edits: list[Edit] = field(default_factory=list)
    proposals: list[Edit] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rebuild()

    @classmethod
    def from_log(cls, source: Source, edits: list[Edit], stages: list[str]) -> Document:
        return cls(source, [e for e in edits if e.applied], [e for e in edits if not e.applied], list(stages))

    # --- views -----------------------------------------------------------------------
    @property
    def text(self) -> str:
        return self._text

    @property
    def edits(self) -> list[Edit]:
        """The whole log in replay order: proposals placed after applied edits at their offset."""
        merged: list[Edit] = []
        pending = sorted(self.proposals, key=lambda e: e.start)
        k = 0
        for e in self.applied_edits:
            while k < len(pending) and pending[k].start < e.start:
                merged.append(pending[k])
                k += 1
            merged.append(e)
        merged.extend(pending[k:])
        return merged

    def edited_spans(self) -> list[tuple[int, int]]:
        """Current-text spans produced by earlier applied edits (later stages leave them alone)."""
        return [(p.cur_start, p.cur_end) for p in self._pieces if p.edit is not None]

    def is_original(self, start: int, end: int) -> bool:
        """True when text[start:end] is untouched source text, so a change may go there."""
        return self._kept_piece(start, end) is not None

    def source_span(self, start: int, end: int) -> tuple[int, int] | None:
        """Where text[start:end] lies in the source, when it is untouched source text."""
        found = self._kept_piece(start, end)
        if found is None:
            return None
        shift = self._pieces[found].src_start - self._pieces[found].cur_start
        return start + shift, end + shift

    # --- changes -----------------------------------------------------------------------
    def apply(self, stage: str, changes: list[Change]) -> list[Edit]:
        """Map a stage's changes (all against the current text) to source edits and log them.

        Applied changes must not overlap each other nor text produced by earlier edits;
        insertions at one point keep the order the stage gave them.
        """
        if stage not in self.stages:
            self.stages.append(stage)
        ordered = sorted(enumerate(changes), key=lambda ic: (ic[1].start, ic[1].end > ic[1].start, ic[0]))
        counter = sum(1 for e in self.applied_edits + self.proposals if e.stage == stage)
        new: list[tuple[int, Edit]] = []
        last_end = -1
        for _, change in ordered:
            if change.applied and change.start < last_end:
                raise ValueError(f"{stage}/{change.rule}: overlapping changes at {change.start}")
            found = self._kept_piece(change.start, change.end)
            if found is None:
                raise ValueError(
                    f"{stage}/{change.rule}: change at {change.start}:{change.end} touches an earlier edit"
                )
            piece = self._pieces[found]
            src_start = piece.src_start + change.start - piece.cur_start
            src_end = src_start + change.end - change.start
            counter += 1
            edit = Edit(
                id=f"{stage}-{counter}",
                stage=stage,
                rule=change.rule,
                start=src_start,
                end=src_end,
                before=self.source.text[src_start:src_end],
                after=change.after,
                confidence=round(change.confidence, 3),
                applied=change.applied,
                note=change.note,
            )
            if change.applied:
                slot = self._edits_before[found]
                new.append((slot, edit))
                last_end = change.end
            else:
                self.proposals.append(edit)
        self.applied_edits = _merge(self.applied_edits, new)
        self._rebuild()
        return [edit for _, edit in new]

    # --- internals -----------------------------------------------------------------------
    def _kept_piece(self, start: int, end: int) -> int | None:
        """Index of the kept-source piece containing [start, end]; the later one at an edge."""
        j = bisect.bisect_right(self._starts, start) - 1
        while j >= 0 and self._pieces[j].cur_end >= start:
            p = self._pieces[j]
            if p.edit is None and p.cur_start <= start and end <= p.cur_end:
                return j
            j -= 1
        return None

    def _rebuild(self) -> None:
        pieces: list[_Piece] = []
        src_text = self.source.text
        src_pos = cur = 0
        for e in self.applied_edits:
            if e.start < src_pos or src_text[e.start : e.end] != e.before:
                raise ValueError(f"edit {e.id} overlaps an earlier edit or does not match the source")
            pieces.append(_Piece(cur, src_pos, e.start, src_text[src_pos : e.start]))
            cur += e.start - src_pos
            pieces.append(_Piece(cur, e.start, e.end, e.after, e))
            cur += len(e.after)
            src_pos = e.end
        pieces.append(_Piece(cur, src_pos, len(src_text), src_text[src_pos:]))
        self._pieces = pieces
        self._starts = [p.cur_start for p in pieces]
        self._edits_before = [i // 2 for i in range(len(pieces))]  # pieces alternate kept, edit
        self._text = "".join(p.text for p in pieces)


def _merge(edits: list[Edit], new: list[tuple[int, Edit]]) -> list[Edit]:
    """``edits`` with each ``(slot, edit)`` of ``new`` (slots ascending) placed before
    ``edits[slot]``, ties in the order given: one pass, where inserting one by one would be
    quadratic on a long talk."""
    out: list[Edit] = []
    j = 0
    for i in range(len(edits) + 1):
        while j < len(new) and new[j][0] == i:
            out.append(new[j][1])
            j += 1
        if i < len(edits):
            out.append(edits[i])
    if j < len(new):
        raise ValueError("edit slots out of order")
    return out


def replay(source_text: str, edits: list[Edit]) -> str:
    """Apply the applied edits, in log order, to the source: the output text, independently."""
    out: list[str] = []
    pos = 0
    for e in edits:
        if not e.applied:
            continue
        if e.start < pos or source_text[e.start : e.end] != e.before:
            raise ValueError(f"edit {e.id} does not match the source at {e.start}")
        out.append(source_text[pos : e.start])
        out.append(e.after)
        pos = e.end
    out.append(source_text[pos:])
    return "".join(out)

"""`cleanup apply`: apply a reviewer's decisions to an edit log.

A reviewer accepts or rejects edits in NAME.report.html and downloads NAME.decisions.json::

    {"source_sha256": "...", "decisions": [{"id": "glossary-3", "verdict": "reject"},
                                           {"id": "phonetic-1", "verdict": "accept", "text": "生成"}]}

(the page adds each edit's stage, rule, start, end, before, after and applied state, so a
decision can be checked against the log it was made on and the file can be read alone).

* :func:`apply_decisions` turns the decided log into a new Document: accepted proposals are
  applied, rejected edits are unapplied, a reviewer's text replaces `after`. Edits are anchored
  to the source, so rejecting one never disturbs another; an accepted proposal that overlaps
  an edit still applied is refused, as are decisions made on another source.
* :func:`register` adds `cleanup apply` and `cleanup glossary learn`
  (:mod:`cleanup.glossary.learn`, which teaches the glossary from the same decisions).
"""

from __future__ import annotations

import dataclasses
import json
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from cleanup.document import Document, Edit, InputError, Source

VERDICTS = ("accept", "reject")


class ReviewError(Exception):
    """Decisions that cannot be applied or learned from; one line for the user."""


# --- decisions -------------------------------------------------------------------------
def read_decisions(path: Path) -> dict:
    """Read and validate NAME.decisions.json (shape only; ids are checked against a log)."""
    with _reading_json(path, "NAME.decisions.json"):
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    validate_decisions(data, str(path))
    return data


@contextmanager
def _reading_json(path: Path, expected: str):
    """Turn the ways reading a JSON file fails into one-line ReviewErrors that name it."""
    try:
        yield
    except FileNotFoundError:
        raise ReviewError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ReviewError(f"{path}: is a directory, expected {expected}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    except json.JSONDecodeError as exc:
        raise ReviewError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None


def validate_decisions(data, where: str = "decisions") -> None:
    if not isinstance(data, dict) or not isinstance(data.get("decisions"), list):
        raise ReviewError(f'{where}: expected {{"source_sha256": ..., "decisions": [...]}}')
    if not isinstance(data.get("source_sha256"), str):
        raise ReviewError(f"{where}: missing source_sha256 (the transcript the decisions were made on)")
    seen: set[str] = set()
    for n, d in enumerate(data["decisions"], 1):
        if not isinstance(d, dict) or not isinstance(d.get("id"), str):
            raise ReviewError(f"{where}: decision {n} has no edit id")
        if d.get("verdict") not in VERDICTS:
            raise ReviewError(f"{where}: decision {n} ({d['id']}): verdict must be 'accept' or 'reject'")
        if "text" in d and not isinstance(d["text"], str):
            raise ReviewError(f"{where}: decision {n} ({d['id']}): text must be a string")
        if d["id"] in seen:
            raise ReviewError(f"{where}: edit {d['id']} is decided twice")
        seen.add(d["id"])


def apply_decisions(doc: Document, decisions: dict) -> Document:
    """A new Document with the reviewer's decisions applied; `doc` is left as it was.

    Undecided edits keep their state. `accept` applies a proposal (and keeps an applied edit),
    `reject` unapplies an edit; `text` (with accept) replaces the edit's `after`.
    """
    from cleanup.render.report import merge_in_replay_order, overlapping_pairs

    validate_decisions(decisions)
    sha = decisions["source_sha256"]
    if sha != doc.source.sha256:
        raise ReviewError(
            f"decisions were made on another version of {doc.source.path} "
            f"(source sha256 {sha[:12]}…, the file now has {doc.source.sha256[:12]}…): "
            "re-run cleanup on it and review the new report"
        )
    by_id = {e.id: e for e in doc.edits}
    chosen: dict[str, dict] = {}
    for d in decisions["decisions"]:
        e = by_id.get(d["id"])
        if e is None:
            raise ReviewError(
                f"decision for edit {d['id']}, which this edit log does not have: the decisions belong to another run"
            )
        for key in ("start", "end", "before"):
            if key in d and d[key] != getattr(e, key):
                raise ReviewError(
                    f"decision for {e.id} was made on a different edit "
                    f"({key} {d[key]!r}, the log has {getattr(e, key)!r}): "
                    "the edit log was regenerated since the review; review its new report"
                )
        chosen[e.id] = d

    def decided(e: Edit) -> Edit:
        d = chosen.get(e.id)
        if d is None:
            return dataclasses.replace(e)
        accept = d["verdict"] == "accept"
        new = dataclasses.replace(e, applied=accept)
        if accept and "text" in d and d["text"] != e.after:
            note = f"reviewer's text (proposed {e.after!r})"
            new = dataclasses.replace(new, after=d["text"], note=f"{e.note}; {note}" if e.note else note)
        return new

    kept = [x for x in map(decided, doc.applied_edits) if x.applied]
    accepted = [x for x in map(decided, doc.proposals) if x.applied]
    new_ids = {x.id for x in accepted}
    for a, b in overlapping_pairs(kept + accepted):
        if a.id in new_ids and b.id in new_ids:
            raise ReviewError(f"accepted proposals {_describe(a)} and {_describe(b)} overlap: accept only one of them")
        p, e = (a, b) if a.id in new_ids else (b, a)
        raise ReviewError(
            f"accepted proposal {_describe(p)} overlaps {_describe(e)}, which is still applied: "
            f"reject {e.id} as well, or leave {p.id} undecided"
        )
    applied = merge_in_replay_order(kept, accepted, doc.stages)
    proposals = [x for x in map(decided, doc.edits) if not x.applied]
    try:
        return Document(doc.source, applied, proposals, list(doc.stages))
    except ValueError as exc:
        raise ReviewError(f"the decided edits do not replay: {exc}") from None


def _describe(e: Edit) -> str:
    return f"{e.id} ({e.before!r}→{e.after!r} at {e.start}:{e.end})"


def load_log(path: Path) -> tuple[Document, str]:
    """NAME.edits.json and its source → (Document, NAME). The source path in the log is read
    as written, or relative to the log's folder; the file must be unchanged (sha256)."""
    from cleanup.outputs import read_edit_log

    path = Path(path)
    try:
        with _reading_json(path, "NAME.edits.json"):
            data, edits = read_edit_log(path)
        recorded = data["source"]["path"]
        sha = data["source"]["sha256"]
        stages = data.get("stages", [])
    except (KeyError, TypeError) as exc:
        raise ReviewError(f"{path}: not an edit log written by cleanup run (missing {exc})") from None
    candidates = [Path(recorded)]
    if not Path(recorded).is_absolute():
        candidates.append(path.parent / recorded)
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        raise ReviewError(f"{path}: its source {recorded} is not there (looked in . and {path.parent})")
    source = Source.read(found)
    if source.sha256 != sha:
        raise ReviewError(f"{found}: changed since {path} was written (sha256 differs): re-run cleanup on it")
    if found == candidates[0]:
        source = dataclasses.replace(source, path=recorded)
    try:
        doc = Document.from_log(source, edits, stages)
    except ValueError as exc:
        raise ReviewError(f"{path}: edits do not match the source ({exc})") from None
    name = path.name.removesuffix(".edits.json") if path.name.endswith(".edits.json") else path.stem
    return doc, name


# --- CLI -------------------------------------------------------------------------------
def _fail(message: str) -> None:
    typer.echo(f"cleanup: {message}", err=True)
    raise typer.Exit(2)


def apply_command(
    edits: Annotated[Path, typer.Argument(metavar="NAME.edits.json", help="The edit log written by cleanup run.")],
    decisions: Annotated[Path, typer.Option("--decisions", "-d", help="NAME.decisions.json from the report.")],
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", "-o", help="Where to write (default: beside the log).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Apply review decisions: re-render NAME.md, NAME.diff, NAME.edits.json and NAME.report.html."""
    from cleanup import outputs

    try:
        doc, name = load_log(edits)
        data = read_decisions(decisions)
        new = apply_decisions(doc, data)
        files = outputs.render_all(new, name)
    except (ReviewError, InputError) as exc:
        _fail(str(exc))
    written = outputs.write_atomic(files, out_dir or edits.parent)
    if not quiet:
        verdicts = [d["verdict"] for d in data["decisions"]]
        corrected = sum("text" in d for d in data["decisions"])
        typer.echo(
            f"{decisions}: {verdicts.count('accept')} accepted, {verdicts.count('reject')} rejected"
            f"{f', {corrected} corrected' if corrected else ''} → {written[0]}: "
            f"{len(new.applied_edits)} edits applied, {len(new.proposals)} not applied"
        )


def register(app: typer.Typer, glossary_app: typer.Typer) -> None:
    """Add `cleanup apply` and `cleanup glossary learn` to the main CLI."""
    from cleanup.glossary.learn import learn_command

    app.command("apply")(apply_command)
    glossary_app.command("learn")(learn_command)

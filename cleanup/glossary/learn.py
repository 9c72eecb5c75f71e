"""`cleanup glossary learn`: teach the glossary from a reviewer's decisions.

:func:`plan_learning` turns accepted proposals into glossary variants and rejected glossary
replacements into `forbid_near` guards (or removes a talk overlay's variant), then runs the
changed glossary over every decided place, as the glossary stage would see it, and guards or
reports what would still go wrong. The changes are made by
:class:`cleanup.glossary.edit.PackText` in the YAML text, so a pack keeps its layout and
comments; :func:`learn_command` shows them as a diff and writes them with --write (never a
change that would make `cleanup glossary check` fail).
"""

from __future__ import annotations

import bisect
import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cleanup.document import Document, Edit, InputError
from cleanup.glossary.commands import fail
from cleanup.review import ReviewError, load_log, read_decisions

if TYPE_CHECKING:
    from cleanup.glossary.edit import PackText

LEARN_STAGES = ("glossary", "phonetic", "spelling")
WORDISH = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")
MAX_VARIANT = 40


@dataclass
class Occurrence:
    """One decided edit of a variant, with the text its stage saw (for context guards)."""

    edit: Edit
    text: str = ""  # the text as the edit's stage saw it ("" when the source is unknown)
    start: int = 0  # the edit's span in that text
    end: int = 0


@dataclass
class Lesson:
    kind: str  # "variant" (add before→term), "guard" (forbid_near), "remove" (drop the variant)
    term: str
    variant: str
    path: Path | None = None
    words: list[str] = field(default_factory=list)  # require_near for "variant", forbid_near for "guard"
    why: str = ""


@dataclass
class Plan:
    lessons: list[Lesson]
    skipped: list[str]
    files: dict[Path, tuple[str, str]]  # path → (old text, new text)


def _learnable(e: Edit, term: str) -> bool:
    if not (e.stage in LEARN_STAGES or e.rule.split(":", 1)[0] in LEARN_STAGES):
        return False
    before = e.before
    return (
        before == before.strip()
        and term == term.strip()
        and bool(before and term)
        and before != term
        and "\n" not in before + term
        and len(before) <= MAX_VARIANT
        and len(term) <= MAX_VARIANT
        and bool(WORDISH.search(before))
        and bool(WORDISH.search(term))
    )


class GlossaryStageText:
    """The text as the glossary stage sees it (the source with the applied edits of the stages
    before it replayed), and where a logged edit lies in it: learned variants fire there."""

    def __init__(self, doc: Document):
        from cleanup.document import replay
        from cleanup.pipeline import STAGES

        earlier_stages = set(STAGES[: STAGES.index("glossary")])
        self.earlier = [a for a in doc.applied_edits if a.stage in earlier_stages]
        self.text = replay(doc.source.text, self.earlier)
        self.ends = [a.end for a in self.earlier]
        self.shift = [0]
        for a in self.earlier:
            self.shift.append(self.shift[-1] + len(a.after) - (a.end - a.start))

    def occurrence(self, e: Edit) -> Occurrence:
        i = bisect.bisect_right(self.ends, e.start)
        if i < len(self.earlier) and self.earlier[i].start < e.end and self.earlier[i].id != e.id:
            return Occurrence(e)  # inside an earlier stage's edit: no reliable context
        start = e.start + self.shift[i]
        return Occurrence(e, self.text, start, start + (e.end - e.start))


def context_phrases(occ: Occurrence, segment, window: int) -> list[str]:
    """Phrases around one occurrence, most specific last: variant + next word, previous word +
    variant, both. Each fits in the guard window, so a guard made of it sees it."""
    if not occ.text:
        return []
    text, s, e = occ.text, occ.start, occ.end
    lo, hi = max(0, s - window), min(len(text), e + window)
    cuts, pos = {lo, hi}, lo
    for word in segment(text[lo:hi]):
        pos += len(word)
        cuts.add(pos)
    after = min((c for c in cuts if c > e), default=e)
    before = max((c for c in cuts if c < s), default=s)
    nxt, prev = text[e:after], text[before:s]
    phrases = []
    if WORDISH.search(nxt) and "\n" not in nxt:
        phrases.append(text[s:after])
    if WORDISH.search(prev) and "\n" not in prev:
        phrases.append(text[before:e])
    if len(phrases) == 2:
        phrases.append(text[before:after])
    return [p for p in phrases if len(p) - (e - s) <= window]


def _window_text(occ: Occurrence, window: int) -> str:
    return occ.text[max(0, occ.start - window) : occ.end + window]


def plan_learning(
    decisions: dict,
    doc: Document | None,
    target: Path,
    glossary_paths: list[Path],
    segment=None,
    word_freq: dict[str, int] | None = None,
) -> Plan:
    """What the decisions teach, as YAML text changes (nothing is written here).

    `doc` is the edit log the review was made on (needed for context guards); without it,
    the decisions' own stage/before/after fields are used and rejections are only reported.
    `target` receives new variants; guards and removals go to the file defining the variant.
    Afterwards the changed glossary is run over every decided place, as the glossary stage
    would see it: a rejected place that another (shorter) variant would now rewrite gets a
    guard too, and an accepted variant that would not fire is reported.
    """
    from cleanup.glossary.edit import PackText
    from cleanup.glossary.model import DEFAULT_WINDOW, fold

    by_id = {e.id: e for e in doc.edits} if doc else {}
    view = GlossaryStageText(doc) if doc else None
    additions: dict[tuple[str, str], list[Occurrence]] = {}
    rejections: dict[tuple[str, str], list[Occurrence]] = {}
    skipped: list[str] = []
    rejected_ids: set[str] = set()
    for d in decisions["decisions"]:
        e = by_id.get(d["id"])
        if e is None:
            if not all(k in d for k in ("stage", "rule", "before", "after")):
                skipped.append(f"{d['id']}: not in the edit log and the decision does not describe it")
                continue
            e = Edit(d["id"], d["stage"], d["rule"], d.get("start", 0), d.get("end", 0), d["before"], d["after"])
        applied = d.get("applied", e.applied)
        occ = view.occurrence(e) if view else Occurrence(e)
        text = d.get("text")
        corrected = text is not None and text != e.after
        if d["verdict"] == "reject" or corrected:
            rejected_ids.add(e.id)
        if d["verdict"] == "accept":
            term = text if text is not None else e.after
            if _learnable(e, term) and (not applied or corrected):
                additions.setdefault((term, e.before), []).append(occ)
        if (d["verdict"] == "reject" or corrected) and applied and e.stage == "glossary" and _learnable(e, e.after):
            rejections.setdefault((e.after, e.before), []).append(occ)

    segment = segment or _segmenter()
    packs = {p: PackText.read(p, _new_file_header(p)) for p in dict.fromkeys([*glossary_paths, target])}
    known = _known_variants(packs)
    lessons: list[Lesson] = []
    old_texts = {p: pack.text for p, pack in packs.items()}

    def kept_places(term: str, variant: str) -> list[Occurrence]:
        """Places where the glossary rewrote `variant` to `term` and the reviewer let it be."""
        if not doc:
            return []
        return [
            view.occurrence(x)
            for x in doc.applied_edits
            if x.stage == "glossary"
            and fold(x.before) == fold(variant)
            and x.after == term
            and x.id not in rejected_ids
        ]

    def guard(term: str, variant: str, occs: list[Occurrence], note: str = "") -> bool:
        """Guard (or, in a talk overlay, remove) a variant at the rejected places `occs`."""
        where = _defining_pack(packs, term, variant, note)
        if where is None:
            skipped.append(f"{variant} → {term}: rejected, but no glossary file in use lists it")
            return False
        path, window = where
        kept = kept_places(term, variant)
        if (packs[path].is_overlay() or path == target) and not kept:
            packs[path].remove_variant(term, variant)
            lessons.append(
                Lesson("remove", term, variant, path, why=f"rejected {len(occs)}×, a talk overlay's variant")
            )
            return True
        words = []
        for occ in occs:
            phrase = next(
                (
                    p
                    for p in context_phrases(occ, segment, window)
                    if not any(p in _window_text(k, window) for k in kept)
                ),
                None,
            )
            if phrase is None:
                skipped.append(f"{variant} → {term}: no context tells the rejected place from the kept ones")
            elif phrase not in words:
                words.append(phrase)
        if not words:
            return False
        packs[path].add_forbid(term, variant, words)
        lessons.append(Lesson("guard", term, variant, path, words, f"rejected {len(occs)}×"))
        return True

    for (term, variant), occs in additions.items():
        owner = known.get(fold(variant))
        if owner and owner[0] == term:
            skipped.append(f"{variant} → {term}: already a variant ({owner[1]}); its guard kept it from firing here")
            continue
        if owner and (owner[0], variant) not in rejections:
            skipped.append(f"{variant} → {term}: {variant} is already a variant of {owner[0]} ({owner[1]})")
            continue
        words: list[str] = []
        if _needs_guard(variant, word_freq):
            words = list(dict.fromkeys(p[0] for p in (context_phrases(o, segment, DEFAULT_WINDOW) for o in occs) if p))
            if not words:
                skipped.append(f"{variant} → {term}: an ordinary word, and no context to guard it with")
                continue
        if owner:  # the reviewer corrected a replacement: the old variant must give way here
            guarded = guard(owner[0], variant, rejections.pop((owner[0], variant)), occs[0].edit.note)
            if not guarded or fold(variant) in _known_variants(packs):
                skipped.append(f"{variant} → {term}: {variant} stays a variant of {owner[0]}; edit it by hand")
                continue
        dest = _destination(packs, target, term)
        # the guard window just covers the phrases, so a neighbouring occurrence cannot satisfy it
        window = max(len(w) - len(variant) for w in words) if words else None
        name = decisions.get("name")
        note = f"learned from the review of {name}" if name else ""
        packs[dest].add_variant(term, variant, require_near=words, window=window, note=note)
        lessons.append(Lesson("variant", term, variant, dest, words, "accepted proposal"))

    for (term, variant), occs in rejections.items():
        guard(term, variant, occs, occs[0].edit.note)

    # Run the changed glossary over the rejected places, as the glossary stage will: a shorter
    # variant inside a guarded one (多么泰 inside 多么泰大模型) would otherwise fire instead.
    def still_rewritten() -> dict[tuple[str, str], list[Occurrence]]:
        glossary = _glossary_of(packs)
        found: dict[tuple[str, str], list[Occurrence]] = {}
        for occs in rejections.values():
            for occ in occs:
                for m in _matches_at(glossary, occ, segment):
                    hit = Occurrence(occ.edit, occ.text, m.start, m.end)
                    found.setdefault((m.variant.term, m.variant.text), []).append(hit)
        return found

    tried = set(rejections)
    for _ in range(3):
        fresh = {k: v for k, v in still_rewritten().items() if k not in tried}
        if not fresh:
            break
        for (term, variant), occs in fresh.items():
            tried.add((term, variant))
            guard(term, variant, occs)
    if left := still_rewritten():
        names = ", ".join(f"{v} → {t}" for t, v in left)
        skipped.append(f"the glossary would still rewrite a rejected place ({names}); check it by hand")
    glossary = _glossary_of(packs)
    for lesson in [x for x in lessons if x.kind == "variant"]:
        for occ in additions[(lesson.term, lesson.variant)]:
            if occ.text and not any(
                m.variant.term == lesson.term and (m.start, m.end) == (occ.start, occ.end)
                for m in _matches_at(glossary, occ, segment)
            ):
                skipped.append(
                    f"{lesson.variant} → {lesson.term} is learned, but a longer variant wins at {occ.edit.id}"
                )
    if view is not None:
        for lesson in [x for x in lessons if x.kind == "variant"]:
            wanted = {(o.start, o.end) for o in additions[(lesson.term, lesson.variant)]}
            elsewhere = [
                m
                for m in glossary.find(view.text, segment)
                if m.variant.term == lesson.term
                and fold(m.variant.text) == fold(lesson.variant)
                and (m.start, m.end) not in wanted
            ]
            if elsewhere:
                skipped.append(
                    f"note: {lesson.variant} → {lesson.term} will also fire at {len(elsewhere)} other place(s) here"
                )
    files = {p: (old_texts[p], pack.text) for p, pack in packs.items() if pack.text != old_texts[p]}
    return Plan(lessons, skipped, files)


def _new_file_header(path: Path) -> str:
    """The comment that opens a pack learning creates."""
    kind = "Talk overlay: terms" if path.parent.name == "talks" else "Terms"
    return f"# {kind} learned from review decisions (cleanup glossary learn).\n"


def _destination(packs: dict[Path, PackText], target: Path, term: str) -> Path:
    """Where a new variant of `term` goes: the target, unless the target is a base pack and
    another base pack already defines the term (a term is defined once across base packs)."""
    if packs[target].is_overlay() or any(e.term == term for e in packs[target].entries()):
        return target
    for path, pack in packs.items():
        if path != target and not pack.is_overlay() and any(e.term == term for e in pack.entries()):
            return path
    return target


def _glossary_of(packs: dict[Path, PackText]):
    from cleanup.glossary.model import Glossary

    return Glossary([e for pack in packs.values() for e in pack.entries()])


def _matches_at(glossary, occ: Occurrence, segment, margin: int = 60) -> list:
    """Glossary matches (that change the text) overlapping the occurrence's span."""
    if not occ.text:
        return []
    lo = max(0, occ.start - margin)
    text = occ.text[lo : occ.end + margin]
    found = []
    for m in glossary.find(text, segment):
        start, end = m.start + lo, m.end + lo
        if start < occ.end and occ.start < end and occ.text[start:end] != m.variant.term:
            found.append(dataclasses.replace(m, start=start, end=end))
    return found


def _needs_guard(variant: str, word_freq: dict[str, int] | None) -> bool:
    """An ordinary word (by jieba's dictionary) must not become an unguarded variant."""
    from cleanup.glossary.check import FREQUENT_WORD, _jieba_freq
    from cleanup.glossary.model import is_latin

    if is_latin(variant):
        return False
    if word_freq is None:
        try:
            word_freq = _jieba_freq()
        except Exception:  # no dictionary: be careful
            return True
    return word_freq.get(variant, 0) >= FREQUENT_WORD


def _segmenter():
    from cleanup.context import Context

    return Context().segmenter


def _known_variants(packs: dict[Path, PackText]) -> dict[str, tuple[str, str]]:
    from cleanup.glossary.model import fold

    known: dict[str, tuple[str, str]] = {}
    for path, pack in packs.items():
        for entry in pack.entries():
            for v in entry.variants:
                known.setdefault(fold(v.text), (entry.term, v.source or str(path)))
    return known


def _defining_pack(packs: dict[Path, PackText], term: str, variant: str, note: str) -> tuple[Path, int] | None:
    """The file listing `variant` for `term` (the edit's note names it: path:line), and its window."""
    from cleanup.glossary.model import fold

    hinted = Path(note.rsplit(":", 1)[0]) if re.search(r"\.ya?ml:\d+$", note or "") else None
    order = sorted(packs, key=lambda p: not (hinted and p.resolve() == hinted.resolve()))
    for path in order:
        for entry in packs[path].entries():
            if entry.term != term:
                continue
            for v in entry.variants:
                if fold(v.text) == fold(variant):
                    return path, v.window
    return None


# --- CLI -------------------------------------------------------------------------------
def resolve_into(into: str | None, talk: str) -> Path:
    """--into: a path (a talk overlay or a pack file) or a pack name in glossary/; default:
    the talk overlay glossary/talks/NAME.yaml that `cleanup run` picks up for this talk."""
    from cleanup.context import REPO_GLOSSARY_DIR

    if into is None:
        return REPO_GLOSSARY_DIR / "talks" / f"{talk}.yaml"
    if "/" in into or into.endswith((".yaml", ".yml")):
        return Path(into)
    for candidate in (REPO_GLOSSARY_DIR / f"{into}.yaml", REPO_GLOSSARY_DIR / "talks" / f"{into}.yaml"):
        if candidate.exists():
            return candidate
    names = ", ".join(sorted(p.stem for p in REPO_GLOSSARY_DIR.glob("*.yaml")))
    raise ReviewError(f"--into {into}: no pack glossary/{into}.yaml (packs: {names})")


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def learn_command(
    decisions: Annotated[Path, typer.Argument(metavar="NAME.decisions.json", help="Decisions from the review page.")],
    edits: Annotated[
        Path | None,
        typer.Option("--edits", "-e", help="The edit log reviewed (default: NAME.edits.json beside the decisions)."),
    ] = None,
    into: Annotated[
        str | None,
        typer.Option(
            "--into",
            help="Talk overlay or pack (path or pack name) for new variants; default glossary/talks/NAME.yaml.",
        ),
    ] = None,
    glossary: Annotated[
        list[Path] | None, typer.Option("--glossary", "-g", help="Extra glossary file(s) in use.")
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Write the changes (default: only show the YAML diff).")
    ] = False,
) -> None:
    """Teach the glossary from review decisions: accepted proposals → variants, rejected replacements → guards."""
    from cleanup.context import default_glossary_paths
    from cleanup.glossary.edit import EditError, write_atomic

    try:
        data = read_decisions(decisions)
        name = data.get("name") if isinstance(data.get("name"), str) else None
        name = name or decisions.name.removesuffix(".decisions.json").removesuffix(".json")
        log = edits or decisions.with_name(f"{name}.edits.json")
        doc = None
        if edits is not None or log.exists():
            doc, _ = load_log(log)
            if doc.source.sha256 != data["source_sha256"]:
                raise ReviewError(f"{decisions} and {log} are about different versions of the source (sha256 differs)")
        target = resolve_into(into, name)
        paths = [p for p in default_glossary_paths(name) if p.resolve() != target.resolve()] + list(glossary or [])
        plan = plan_learning(data, doc, target, paths)
        check_problems = new_check_problems(plan) if plan.files else []
    except (ReviewError, EditError, InputError) as exc:
        fail(str(exc))
    if doc is None:
        typer.echo(f"note: {log} not found: rejected replacements need it for their context (--edits)", err=True)
    for lesson in plan.lessons:
        words = (
            f" {'require_near' if lesson.kind == 'variant' else 'forbid_near'} {lesson.words}" if lesson.words else ""
        )
        sign = {"variant": "+", "guard": "~", "remove": "-"}[lesson.kind]
        what = {"variant": "variant", "guard": "guard", "remove": "remove variant"}[lesson.kind]
        typer.echo(f"{sign} {what} {lesson.variant} → {lesson.term}{words} in {_rel(lesson.path)} ({lesson.why})")
    for reason in plan.skipped:
        typer.echo(f"  skipped: {reason}")
    if not plan.files:
        typer.echo(f"nothing to learn from {len(data['decisions'])} decision(s)")
        return
    for path, (old, new) in plan.files.items():
        diff = difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{_rel(path)}", f"b/{_rel(path)}"
        )
        for line in diff:
            line = line if line.endswith("\n") else line + "\n"
            colour = {"+": typer.colors.GREEN, "-": typer.colors.RED, "@": typer.colors.CYAN}.get(line[0])
            typer.secho(line, nl=False, fg=colour if line[:3] not in ("+++", "---") else None)
    for problem in check_problems:
        typer.echo(f"check: {problem}", err=True)
    if check_problems:
        fail("not written: the change would make `cleanup glossary check` fail (above); edit by hand")
    if not write:
        typer.echo("dry run: nothing written; add --write to save")
        return
    for path, (_, new) in plan.files.items():
        write_atomic(path, new)
    typer.echo(f"wrote {', '.join(_rel(p) for p in plan.files)}")


def new_check_problems(plan: Plan) -> list[str]:
    """Problems `cleanup glossary check` would report once the changes are made that it does
    not report now (the changed files checked together with the base packs, as it does)."""
    after = _check_version(plan, 1)
    if not after:
        return []
    before = {re.sub(r":\d+:", ":", p) for p in _check_version(plan, 0)}
    return [p for p in after if re.sub(r":\d+:", ":", p) not in before]


def _check_version(plan: Plan, version: int) -> list[str]:
    """check_paths over copies of the base packs and the changed files (0: old, 1: new text)."""
    import tempfile

    from cleanup.context import REPO_GLOSSARY_DIR
    from cleanup.glossary.check import check_paths

    changed = {p.resolve(): texts[version] for p, texts in plan.files.items()}
    involved = dict.fromkeys([p.resolve() for p in sorted(REPO_GLOSSARY_DIR.glob("*.yaml"))] + list(changed))
    with tempfile.TemporaryDirectory() as tmp:
        paths, names = [], {}
        for i, path in enumerate(involved):
            if path not in changed and not path.exists():
                continue
            copy = Path(tmp) / str(i) / path.name
            copy.parent.mkdir()
            copy.write_text(changed[path] if path in changed else path.read_text(encoding="utf-8"), encoding="utf-8")
            names[str(copy)] = _rel(path)
            paths.append(copy)
        problems = []
        for problem in check_paths(paths):
            for copy, real in names.items():
                problem = problem.replace(copy, real)
            problems.append(problem)
    return problems

"""`cleanup eval`: score a cleaned transcript against an editor's reference.

Kept apart from cleanup/cli.py so the main CLI only has to mount it (`register(app)`); the
scoring itself lives in cleanup/evaluate.py and is imported only when the command runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


def fail(message: str) -> None:
    """Bad input: one clear line on stderr, exit code 2."""
    typer.echo(f"cleanup eval: {message}", err=True)
    raise typer.Exit(2)


def read_errors(path: Path) -> list[dict]:
    """errors.jsonl: one JSON object per line with at least `wrong` and `right`."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})")
    entries = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            fail(f"{path}:{number}: not JSON ({exc.msg})")
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("wrong"), str)
            or not isinstance(entry.get("right"), str)
        ):
            fail(f"{path}:{number}: expected an object with string fields 'wrong' and 'right'")
        entries.append(entry)
    return entries


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _prf(scores: dict) -> str:
    return f"P {scores['precision']:.2f}  R {scores['recall']:.2f}  F1 {scores['f1']:.2f}"


def print_table(scores: dict) -> None:
    """The figures as one rich table, then a few examples of what went wrong."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="cleanup eval", show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("detail")
    n = scores["letters"]
    table.add_row("CER raw", _pct(scores["cer_raw"]), f"{n['raw']} raw letters vs {n['reference']} in the reference")
    table.add_row("CER clean", _pct(scores["cer_clean"]), f"{n['clean']} clean letters")
    table.add_row("error reduction", _pct(scores["error_reduction"]), "share of raw's letter errors removed")
    e = scores["edits"]
    table.add_row(
        "wrong edits",
        str(e["wrong"]),
        f"of {e['clean_edits']} edits: {e['matching']} matching, {e['overlapping']} overlapping",
    )
    table.add_row(
        "reference edits made",
        _pct(e["reference_recall"]),
        f"{e['reference_fixed']} of {e['reference_edits']} (misrecognitions, fillers)",
    )
    if t := scores["terms"]:
        table.add_row("listed errors fixed", _pct(t["recall"]), f"{t['fixed']} of {t['total']}")
        for group in ("by_category", "by_confidence"):
            for name, r in t[group].items():
                table.add_row(f"  {name}", _pct(r["recall"]), f"{r['fixed']} of {r['total']}")
        if t["format_only"] or t["unlocated"]:
            table.add_row("  not scored", "", f"{t['format_only']} format-only, {len(t['unlocated'])} not found in raw")
    p = scores["punctuation"]
    table.add_row("sentence ends (。！？)", f"{p['sentence_end']['f1']:.2f}", _prf(p["sentence_end"]))
    table.add_row("question marks (？)", f"{p['question']['f1']:.2f}", _prf(p["question"]))
    table.add_row("commas (，、)", f"{p['comma']['f1']:.2f}", _prf(p["comma"]))
    s = scores["speakers"]
    table.add_row(
        "turn boundaries",
        f"{s['boundaries']['f1']:.2f}",
        f"{_prf(s['boundaries'])}  (±{s['tolerance']} letters; {s['output_turns']} vs {s['reference_turns']} turns)",
    )
    table.add_row(
        "speaker attribution", _pct(s["attribution"]), ", ".join(f"{o}→{r}" for o, r in s["label_map"].items())
    )
    console = Console()
    console.print(table)
    for title, items in (
        ("wrong edits", e["examples"]["wrong"][:5]),
        (
            "missed listed errors",
            [f"#{m['id']} {m['wrong']}→{m['right']}: {m['context']}" for m in (t or {}).get("misses", [])[:5]],
        ),
    ):
        if items:
            console.print(f"[bold]{title}[/bold] (first {len(items)})", *items, sep="\n  ", highlight=False)


PUNCT_SPLITS = ("test", "dev", "spoken")


def punct_held_out(split: str = "test") -> None:
    """`cleanup eval punct`: per-mark P/R/F1 on the held-out (test) split of the corpus, for
    the shipped model alone and for the punctuate stage given a pause at every mark; or on
    the dev split (which tuned the decisions) or the spoken one (subtitles, never trained on)."""
    from cleanup import punctmodel as pm
    from cleanup.stages.punctuate import held_out_marks

    root = pm.corpora_dir()
    if not root.is_dir():
        fail(f"corpora not found: {root} (set CORPORA_DIR)")
    if split not in PUNCT_SPLITS:
        fail(f"--split: expected one of {', '.join(PUNCT_SPLITS)}, got {split!r}")
    lines = pm.held_out_lines(root, split)
    typer.echo(f"{split} split: {len(lines)} lines, {sum(map(len, lines)):,} characters ({root})")
    model, ceiling = pm.evaluate_with_type_ceiling(pm.PunctuationModel.load(), lines)
    stage = pm.score_marks(held_out_marks(lines))
    pm.print_table("model alone (punctuation-free text)", model)
    pm.print_table("punctuate stage (a pause comma at every gold mark, as the ASR gives)", stage)
    for name, res in (("model", model), ("stage", stage)):
        c = res["，"]
        typer.echo(f"comma (，) F1, reported separately — {name}: {c['F1']:.3f} (P {c['P']:.3f} R {c['R']:.3f})")
    q = ceiling["？"]
    typer.echo(
        f"？ ceiling — the model's sentence ends, each given its gold type (。 or ？): "
        f"F1 {q['F1']:.3f} (P {q['P']:.3f} R {q['R']:.3f})"
    )


@app.command("eval")
def eval_command(
    raw: Annotated[Path, typer.Argument(metavar="RAW", help="The raw ASR transcript (.txt), or `punct`.")],
    clean: Annotated[
        Path | None, typer.Argument(metavar="CLEAN.md", help="The cleaned transcript to score (.md).")
    ] = None,
    reference: Annotated[Path | None, typer.Option("--reference", "-r", help="The editor's reference (.md).")] = None,
    errors: Annotated[
        Path | None, typer.Option("--errors", "-e", help="errors.jsonl listing the misrecognitions.")
    ] = None,
    tolerance: Annotated[int, typer.Option("--tolerance", min=0, help="Letters a turn boundary may be off.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    split: Annotated[
        str, typer.Option("--split", help="With `punct`: the corpus split, test (held out), dev or spoken.")
    ] = "test",
) -> None:
    """Score CLEAN (made from RAW) against the editor's reference: CER, wrong edits, terms, punctuation, speakers.

    `cleanup eval punct`: the punctuation model's per-mark scores on the corpus's held-out split
    (`--split dev` or `--split spoken` for the others).
    """
    if str(raw) == "punct" and not raw.exists():
        punct_held_out(split)
        return
    if clean is None or reference is None:
        fail("expected RAW CLEAN.md --reference REF.md (or `cleanup eval punct`)")
    from cleanup.document import InputError, Source
    from cleanup.evaluate import MismatchError, evaluate

    try:
        texts = [Source.read(p).text for p in (raw, clean, reference)]
    except InputError as exc:
        fail(str(exc))
    entries = read_errors(errors) if errors else None
    try:
        scores = evaluate(*texts, errors=entries, tolerance=tolerance).to_json()
    except MismatchError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(scores, ensure_ascii=False, indent=2))
    else:
        print_table(scores)


def register(target: typer.Typer) -> None:
    """Add the `eval` command to another typer app (the main `cleanup` CLI)."""
    target.command("eval")(eval_command)

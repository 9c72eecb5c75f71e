"""`cleanup glossary stats|export|add`: mounted on the CLI's `glossary` sub-app by `register()`.

Kept apart from cleanup/cli.py (which owns `glossary check`); heavy modules are imported
inside the commands so `cleanup --help` stays fast. Bad input: one line on stderr, exit 2.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer


def fail(message: str) -> None:
    typer.echo(f"cleanup: {message}", err=True)
    raise typer.Exit(2)


def shipped_packs(with_talks: bool = False) -> list[Path]:
    from cleanup.context import REPO_GLOSSARY_DIR

    packs = sorted(REPO_GLOSSARY_DIR.glob("*.yaml"))
    return packs + sorted(REPO_GLOSSARY_DIR.glob("talks/*.yaml")) if with_talks else packs


def stats_command(
    transcripts: Annotated[
        list[Path] | None, typer.Argument(help="Transcripts to run the glossary over (.txt/.md).")
    ] = None,
    glossary: Annotated[
        list[Path] | None,
        typer.Option("--glossary", "-g", help="Packs to count (default: all shipped packs and talk overlays)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Entries and variants per pack; with TRANSCRIPTS, which variants fired how often and which never did."""
    from cleanup.document import InputError
    from cleanup.glossary.model import GlossaryError
    from cleanup.glossary.stats import compute

    try:
        stats = compute(list(glossary or shipped_packs(with_talks=True)), list(transcripts or []))
    except (GlossaryError, InputError) as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(stats.to_json(), ensure_ascii=False, indent=2))
        return
    _print_stats(stats)


def _print_stats(stats) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="glossary packs")
    for name in ("pack", "entries", "variants", "guarded"):
        table.add_column(name, justify="left" if name == "pack" else "right")
    if stats.transcripts:
        table.add_column("fired", justify="right")
    for p in stats.packs:
        row = [_short(p.path), str(p.entries), str(p.variants), str(p.guarded)]
        table.add_row(*row, *([str(p.fired)] if stats.transcripts else []))
    total = [sum(getattr(p, k) for p in stats.packs) for k in ("entries", "variants", "guarded", "fired")]
    table.add_row("total", *map(str, total[:3]), *([str(total[3])] if stats.transcripts else []), style="bold")
    console.print(table)
    if not stats.transcripts:
        return
    fired = Table(title=f"variants fired over {len(stats.transcripts)} transcript(s)")
    for name in ("times", "variant", "term", "where"):
        fired.add_column(name, justify="right" if name == "times" else "left")
    for (source, text, term), n in stats.counts.most_common():
        fired.add_row(str(n), text, term, _short(source))
    console.print(fired)
    by_pack: dict[str, list[str]] = {}
    for v in stats.never:
        by_pack.setdefault(_short(v.source.rsplit(":", 1)[0]), []).append(f"{v.text}→{v.term}")
    console.print(f"[bold]never fired[/bold]: {len(stats.never)} variant(s)")
    for pack, items in by_pack.items():
        console.print(f"  {pack} ({len(items)}): " + ", ".join(items), highlight=False)


def _short(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def export_command(
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="funasr|funasr-postprocess|pycorrector|pycorrector-proper|csv|tbx|whisper-prompt|subtitle-edit",
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of standard output.")
    ] = None,
    glossary: Annotated[
        list[Path] | None, typer.Option("--glossary", "-g", help="Extra glossary file(s) (e.g. a talk overlay).")
    ] = None,
) -> None:
    """Export the glossary for an ASR engine, a corrector, a terminology tool or a subtitle editor."""
    from cleanup.glossary.export import ExportError, export
    from cleanup.glossary.model import GlossaryError, load_glossary

    try:
        text = export(load_glossary(shipped_packs() + list(glossary or [])), fmt)
    except (GlossaryError, ExportError) as exc:
        fail(str(exc))
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, output)
    except OSError as exc:
        fail(f"{output}: cannot write ({exc.strerror})")
    typer.echo(f"wrote {output} ({fmt})", err=True)


def add_command(
    term: Annotated[str, typer.Argument(help="The canonical term, exactly as published.")],
    variants: Annotated[list[str], typer.Option("--variant", "-v", help="A misrecognition of TERM (repeatable).")],
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Pack to edit (default: the shipped pack that has TERM).")
    ] = None,
) -> None:
    """Add variant(s) to TERM without reformatting the pack (comments and order kept)."""
    from cleanup.glossary.edit import EditError, add_variant
    from cleanup.glossary.model import GlossaryError, load_glossary

    if file is None:
        try:
            owners = [p for p in shipped_packs() if any(e.term == term for e in load_glossary([p]).entries)]
        except GlossaryError as exc:
            fail(str(exc))
        if not owners:
            fail(f"'{term}' is in no shipped pack; name the pack to add it to with --file")
        file = owners[0]
    for variant in variants:
        try:
            action = add_variant(file, term, variant)
        except (EditError, OSError) as exc:
            fail(str(exc))
        typer.echo(f"{file}: {term} ← {variant} ({action})")


def register(glossary_app: typer.Typer) -> None:
    """Add `stats`, `export` and `add` to the CLI's `glossary` sub-app."""
    glossary_app.command("stats")(stats_command)
    glossary_app.command("export")(export_command)
    glossary_app.command("add")(add_command)

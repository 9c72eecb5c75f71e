"""`make eval`: run the pipeline on every talk of the dev set and print one table of scores.

The dev set (../shared/devset, or $DEVSET_DIR, or --devset) holds, per talk folder, raw.txt,
the editor's gold.md and errors.jsonl. It is read in place and never copied: it is for
evaluation only. On a machine without it this says so and exits 0.

--baseline scores raw.txt itself as the output: the "do nothing" row every change is
compared with.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cleanup.evaluate import MismatchError, evaluate

DEFAULT_DEVSET = Path(__file__).resolve().parents[1].parent / "shared" / "devset"
TIMEOUT = 300  # seconds per talk; the whole dev set should take well under a minute


def talks(devset: Path) -> list[Path]:
    return sorted(p for p in devset.iterdir() if (p / "raw.txt").is_file() and (p / "gold.md").is_file())


def clean_all(folders: list[Path], out_root: Path) -> dict[Path, Path | str]:
    """Run `cleanup run` on every raw.txt at once; the output .md per talk, or the error line."""
    cleanup = Path(sys.executable).parent / "cleanup"
    jobs = {}
    for folder in folders:
        out_dir = out_root / folder.name
        command = [str(cleanup), "run", str(folder / "raw.txt"), "--out-dir", str(out_dir), "--quiet"]
        jobs[folder] = (out_dir, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results: dict[Path, Path | str] = {}
    for folder, (out_dir, job) in jobs.items():
        try:
            _, err = job.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            job.kill()
            results[folder] = f"cleanup run took over {TIMEOUT} s"
            continue
        out = out_dir / "raw.md"
        ok = job.returncode == 0 and out.is_file()
        results[folder] = out if ok else (err.strip().splitlines() or [f"exit code {job.returncode}"])[-1]
    return results


def score(folder: Path, output: Path) -> dict:
    errors_path = folder / "errors.jsonl"
    errors = None
    if errors_path.is_file():
        errors = [json.loads(line) for line in errors_path.read_text("utf-8").splitlines() if line.strip()]
    raw, clean, gold = (p.read_text("utf-8") for p in (folder / "raw.txt", output, folder / "gold.md"))
    return evaluate(raw, clean, gold, errors).to_json()


def f1(scores: dict) -> str:
    return f"{scores['f1']:.2f}"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devset", type=Path, default=Path(os.environ.get("DEVSET_DIR", DEFAULT_DEVSET)))
    parser.add_argument("--json", type=Path, help="also write every score to this JSON file")
    parser.add_argument("--baseline", action="store_true", help="score raw.txt itself (the do-nothing baseline)")
    args = parser.parse_args()
    console = Console(width=None if sys.stdout.isatty() else 140)  # piped into notes: don't squeeze the table
    if not args.devset.is_dir() or not talks(args.devset):
        console.print(f"no dev set at {args.devset}: nothing to evaluate")
        return 0

    folders = talks(args.devset)
    table = Table(title=f"make eval — {'do-nothing baseline (raw.txt as output)' if args.baseline else 'cleanup run'}")
    for column in (
        "talk",
        "CER raw→clean",
        "err. red.",
        "wrong edits",
        "terms",
        "。！？ F1",
        "？ F1",
        "，、 F1",
        "turn F1",
        "speaker",
    ):
        table.add_column(column, justify="left" if column == "talk" else "right", no_wrap=True)
    report, failures = {}, []
    with tempfile.TemporaryDirectory(prefix="cleanup-eval-") as tmp:
        outputs = {f: f / "raw.txt" for f in folders} if args.baseline else clean_all(folders, Path(tmp))
        for folder in folders:
            output = outputs[folder]
            try:
                if isinstance(output, str):
                    raise MismatchError(output)
                s = score(folder, output)
            except (MismatchError, ValueError, OSError) as exc:
                failures.append(f"{folder.name}: {exc}")
                table.add_row(folder.name, "[red]failed[/red]", *[""] * 8)
                continue
            report[folder.name] = s
            terms, punct, speakers = s["terms"], s["punctuation"], s["speakers"]
            table.add_row(
                folder.name,
                f"{s['cer_raw']:.2%} → {s['cer_clean']:.2%}",
                pct(s["error_reduction"]),
                f"{s['edits']['wrong']} / {s['edits']['clean_edits']}",
                f"{terms['fixed']}/{terms['total']}" if terms else "–",
                f1(punct["sentence_end"]),
                f1(punct["question"]),
                f1(punct["comma"]),
                f1(speakers["boundaries"]),
                pct(speakers["attribution"]),
            )
    console.print(table)
    console.print(
        "wrong edits: edits the editor did not make / all edits · terms: listed misrecognitions fixed · F1 of sentence"
        " ends (。！？), question marks, commas (，、) · turn F1: boundaries within ±5 letters · speaker: letters"
        " attributed to the right speaker",
        highlight=False,
    )
    for line in failures:
        console.print(f"[red]failed[/red] {line}", highlight=False)
    if args.json:
        mode = "baseline" if args.baseline else "pipeline"
        args.json.write_text(json.dumps({"mode": mode, "talks": report}, ensure_ascii=False, indent=2), "utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

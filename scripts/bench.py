"""`make bench`: wall time, peak memory and characters/second per stage.

Runs the default pipeline on each given transcript and on a ~2 MB concatenation of them,
timing every stage separately (the first run includes lazy loading: glossary automaton,
segmenter, models), plus `cleanup --help` start-up in a fresh process.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cleanup import outputs, pipeline
from cleanup.context import Context, default_glossary_paths
from cleanup.document import Document, Source


def timed_run(source: Source, ctx: Context, stages: list[str]) -> dict[str, float]:
    doc = Document(source)
    times: dict[str, float] = {}
    for name in stages:
        propose = pipeline.stage_function(name)
        t0 = time.perf_counter()
        doc.apply(name, propose(doc, ctx))
        times[name] = time.perf_counter() - t0
    t0 = time.perf_counter()
    outputs.render_all(doc, "bench")
    times["render"] = time.perf_counter() - t0
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("inputs", nargs="+", type=Path)
    parser.add_argument("--big-mb", type=float, default=2.0)
    args = parser.parse_args()
    console = Console()
    stages = pipeline.DEFAULT_STAGES

    t0 = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "cleanup"), "--help"], capture_output=True, check=True)
    console.print(f"`cleanup --help` start-up: {time.perf_counter() - t0:.2f} s")

    sources = [Source.read(p) for p in args.inputs]
    runs = [(Path(s.path).name, s) for s in sources]
    body = "\n\n".join(s.text for s in sources)
    repeat = max(1, int(args.big_mb * 1e6 / len(body.encode())))
    runs.append((f"concatenation ×{repeat}", Source.from_text("\n\n".join([body] * repeat))))

    for label, source in runs:
        stem = Path(source.path).stem.removesuffix(".raw")
        ctx = Context(default_glossary_paths(stem), talk=stem)
        times = timed_run(source, ctx, stages)
        table = Table(title=f"{label}: {len(source.text):,} characters")
        table.add_column("stage")
        table.add_column("seconds", justify="right")
        table.add_column("chars/s", justify="right")
        for name, seconds in times.items():
            table.add_row(name, f"{seconds:.3f}", f"{len(source.text) / max(seconds, 1e-9):,.0f}")
        total = sum(times.values())
        table.add_row("total", f"{total:.3f}", f"{len(source.text) / total:,.0f}")
        console.print(table)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(f"peak memory (max RSS of this process): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()

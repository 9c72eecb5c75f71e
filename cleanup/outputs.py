"""Writing one transcript's outputs: Markdown, edit log, diff, report — atomically.

All four are views of one Document. Everything is rendered in memory first and then each
file is written to a temp file in the same directory and renamed, so a failure never leaves
a half-written output.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from cleanup.document import Document, Edit


def edit_log(doc: Document) -> dict:
    return {
        "source": {"path": doc.source.path, "sha256": doc.source.sha256, "encoding": doc.source.encoding},
        "stages": list(doc.stages),
        "edits": [e.to_json() for e in doc.edits],
    }


def read_edit_log(path: Path) -> tuple[dict, list[Edit]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data, [Edit.from_json(e) for e in data["edits"]]


def render_all(doc: Document, stem: str) -> dict[str, str]:
    from cleanup.render.diff import render_diff
    from cleanup.render.report import render_report

    return {
        f"{stem}.md": doc.text,
        f"{stem}.edits.json": json.dumps(edit_log(doc), ensure_ascii=False, indent=1) + "\n",
        f"{stem}.diff": render_diff(doc.source.text, doc.text, doc.source.path, f"{stem}.md"),
        f"{stem}.report.html": render_report(doc, title=stem),
    }


def write_atomic(files: dict[str, str], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files.items():
        target = out_dir / name
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(content)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(target)
    return written

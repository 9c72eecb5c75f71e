"""`python -m cleanup.review_open DIR`: open the newest NAME.report.html under DIR (`make review`).

Where no graphical browser can be opened (no display, CI, a plain SSH session) it prints the
report's path and the file:// address instead, so the command is useful everywhere. A text
browser is never launched: the review page needs JavaScript.
"""

from __future__ import annotations

import os
import sys
import webbrowser
from pathlib import Path

TEXT_BROWSERS = ("www-browser", "lynx", "links", "w3m", "elinks")


def newest_report(directory: Path) -> Path | None:
    reports = [p for p in Path(directory).rglob("*.report.html") if p.is_file()]
    return max(reports, key=lambda p: (p.stat().st_mtime, str(p)), default=None)


def can_open_browser() -> bool:
    if os.environ.get("CI"):
        return False
    if os.environ.get("BROWSER"):
        return True
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_report(path: Path) -> bool:
    """Open in a graphical browser; False when there is none."""
    if not can_open_browser():
        return False
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if isinstance(browser, webbrowser.GenericBrowser) and browser.name in TEXT_BROWSERS:
        return False  # a text browser in this terminal cannot run the review page
    try:
        return bool(browser.open(path.resolve().as_uri(), new=2))
    except Exception:  # a broken browser setup: fall back to printing the path
        return False


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print("usage: python -m cleanup.review_open DIR   (opens the newest *.report.html under DIR)")
        return 0 if args and args[0] in ("-h", "--help") else 2
    directory = Path(args[0])
    if not directory.is_dir():
        print(f"review: {directory} is not a directory; run `make clean` first", file=sys.stderr)
        return 2
    report = newest_report(directory)
    if report is None:
        print(f"review: no *.report.html in {directory}; run `make clean` (or cleanup run) first", file=sys.stderr)
        return 2
    if open_report(report):
        print(f"opened {report}")
    else:
        print(f"no browser can be opened here; the newest report is:\n{report}\n{report.resolve().as_uri()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

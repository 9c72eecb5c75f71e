"""Train the character n-gram LM shipped in cleanup/models/ (`make train-lm`).

Reproducible: inputs are read in sorted order, selection by file uses a hash of the file name
(no random state), duplicate paragraphs are kept once in first-seen order, and the ARPA is
written sorted and gzipped with mtime 0 — the same corpora give the same bytes.

Data: every folder of $CORPORA_DIR (default ../shared/corpora), one paragraph per line, each
folder weighted as its README suggests (a weight below 1 keeps that share of its files, chosen
by file-name hash; whole files, since near-duplicates run inside a document group), plus the
glossary's canonical terms in short carrier sentences. Never the transcripts we correct
(transcripts/, the sample) and never ../shared/devset (held-out evaluation).

Held out (not trained on): the d2l-zh chapters in HELD_OUT — the fixed slice the phonetic /
spelling false-positive tests run on, and the perplexity figure printed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cleanup import lm  # noqa: E402

# folder → share of its files used (README: self-llm is formulaic, the subtitles are MT).
WEIGHTS = {"self-llm-zh": 0.4, "hf-course-subtitles-zh": 0.5}
# d2l-zh chapters never trained on: the false-positive slice (tests) and the perplexity check.
HELD_OUT = ("d2l-zh/chapter_optimization__", "d2l-zh/chapter_recurrent-modern__")
ORDER = 5
MIN_COUNT = {3: 2, 4: 2, 5: 2}  # orders 1-2 keep everything; singletons above are pruned
CARRIERS = ("{}", "这个{}的问题", "我们用{}来做")


def keep_file(rel: str, weight: float) -> bool:
    if weight >= 1:
        return True
    h = int(hashlib.sha1(rel.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return h < weight


def corpus_files(corpora: Path) -> tuple[list[Path], list[Path]]:
    train, held = [], []
    for folder in sorted(p for p in corpora.iterdir() if p.is_dir() and p.name != "terms"):
        for f in sorted(folder.glob("*.txt")):
            rel = f"{folder.name}/{f.name}"
            if f.name == "TERMINOLOGY.txt":
                continue
            if rel.startswith(HELD_OUT):
                held.append(f)
            elif keep_file(rel, WEIGHTS.get(folder.name, 1.0)):
                train.append(f)
    return train, held


def glossary_terms() -> list[str]:
    try:
        from cleanup.context import default_glossary_paths
        from cleanup.glossary.model import load_glossary

        return sorted({e.term for e in load_glossary(default_glossary_paths(None)).entries})
    except Exception as exc:  # no glossary yet: the corpora alone
        print(f"glossary terms not added ({exc})", file=sys.stderr)
        return []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpora", default=os.environ.get("CORPORA_DIR", str(REPO.parent / "shared" / "corpora")))
    ap.add_argument("--out", default=str(lm.DEFAULT_MODEL))
    ap.add_argument("--order", type=int, default=ORDER)
    args = ap.parse_args()
    corpora = Path(args.corpora)
    if not corpora.is_dir():
        sys.exit(f"{corpora}: no corpora directory (set CORPORA_DIR)")
    t0 = time.time()
    train, held = corpus_files(corpora)
    seen: set[str] = set()
    paragraphs: list[str] = []
    for f in train:
        for line in f.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and line not in seen:
                seen.add(line)
                paragraphs.append(line)
    terms = glossary_terms()
    sents = [s for p in paragraphs for s in lm.sentences(p)]
    sents += [s for t in terms for c in CARRIERS for s in lm.sentences(c.format(t))]
    ntok = sum(len(s) for s in sents)
    print(f"{len(train)} files, {len(paragraphs)} paragraphs, {len(terms)} glossary terms, {ntok} tokens")
    counts = lm.write_arpa(sents, args.out, order=args.order, min_count=MIN_COUNT)
    size = Path(args.out).stat().st_size
    print(f"wrote {args.out}: {size / 1e6:.1f} MB, n-grams {counts}, {time.time() - t0:.0f} s")
    model = lm.LM(args.out)
    held_sents = [s for f in held for line in f.read_text(encoding="utf-8").splitlines() for s in lm.sentences(line)]
    print(f"held-out perplexity ({len(held)} d2l-zh files): {model.perplexity_tokens(held_sents):.1f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Train the shipped punctuation CRF (cleanup/models/punct.crfsuite) reproducibly.

    python scripts/train_punct.py            # split (reused if committed), train, evaluate
    python scripts/train_punct.py --eval-only  # evaluate the shipped model on the test split
    CORPORA_DIR=/path/to/corpora python scripts/train_punct.py

Data: ``../shared/corpora`` (override with CORPORA_DIR). Every ``.txt`` paragraph line that
ends in sentence punctuation (the corpora README's test) is one training sequence; headings,
list items and captions are dropped. Punctuation is stripped and learnt back (labels: see
``cleanup/punctmodel.py``).

Split: by document GROUP (a d2l chapter, a course chapter/unit, a self-llm model family, an
llm-action top-level series…), per folder, ordered by a seeded hash: about 10 % of each
folder's characters to ``test``, 10 % to ``dev``, the rest to ``train``; folders with fewer
than 4 groups go to train whole. ``hf-course-subtitles-zh`` (spoken, commas unreliable) is
not trained on: it is a separate ``spoken`` evaluation set, scored on sentence ends only.
The split is written to ``cleanup/models/punct_split.json`` and reused when present (pass
``--resplit`` to regenerate it), so the d2l-zh test chapters never reach training.

Training data is subsampled deterministically (seeded) to keep training within a few
minutes on 2 cores: see ``--max-train-chars``; lines with a ``？`` are repeated
``--q-oversample`` times. The dev split picks the decision biases stored beside the model
(``punct.json``); the test split is only reported.

The shipped tagger is the BiLSTM (``scripts/train_punct_nn.py``; ``make train-punct`` runs both);
this script's tuning step also sets ``nn_weight``, the BiLSTM's share of the blend with this
CRF (``--nn-weight``: default 0, the CRF alone; 1 the BiLSTM alone; ``tune`` picks it on
dev), and ``--tune-only`` re-tunes after a new BiLSTM.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cleanup import punctmodel as pm  # noqa: E402

SPLIT_PATH = pm.MODELS_DIR / "punct_split.json"
SEED = 20261128
PARAMS = ("c1", "c2", "iterations", "minfreq", "q_oversample", "max_train_chars")
SPOKEN = {"hf-course-subtitles-zh"}
SKIP_DIRS = {"terms"}
SKIP_FILES = {"TERMINOLOGY.txt"}
# how many leading path components ("__"-separated) form a document group, per folder
GROUP_DEPTH = {
    "d2l-zh": 1,  # chapter
    "hf-llm-course-zh": 1,  # chapterN
    "hf-audio-course-zh": 1,
    "hf-agents-course-zh": 1,  # unitN
    "hf-diffusion-course-zh": 2,  # markdown__unitN
    "self-llm-zh": 2,  # models__<family>
    "llm-action-zh": 1,  # top-level series (blog, docs, llm-train, …)
    "ml-sys-tutorial-zh": 2,
    "llm-for-everybody-zh": 1,  # chapter folder
    "modelscope-llm-book-zh": 1,  # chapter
    "modelscope-classroom-zh": 2,
    "ms-swift-docs-zh": 1,
    "diffsynth-docs-zh": 1,
}


def group_of(folder: str, name: str) -> str:
    parts = name[: -len(".txt")].split("__")
    depth = GROUP_DEPTH.get(folder, 1)
    return "__".join(parts[:depth]) if len(parts) > depth else parts[0]


def make_split(root: Path) -> dict:
    files_by_folder: dict[str, list[str]] = defaultdict(list)
    for folder in sorted(p.name for p in root.iterdir() if p.is_dir()):
        if folder in SKIP_DIRS:
            continue
        for f in sorted((root / folder).glob("*.txt")):
            if f.name not in SKIP_FILES:
                files_by_folder[folder].append(f.name)
    split = {"train": [], "dev": [], "test": [], "spoken": []}
    for folder, names in files_by_folder.items():
        if folder in SPOKEN:
            split["spoken"] += [f"{folder}/{n}" for n in names]
            continue
        groups: dict[str, list[str]] = defaultdict(list)
        for n in names:
            groups[group_of(folder, n)].append(n)
        size = {g: sum((root / folder / n).stat().st_size for n in ns) for g, ns in groups.items()}
        total = sum(size.values())
        order = sorted(groups, key=lambda g: hashlib.sha1(f"{SEED}:{folder}:{g}".encode()).hexdigest())
        got = {"test": 0, "dev": 0}
        for g in order:
            if len(groups) < 4:
                part = "train"
            elif got["test"] < 0.10 * total and got["test"] + size[g] <= 0.18 * total:
                part = "test"
            elif got["dev"] < 0.10 * total and got["dev"] + size[g] <= 0.18 * total:
                part = "dev"
            else:
                part = "train"
            if part != "train":
                got[part] += size[g]
            split[part] += [f"{folder}/{n}" for n in groups[g]]
    for k in split:
        split[k].sort()
    return {
        "about": "Punctuation model split by document group (see scripts/train_punct.py). "
        "Paths are relative to the corpora folder.",
        "seed": SEED,
        "group_depth": GROUP_DEPTH,
        **split,
    }


# --------------------------------------------------------------------------- evaluation


def tune_bias(collected, labels) -> tuple[dict, float]:
    """Coordinate search for per-label log-biases maximising mean F1 of ，/end/？ on dev."""
    grid = [-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 1.5]
    bias = {lab: 0.0 for lab in labels}
    best = pm.objective(pm.score(collected, bias))
    for _round in range(2):
        for lab in ("COMMA", "PERIOD", "QUESTION"):  # 、 is left alone: not in the objective
            if lab not in bias:
                continue
            for v in grid:
                cand = dict(bias, **{lab: v})
                s = pm.objective(pm.score(collected, cand))
                if s > best + 1e-4:
                    best, bias = s, cand
    return bias, best


def tune(out: Path, dev: list[str], no_tune: bool = False, nn_weight: float | None = None) -> None:
    """Pick the neural tagger's weight in the blend (when ``punct_nn.npz`` is there), the
    sentence-classifier weight and the decision biases on dev; store them in the model's
    JSON side file (keeping what training wrote there). A given ``nn_weight`` is kept: 1
    is the neural tagger alone (the blend with the CRF, a little better on dev, is slower:
    at or under the 50,000 characters/s target); the default 0 keeps the CRF, see
    cleanup/punctmodel.py for why."""
    meta_path = out.with_suffix(".json")
    meta = json.loads(meta_path.read_text("utf-8")) if meta_path.exists() else {}
    for key in ("bias", "qweight", "nn_weight"):
        meta.pop(key, None)
    has_nn = pm.neural_model_path(out).exists()
    meta_path.write_text(
        json.dumps(dict(meta, nn_weight=1.0 if has_nn else 0.0), ensure_ascii=False, indent=1) + "\n", "utf-8"
    )
    pm.PunctuationModel._cache.pop(str(out.resolve()), None)
    model = pm.PunctuationModel.load(out)

    def pick(attr: str, grid) -> float:
        best, choice = -1.0, getattr(model, attr)
        for v in grid:
            setattr(model, attr, v)
            s = pm.objective(pm.score(pm.collect(model, dev)))
            print(f"  dev objective with {attr.strip('_')}={v}: {s:.4f}", flush=True)
            if s > best + 1e-4:
                best, choice = s, v
        setattr(model, attr, choice)
        return choice

    model._qweight = 0.75
    if not has_nn:
        nn_weight = 0.0
    elif nn_weight is None:
        nn_weight = pick("_nn_weight", (0.0, 0.5, 0.75, 1.0))
    model._nn_weight = nn_weight
    qweight = pick("_qweight", (0.0, 0.5, 0.75, 1.0)) if model._qtagger is not None else 0.0
    bias = {}
    if not no_tune:
        bias, best = tune_bias(pm.collect(model, dev), model._labels)
        print(f"  dev objective with biases {bias}: {best:.4f}")
    meta.update(
        {
            "labels": dict(zip(pm._LABELS, pm.MARKS, strict=True)),
            "bias": bias,
            "qweight": qweight,
            "nn_weight": nn_weight,
        }
    )
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"dev-tuned: nn_weight={nn_weight}, qweight={qweight}, biases={bias}")


def train_question_model(lines: list[str], path: Path, c2: float = 0.1) -> int:
    """Question-vs-statement classifier over gold sentences (crfsuite on 1-item sequences
    = multinomial logistic regression)."""
    import pycrfsuite

    t0 = time.time()
    trainer = pycrfsuite.Trainer(verbose=False)
    n = 0
    for line in lines:
        for feats, lab in pm.make_sentence_examples(line):
            trainer.append([feats], [lab])
            n += 1
    trainer.set_params({"c1": 0.0, "c2": c2, "max_iterations": 100, "feature.minfreq": 2})
    tmp = path.with_suffix(".tmp")
    trainer.train(str(tmp))
    tmp.replace(path)
    print(f"question classifier: {n} sentences, {time.time() - t0:.1f}s", flush=True)
    return n


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--resplit", action="store_true", help="regenerate punct_split.json")
    ap.add_argument("--eval-only", action="store_true", help="evaluate the shipped model")
    ap.add_argument("--tune-only", action="store_true", help="re-tune qweight/biases of the shipped model")
    ap.add_argument("--out", default=str(pm.DEFAULT_MODEL))
    ap.add_argument("--max-train-chars", type=int, default=1_600_000)
    ap.add_argument("--q-oversample", type=int, default=3)
    ap.add_argument("--c1", type=float, default=0.2)
    ap.add_argument("--c2", type=float, default=0.01)
    ap.add_argument("--iterations", type=int, default=80)
    ap.add_argument("--features", choices=("full", "lean"), default="full", help="feature template set")
    ap.add_argument("--minfreq", type=float, default=3, help="drop attributes seen fewer times")
    ap.add_argument("--no-tune", action="store_true", help="skip dev bias tuning")
    ap.add_argument(
        "--nn-weight", default="0", help="share of the neural tagger in the blend with the CRF, or 'tune' (on dev)"
    )
    ap.add_argument("--no-question-model", action="store_true", help="CRF only for ？ vs 。")
    ap.add_argument("--with-spoken", action="store_true", help="also train on the subtitles")
    args = ap.parse_args(argv)

    root = pm.corpora_dir()
    if not root.is_dir():
        print(f"corpora not found: {root} (set CORPORA_DIR)", file=sys.stderr)
        return 2
    if SPLIT_PATH.exists() and not args.resplit:
        split = json.loads(SPLIT_PATH.read_text("utf-8"))
        print(f"split: reusing {SPLIT_PATH.relative_to(REPO)}")
    else:
        split = make_split(root)
        SPLIT_PATH.parent.mkdir(parents=True, exist_ok=True)
        SPLIT_PATH.write_text(json.dumps(split, ensure_ascii=False, indent=1) + "\n", "utf-8")
        print(f"split: wrote {SPLIT_PATH.relative_to(REPO)}")
    for k in ("train", "dev", "test", "spoken"):
        print(f"  {k:<7}{len(split[k]):>5} files")

    dev = [line for _, line in pm.read_corpus_lines(root, split["dev"])]
    test = [line for _, line in pm.read_corpus_lines(root, split["test"])]
    spoken = [line for _, line in pm.read_corpus_lines(root, split["spoken"])]
    out = Path(args.out)

    if not (args.eval_only or args.tune_only):
        import pycrfsuite

        rng = random.Random(SEED)
        train_files = split["train"] + (split["spoken"] if args.with_spoken else [])
        train = pm.read_corpus_lines(root, train_files)
        rng.shuffle(train)
        total = sum(len(line) for _, line in train)
        kept, size = [], 0
        for _rel, line in train:
            if size >= args.max_train_chars:
                break
            kept.append(line)
            size += len(line)
        print(f"train: {len(kept)} of {len(train)} lines, {size:,} of {total:,} chars")
        out.parent.mkdir(parents=True, exist_ok=True)
        qpath = pm.question_model_path(out)
        qproc = None
        if args.no_question_model:
            qpath.unlink(missing_ok=True)
        else:  # the sentence classifier trains on the other core meanwhile
            qproc = multiprocessing.get_context("fork").Process(target=train_question_model, args=(kept, qpath))
            qproc.start()
        t0 = time.time()
        trainer = pycrfsuite.Trainer(verbose=False)
        nq = 0
        for line in kept:
            ex = pm.make_example(line, lean=args.features == "lean")
            if ex is None:
                continue
            reps = args.q_oversample if "QUESTION" in ex[1] else 1
            nq += reps > 1
            for _ in range(reps):
                trainer.append(*ex)
        print(f"features: {time.time() - t0:.1f}s; {nq} question lines x{args.q_oversample}")
        trainer.set_params(
            {
                "c1": args.c1,
                "c2": args.c2,
                "max_iterations": args.iterations,
                "feature.minfreq": args.minfreq,
                "feature.possible_transitions": True,
            }
        )
        t0 = time.time()
        tmp = out.with_suffix(".tmp")
        trainer.train(str(tmp))
        tmp.replace(out)
        print(f"trained in {time.time() - t0:.1f}s -> {out} ({out.stat().st_size / 1e6:.2f} MB)")
        if qproc is not None:
            qproc.join()
            if qproc.exitcode != 0:
                print("question classifier training failed", file=sys.stderr)
                return 1
            print(f"question classifier -> {qpath.name} ({qpath.stat().st_size / 1e6:.2f} MB)")
        meta = {
            "features": args.features,
            "train_lines": len(kept),
            "train_chars": size,
            "params": {k: getattr(args, k) for k in PARAMS},
            "with_spoken": args.with_spoken,
        }
        out.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", "utf-8")
    if not args.eval_only:
        tune(out, dev, args.no_tune, None if args.nn_weight == "tune" else float(args.nn_weight))

    pm.PunctuationModel._cache.pop(str(out.resolve()), None)
    model = pm.PunctuationModel.load(out)
    pm.print_table(f"dev ({len(dev)} lines)", pm.evaluate(model, dev))
    pm.print_table(f"TEST held-out ({len(test)} lines, {sum(map(len, test)):,} chars)", pm.evaluate(model, test))
    pm.print_table(
        f"spoken: hf-course-subtitles-zh ({len(spoken)} lines; sentence ends only)",
        pm.evaluate(model, spoken),
        marks={"。", "？", "end(。？)"},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

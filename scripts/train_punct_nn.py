#!/usr/bin/env python3
"""Train the neural punctuation tagger (cleanup/models/punct_nn.npz) reproducibly.

    python scripts/train_punct_nn.py             # train on train, pick the epoch on dev, export
    python scripts/train_punct_nn.py --epochs 2  # a quicker run

The model and its inference are described in ``cleanup/punctnn.py``. Data: the same fixed
split as the CRF (``cleanup/models/punct_split.json``, made by scripts/train_punct.py) and
the same labels (``punctmodel.strip_punctuation``). Consecutive finished lines of one file
are packed into sequences of at most ``--seq`` tokens (a longer line is cut), so the model
sees sentence ends inside a sequence as well as at its end; sequences with a ``？`` are
repeated ``--q-oversample`` times. Each epoch is scored on dev (mean F1 of ， / sentence end
/ ？, the CRF's objective); the best epoch is exported as float16. Decision biases and the
blend with the CRF are tuned afterwards by ``scripts/train_punct.py --tune-only``.
Seeds are fixed and torch uses 2 threads; a run takes about 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cleanup import punctmodel as pm  # noqa: E402
from cleanup import punctnn  # noqa: E402

SEED = 20261128
LABEL = {m: i for i, m in enumerate(pm.MARKS)}


def encode_line(line: str):
    """A punctuated line → (units, kinds, word positions, labels) per token, or None."""
    text, marks = pm.strip_punctuation(line)
    toks = pm.tokenize(text)
    if not toks:
        return None
    labels = [LABEL[marks[e - 1]] for _s, e, _k in toks]
    return punctnn.units(text, toks), punctnn.kind_ids(toks), punctnn.word_positions(text, toks), labels


def build_vocab(examples, min_cjk: int, min_latin: int) -> list[str]:
    counts = Counter(u for ex in examples for u in ex[0])
    keep = sorted(u for u, c in counts.items() if c >= (min_latin if u.startswith("L:") else min_cjk))
    return ["<unk>", "<L>", *keep]


def pack(examples_by_file, seq: int):
    """Consecutive lines of one file → sequences of at most ``seq`` tokens."""
    out = []
    for exs in examples_by_file:
        cur = []
        for ex in exs:
            rows = list(zip(*ex, strict=True))
            if cur and len(cur) + len(rows) > seq:
                out.append(cur)
                cur = []
            while len(rows) > seq:
                out.append(rows[:seq])
                rows = rows[seq:]
            cur.extend(rows)
        if cur:
            out.append(cur)
    return out


def to_arrays(seqs, index):
    """Sequences of (unit, kind, pos, label) rows → id arrays."""
    out = []
    for rows in seqs:
        u, k, p, y = zip(*rows, strict=True)
        out.append((punctnn.unit_ids(index, u), np.array(k), np.array(p), np.array(y)))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(punctnn.NN_MODEL))
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--seq", type=int, default=200)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--emb", type=int, default=128)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--dropout", type=float, default=0.25)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--q-oversample", type=int, default=3)
    ap.add_argument("--min-cjk", type=int, default=2)
    ap.add_argument("--min-latin", type=int, default=5)
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    t_start = time.time()

    root = pm.corpora_dir()
    split = json.loads(pm.SPLIT_FILE.read_text("utf-8"))
    by_file: dict[str, list] = {}
    for rel, line in pm.read_corpus_lines(root, split["train"]):
        ex = encode_line(line)
        if ex is not None:
            by_file.setdefault(rel, []).append(ex)
    train_ex = [ex for exs in by_file.values() for ex in exs]
    vocab = build_vocab(train_ex, args.min_cjk, args.min_latin)
    index = {v: i for i, v in enumerate(vocab)}
    seqs = pack(by_file.values(), args.seq)
    seqs = [s for s in seqs for _ in range(args.q_oversample if any(r[3] == LABEL["？"] for r in s) else 1)]
    train = to_arrays(seqs, index)
    dev_lines = pm.held_out_lines(root, "dev")
    dev_ex = [encode_line(line) for line in dev_lines]
    dev = to_arrays([list(zip(*ex, strict=True)) for ex in dev_ex if ex is not None], index)
    n_tok = sum(len(s[0]) for s in train)
    print(f"vocab {len(vocab)}; train {len(train)} sequences, {n_tok:,} tokens; prep {time.time() - t_start:.0f}s")

    class Tagger(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb_tok = torch.nn.Embedding(len(vocab), args.emb)
            self.emb_kind = torch.nn.Embedding(len(punctnn.KINDS), 8)
            self.emb_pos = torch.nn.Embedding(4, 8)
            self.drop = torch.nn.Dropout(args.dropout)
            self.fwd = torch.nn.LSTM(args.emb + 16, args.hidden, batch_first=True)
            self.bwd = torch.nn.LSTM(args.emb + 16, args.hidden, batch_first=True)
            self.out = torch.nn.Linear(2 * args.hidden, len(pm.MARKS))

        def forward(self, ids, kinds, pos, lengths):
            x = self.drop(torch.cat([self.emb_tok(ids), self.emb_kind(kinds), self.emb_pos(pos)], dim=2))
            # backwards = forwards over each sequence reversed within its length, so the
            # padding stays at the end (no packing: much faster on CPU)
            t = torch.arange(ids.shape[1])[None, :]
            rev = torch.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)[:, :, None].expand(-1, -1, x.shape[2])
            hf, _ = self.fwd(x)
            hb, _ = self.bwd(torch.gather(x, 1, rev))
            hb = torch.gather(hb, 1, rev[:, :, :1].expand(-1, -1, hb.shape[2]))
            return self.out(self.drop(torch.cat([hf, hb], dim=2)))

    def batches(data, size, shuffle):
        order = list(range(len(data)))
        if shuffle:
            rng.shuffle(order)
        for a in range(0, len(order), size):
            part = [data[i] for i in order[a : a + size]]
            T = max(len(p[0]) for p in part)
            t = [torch.zeros(len(part), T, dtype=torch.long) for _ in range(4)]
            for b, p in enumerate(part):
                for j in range(4):
                    t[j][b, : len(p[j])] = torch.from_numpy(p[j])
            mask = torch.zeros(len(part), T, dtype=torch.bool)
            for b, p in enumerate(part):
                mask[b, : len(p[0])] = True
            yield (*t, torch.tensor([len(p[0]) for p in part]), mask)

    def dev_objective(model) -> tuple[float, dict]:
        model.eval()
        collected = []
        with torch.no_grad():
            for ids, kinds, pos, y, lengths, _mask in batches(dev, 64, False):
                probs = torch.softmax(model(ids, kinds, pos, lengths), dim=2).numpy()
                for b in range(len(lengths)):
                    n = int(lengths[b])
                    gold = [pm.MARKS[k] for k in y[b, :n].tolist()]
                    dists = [dict(zip(pm.MARKS, row.tolist(), strict=True)) for row in probs[b, :n]]
                    collected.append((gold, dists))
        model.train()
        res = pm.score(collected)
        return pm.objective(res), res

    model = Tagger()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps = args.epochs * ((len(train) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()
    best, best_state = -1.0, None
    for epoch in range(args.epochs):
        t0 = time.time()
        total = 0.0
        n_batches = 0
        for ids, kinds, pos, y, lengths, mask in batches(train, args.batch, True):
            logits = model(ids, kinds, pos, lengths)
            loss = loss_fn(logits[mask], y[mask])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item()
            n_batches += 1
            if n_batches % 100 == 0:
                print(f"  {n_batches} batches, {time.time() - t0:.0f}s", flush=True)
        obj, res = dev_objective(model)
        print(
            f"epoch {epoch + 1}: loss {total:.1f}, {time.time() - t0:.0f}s; dev objective {obj:.4f} "
            + " ".join(f"{k} {res[k]['F1']:.3f}" for k in ("，", "。", "？", "、", "end(。？)")),
            flush=True,
        )
        if obj > best:
            best, best_state = obj, {k: v.clone() for k, v in model.state_dict().items()}

    export(best_state, vocab, Path(args.out), args.hidden)
    print(f"best dev objective {best:.4f}; total {time.time() - t_start:.0f}s -> {args.out}")
    return 0


def export(state, vocab: list[str], path: Path, H: int) -> None:
    """torch LSTM weights → the numpy layout of punctnn.NeuralTagger (float16)."""
    order = np.r_[0 : 2 * H, 3 * H : 4 * H, 2 * H : 3 * H]  # i f g o → i f o g
    scale = np.r_[np.full(3 * H, 0.5), np.ones(H)][:, None]  # σ(x) = ½ tanh(x/2) + ½
    arrays = {"vocab": np.array(vocab)}
    for d, name in (("f", "fwd"), ("b", "bwd")):
        wi = state[f"{name}.weight_ih_l0"].numpy()[order] * scale
        wh = state[f"{name}.weight_hh_l0"].numpy()[order] * scale
        b = (state[f"{name}.bias_ih_l0"] + state[f"{name}.bias_hh_l0"]).numpy()[order] * scale[:, 0]
        arrays |= {f"wx_{d}": wi.T, f"wh_{d}": wh.T, f"b_{d}": b}
    for name in ("emb_tok", "emb_kind", "emb_pos"):
        arrays[name] = state[f"{name}.weight"].numpy()
    arrays["out_w"] = state["out.weight"].numpy().T
    arrays["out_b"] = state["out.bias"].numpy()
    arrays = {k: v.astype(np.float16) if v.dtype.kind == "f" else v for k, v in arrays.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)
    print(f"exported {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    sys.exit(main())

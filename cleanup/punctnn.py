"""Neural character tagger for punctuation: a BiLSTM over tokens, run in plain numpy.

Same tokens and labels as the CRF (:mod:`cleanup.punctmodel`: :func:`~cleanup.punctmodel.tokenize`,
one mark after each token, ``MARKS`` order). Per token the input is three embeddings
concatenated — the token itself (a CJK character, a lower-cased Latin word, ``<N>`` for a
number, ``[公式]``; rare ones share ``<unk>`` / ``<L>``), its kind (C L N F S) and its
position in its jieba word (B I E S, rjieba without HMM) — then one bidirectional LSTM
layer and a softmax over the five marks. A recurrent layer sees the whole sentence on both
sides, which is what ``？`` needs: the question word is often far from the end.

Trained with torch by ``scripts/train_punct_nn.py``; torch is never imported here (it
costs seconds to import). The weights ship as float16 in ``models/punct_nn.npz`` and are
run as float32: the input projection is folded into per-token tables at load (token,
and kind × word position with the bias), so each step of the recurrence over a batch of
windows is two table look-ups and one matrix product. Long inputs are cut into overlapping
windows of ``WINDOW`` tokens; each token takes its distribution from the window where it is
farthest from an edge, so a window's edges (which the model takes for text ends) do not
matter. The gate order is stored as i f o g with the sigmoid gates' rows pre-scaled by ½,
so one ``tanh`` gives all three sigmoids (σ(x) = ½ tanh(x/2) + ½). The two directions run
at once, the backward one on a second thread (numpy releases the GIL), each with a
single-threaded BLAS: its matrices are small, and OpenBLAS's own threads split them poorly
(on 2 cores the stage runs about 1.2× faster than one direction after the other).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

from cleanup import punctmodel as pm

NN_MODEL = pm.MODELS_DIR / "punct_nn.npz"
KINDS = "CLNFS"
# tokens per window at prediction, and at each window edge whose predictions another window
# supplies: 384/32 runs 1.2 tokens per token (256/48 ran 1.6) with the same held-out scores
WINDOW = 384
MARGIN = 32
GROUP = 64  # windows run together


def units(text: str, toks: list[tuple[int, int, str]]) -> list[str]:
    """The vocabulary item of each token (Latin words lower-cased, numbers ``<N>``)."""
    return [pm._unit(text, s, e, k) for s, e, k in toks]


def word_positions(text: str, toks: list[tuple[int, int, str]], words=None) -> np.ndarray:
    """Per token where it sits in its jieba word: 0 inside, 1 first, 2 last, 3 the whole word.
    ``words``: ``punctmodel._words(text)`` when the caller has it already."""
    starts, ends = set(), set()
    for _w, s, e in pm._words(text) if words is None else words:
        starts.add(s)
        ends.add(e)
    return np.array([2 * (e in ends) + (s in starts) for s, e, _k in toks], dtype=np.int64)


def unit_ids(index: dict[str, int], token_units: list[str]) -> np.ndarray:
    """Vocabulary ids of units, the same in training and at prediction: a unit the
    vocabulary lacks is ``<L>`` if a Latin word, else ``<unk>``."""
    latin, unk = index["<L>"], index["<unk>"]
    ids = (index.get(u, latin if u.startswith("L:") else unk) for u in token_units)
    return np.fromiter(ids, dtype=np.int64, count=len(token_units))


def kind_ids(toks: list[tuple[int, int, str]]) -> np.ndarray:
    return np.array([KINDS.index(k) for _s, _e, k in toks], dtype=np.int64)


class NeuralTagger:
    """The numpy BiLSTM. ``load()`` reads ``punct_nn.npz``."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        vocab = [str(v) for v in arrays["vocab"]]
        self.index = {v: i for i, v in enumerate(vocab)}
        f32 = {k: v.astype(np.float32) for k, v in arrays.items() if v.dtype == np.float16}
        # the embeddings go straight into the input projection: one table for the token,
        # one for (kind, word position) with the bias folded in
        e_tok, e_kind, e_pos = f32["emb_tok"], f32["emb_kind"], f32["emb_pos"]
        d1, d2 = e_tok.shape[1], e_kind.shape[1]
        self.n_pos = len(e_pos)
        self.p_tok, self.p_kp = [], []
        for d in "fb":
            wx = f32["wx_" + d]  # D × 4H
            self.p_tok.append(e_tok @ wx[:d1])
            kind, pos = e_kind @ wx[d1 : d1 + d2], e_pos @ wx[d1 + d2 :]
            self.p_kp.append((kind[:, None, :] + pos[None, :, :] + f32["b_" + d]).reshape(-1, wx.shape[1]))
        self.wh = (f32["wh_f"], f32["wh_b"])
        self.out_w, self.out_b = f32["out_w"], f32["out_b"]
        self._blas = ThreadpoolController()

    @classmethod
    def load(cls, path: str | Path = NN_MODEL) -> NeuralTagger:
        with np.load(path, allow_pickle=False) as z:
            return cls({k: z[k] for k in z.files})

    def inputs(self, text: str, toks, analysis=None) -> tuple[np.ndarray, np.ndarray]:
        """Per token its vocabulary id and its (kind, word position) id. ``analysis``:
        ``punctmodel._analyse(text, toks)`` when the caller has it already."""
        token_units, _classes, words = analysis or (units(text, toks), None, None)
        return unit_ids(self.index, token_units), kind_ids(toks) * self.n_pos + word_positions(text, toks, words)

    def token_probs(self, text: str, toks, analysis=None) -> np.ndarray:
        """Per token the distribution over ``pm.MARKS`` (n × 5)."""
        return self.batch_probs([self.inputs(text, toks, analysis)])[0]

    def batch_probs(self, inputs: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
        """:meth:`token_probs` for many texts' :meth:`inputs` at once (windows of similar
        length share one recurrence)."""
        windows = [(k, *w) for k, (ids, _) in enumerate(inputs) for w in _windows(len(ids))]
        windows.sort(key=lambda w: w[2])
        out = [np.zeros((len(ids), len(pm.MARKS)), dtype=np.float32) for ids, _ in inputs]
        # see the module's docstring; the thread lives for this call only (a forked process
        # would inherit an executor whose thread it does not have)
        with self._blas.limit(limits=1, user_api="blas"), ThreadPoolExecutor(1) as backward_thread:
            for a in range(0, len(windows), GROUP):
                self._run(windows[a : a + GROUP], inputs, out, backward_thread)
        return out

    def _run(self, group, inputs, out, backward_thread: ThreadPoolExecutor) -> None:
        T, B = max(w[2] for w in group), len(group)
        tok = np.zeros((T, B), dtype=np.int64)
        kp = np.zeros((T, B), dtype=np.int64)
        for b, (k, st, ln, _lo, _hi) in enumerate(group):
            tok[:ln, b] = inputs[k][0][st : st + ln]
            kp[:ln, b] = inputs[k][1][st : st + ln]
        lengths = np.array([w[2] for w in group])
        backward = backward_thread.submit(self._direction, tok, kp, 1, lengths, True)
        hf = self._direction(tok, kp, 0, lengths, reverse=False)
        hb = backward.result()
        logits = np.concatenate([hf, hb], axis=2) @ self.out_w + self.out_b
        logits -= logits.max(axis=2, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=2, keepdims=True)
        for b, (k, st, _ln, lo, hi) in enumerate(group):
            out[k][lo:hi] = logits[lo - st : hi - st, b]

    def _direction(self, tok, kp, d: int, lengths: np.ndarray, reverse: bool) -> np.ndarray:
        """One LSTM direction over a padded batch of token ids (time-major). Backwards, each
        sequence starts at its own last token: padded rows keep a zero state until then."""
        T, B = tok.shape
        p_tok, p_kp, wh = self.p_tok[d], self.p_kp[d], self.wh[d]
        H = wh.shape[0]
        h = np.zeros((B, H), dtype=np.float32)
        c = np.zeros((B, H), dtype=np.float32)
        out = np.empty((T, B, H), dtype=np.float32)
        ragged = reverse and lengths.min() < T
        for t in range(T - 1, -1, -1) if reverse else range(T):
            g = h @ wh
            g += p_tok[tok[t]]
            g += p_kp[kp[t]]
            s = np.tanh(g[:, : 3 * H])
            s *= 0.5
            s += 0.5
            c *= s[:, H : 2 * H]
            c += s[:, :H] * np.tanh(g[:, 3 * H :])
            h = s[:, 2 * H :] * np.tanh(c)
            if ragged:
                live = (lengths > t)[:, None]
                h *= live
                c *= live
            out[t] = h
        return out


def _windows(n: int) -> list[tuple[int, int, int, int]]:
    """``(start, length, lo, hi)`` of the windows covering ``n`` tokens: cores of WINDOW -
    2·MARGIN, the last flush right; each supplies the tokens [lo, hi), those nearer its
    centre than any other window's."""
    ln = min(n, WINDOW)
    starts = [*range(0, n - WINDOW, WINDOW - 2 * MARGIN), max(0, n - WINDOW)]
    centre = [s + ln / 2 for s in starts]
    cuts = [0, *(int(np.ceil((a + b) / 2)) for a, b in zip(centre, centre[1:], strict=False)), n]
    return [(s, ln, lo, hi) for s, lo, hi in zip(starts, cuts, cuts[1:], strict=False)]

"""Character n-gram language model: tokenisation, our own Kneser-Ney ARPA writer, scoring.

Tokenisation (one decision, used for training and scoring alike):

* every CJK ideograph is one token;
* a run of Latin letters is one token, lower-cased (``Scaling Law`` → ``scaling law``): casing
  is the glossary's business, the LM only judges which words belong here;
* every digit is one token (``GPT-2`` → ``gpt 2``), so numbers of any length stay in vocabulary;
* in-sentence punctuation (，、：, , : and friends, ``[公式]``) is one token ``，`` — in an ASR
  transcript the commas are the recogniser's pause marks, so their exact kind carries nothing;
* sentence ends (。？！；!?; and newlines) split sentences (``<s>``/``</s>`` in the model);
* everything else (spaces, quotes, brackets, symbols) is dropped, so the optional space
  authors put between Chinese and Latin words makes no difference.

The model is interpolated modified Kneser-Ney (Chen & Goodman 1998) with count pruning of the
higher orders, written as ARPA by :func:`write_arpa` and read with KenLM (``ufal.kenlm``).
Pruned mass goes to the back-off weights, which are renormalised exactly, so every context's
distribution still sums to one. Loading is lazy: :func:`default_model` reads the shipped model
on first use (about a second) and keeps it.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

MODEL_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL = MODEL_DIR / "zh_char_lm.arpa.gz"  # shipped gzipped; KenLM reads a cached plain copy

COMMA = "，"
_TOKEN = re.compile(
    r"(?P<cjk>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])"
    r"|(?P<latin>[A-Za-z]+)"
    r"|(?P<digit>[0-9])"
    r"|(?P<end>[。？！；!?;…\n])"
    r"|(?P<comma>\[公式\]|[，、：,:·—\-/|])"
)


def tokens_with_spans(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) for every token of `text`; sentence ends appear as ``</s>``."""
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "latin":
            tok = m.group().lower()
        elif kind == "end":
            tok = "</s>"
        elif kind == "comma":
            tok = COMMA
        else:
            tok = m.group()
        out.append((tok, m.start(), m.end()))
    return out


def tokenize(text: str) -> list[str]:
    """Tokens of `text` without sentence structure (ends become nothing)."""
    return [t for t, _, _ in tokens_with_spans(text) if t != "</s>"]


def sentences(text: str) -> Iterable[list[str]]:
    """Token lists of the sentences of `text`, for training; leading/doubled commas dropped."""
    current: list[str] = []
    for tok, _, _ in tokens_with_spans(text):
        if tok == "</s>":
            while current and current[-1] == COMMA:
                current.pop()
            if current:
                yield current
            current = []
        elif tok == COMMA and (not current or current[-1] == COMMA):
            continue
        else:
            current.append(tok)
    while current and current[-1] == COMMA:
        current.pop()
    if current:
        yield current


# --- training: interpolated modified Kneser-Ney -------------------------------------------
BOS, EOS, UNK = "<s>", "</s>", "<unk>"


def write_arpa(sents: Iterable[list[str]], path: str | Path, order: int = 5, min_count: dict | None = None) -> dict:
    """Estimate an interpolated modified Kneser-Ney model and write it as ARPA (.gz if asked).

    `min_count[n]` prunes n-grams of order n seen fewer times (raw counts; thresholds must not
    decrease with the order, which keeps every kept n-gram's prefix and suffix in the model).
    Returns {order: number of n-grams written}.
    """
    min_count = {n: 1 for n in range(1, order + 1)} | (min_count or {})
    assert all(min_count[n] <= min_count[n + 1] for n in range(1, order)), "thresholds must not decrease"
    vocab = {BOS: 0, EOS: 1}
    raw: list[Counter] = [Counter() for _ in range(order + 1)]
    for sent in sents:
        ids = [0] + [vocab.setdefault(t, len(vocab)) for t in sent] + [1]
        for n in range(1, order + 1):
            raw[n].update(zip(*(ids[i:] for i in range(n)), strict=False))  # C-speed n-gram tuples
    del raw[1][(0,)]
    words = sorted(vocab, key=vocab.get)

    # adjusted counts: continuation counts below the top order, except n-grams starting with <s>
    adj: list[dict] = [dict() for _ in range(order + 1)]
    adj[order] = dict(raw[order])
    for n in range(order - 1, 0, -1):
        cont: Counter = Counter()
        for g in raw[n + 1]:
            cont[g[1:]] += 1
        adj[n] = {g: (raw[n][g] if g[0] == 0 else cont[g]) for g in raw[n]}

    discounts = {n: _discounts(adj[n].values()) for n in range(1, order + 1)}

    # interpolated probabilities, order by order; back-off weights for the order below
    unk_id = len(words)
    prob: list[dict] = [dict() for _ in range(order + 1)]
    backoff: list[dict] = [dict() for _ in range(order + 1)]
    for n in range(1, order + 1):
        d = discounts[n]
        total: dict = defaultdict(float)
        nk: dict = defaultdict(lambda: [0, 0, 0])
        for g, a in adj[n].items():
            h = g[:-1]
            total[h] += a
            nk[h][min(a, 3) - 1] += 1
        gamma = {h: (d[0] * k[0] + d[1] * k[1] + d[2] * k[2]) / total[h] for h, k in nk.items()}
        kept = [g for g in adj[n] if n <= 2 or raw[n][g] >= min_count[n]]  # list: sums in a fixed order
        for g in kept:
            a = adj[n][g]
            alpha = (a - d[min(a, 3) - 1]) / total[g[:-1]]
            lower = 1.0 / len(words) if n == 1 else prob[n - 1][g[1:]]  # uniform over vocab - <s> + <unk>
            prob[n][g] = alpha + gamma[g[:-1]] * lower
        if n == 1:
            prob[1][(unk_id,)] = gamma[()] / len(words)
            continue
        # exact renormalisation of the back-off weight of each context after pruning
        seen_p: dict = defaultdict(float)
        seen_lower: dict = defaultdict(float)
        for g in kept:
            seen_p[g[:-1]] += prob[n][g]
            seen_lower[g[:-1]] += prob[n - 1][g[1:]]
        for h in gamma:
            if h not in prob[n - 1] and h != (0,):
                continue
            num, den = 1.0 - seen_p[h], 1.0 - seen_lower[h]
            backoff[n - 1][h] = num / den if den > 1e-12 and num > 0 else gamma[h]

    words_out = words + [UNK]
    path = Path(path)
    counts = {n: len(prob[n]) + (1 if n == 1 else 0) for n in range(1, order + 1)}  # + <s>
    lines = ["", "\\data\\"] + [f"ngram {n}={counts[n]}" for n in range(1, order + 1)]
    for n in range(1, order + 1):
        lines += ["", f"\\{n}-grams:"]
        rows = []
        if n == 1:
            rows.append(("-99", BOS, _fmt(backoff[1].get((0,), 1.0))))
        for g, p in prob[n].items():
            text = " ".join(words_out[i] for i in g)
            bo = backoff[n].get(g) if n < order else None
            rows.append((_fmt(p), text, _fmt(bo) if bo is not None else None))
        rows.sort(key=lambda r: r[1])
        lines += [f"{p}\t{t}\t{b}" if b is not None else f"{p}\t{t}" for p, t, b in rows]
    lines += ["", "\\end\\", ""]
    data = "\n".join(lines).encode("utf-8")
    if path.suffix == ".gz":
        import gzip

        with open(path, "wb") as fh, gzip.GzipFile(filename="", fileobj=fh, mode="wb", mtime=0, compresslevel=9) as gz:
            gz.write(data)  # mtime=0: the same corpus gives the same bytes
    else:
        path.write_bytes(data)
    return counts


def _fmt(p: float) -> str:
    return f"{math.log10(p):.5f}" if p > 0 else "-99"


def _discounts(adjusted: Iterable[int]) -> tuple[float, float, float]:
    """Chen & Goodman's D1, D2, D3+ from the count-of-counts; safe fallbacks on tiny data."""
    coc = Counter(min(a, 4) for a in adjusted)
    n1, n2, n3, n4 = (coc[i] for i in (1, 2, 3, 4))
    if not (n1 and n2 and n3 and n4):
        return (0.5, 1.0, 1.5)
    y = n1 / (n1 + 2 * n2)
    ds = (1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3)
    return tuple(min(max(d, 0.05), k + 1 - 0.05) for k, d in enumerate(ds))


# --- scoring -----------------------------------------------------------------------------
class LM:
    """A KenLM model plus the helpers the stages need; KenLM is loaded on construction."""

    def __init__(self, path: str | Path = DEFAULT_MODEL):
        import kenlm

        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"{self.path}: no language model; build it with `make train-lm`")
        config = kenlm.Config()
        config.show_progress = False
        with _quiet_stderr():  # KenLM prints "Loading the LM will be faster..." on every ARPA load
            self.model = kenlm.Model(str(_plain_arpa(self.path)), config)
        self.order = self.model.order

    def score_tokens(self, toks: list[str], bos: bool = False, eos: bool = False) -> float:
        """log10 probability of a token sequence (without <s>/</s> unless asked)."""
        return self.model.score(" ".join(toks), bos=bos, eos=eos)

    def score(self, text: str, bos: bool = True, eos: bool = True) -> float:
        return self.score_tokens(tokenize(text), bos, eos)

    def perplexity_tokens(self, sents: Iterable[list[str]]) -> float:
        total, n = 0.0, 0
        for s in sents:
            total += self.score_tokens(s, True, True)
            n += len(s) + 1
        return 10 ** (-total / max(n, 1))

    def window(self, text: str, start: int, end: int) -> tuple[list[str], list[str], bool, bool]:
        """Tokens left and right of text[start:end] within its sentence, `order - 1` each way,
        and whether they reach the sentence start / end."""
        k = self.order - 1
        lo = max(0, start - 8 * k)
        left_toks = tokens_with_spans(text[lo:start])
        cut = max((i for i, t in enumerate(left_toks) if t[0] == "</s>"), default=-1)
        left = [t for t, _, _ in left_toks[cut + 1 :]]
        bos = cut >= 0 or lo == 0
        if len(left) > k:
            left, bos = left[-k:], False
        right_toks = tokens_with_spans(text[end : end + 8 * k])
        right: list[str] = []
        eos = end + 8 * k >= len(text)
        for t, _, _ in right_toks:
            if t == "</s>":
                eos = True
                break
            right.append(t)
            if len(right) == k:
                eos = False
                break
        return left, right, bos, eos

    def delta(self, text: str, start: int, end: int, replacement: str) -> float:
        """log10 gain of the sentence when text[start:end] is replaced: > 0 means more probable.

        Exact for an n-gram model: only n-grams within `order - 1` tokens of the span change.
        """
        left, right, bos, eos = self.window(text, start, end)
        before = self.score_tokens(left + tokenize(text[start:end]) + right, bos, eos)
        after = self.score_tokens(left + tokenize(replacement) + right, bos, eos)
        return after - before

    def oov(self, token: str) -> bool:
        return token not in self.model


def cache_dir() -> Path:
    """Our cache: $CLEANUP_CACHE_DIR, else $XDG_CACHE_HOME/cleanup, else ~/.cache/cleanup."""
    import os

    env = os.environ.get("CLEANUP_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cleanup"


def _plain_arpa(path: Path) -> Path:
    """KenLM here is built without zlib: a .gz model is unpacked once into the cache
    (named by the content hash, written atomically) and read from there afterwards."""
    if path.suffix != ".gz":
        return path
    import gzip
    import hashlib
    import os
    import tempfile

    data = path.read_bytes()
    target = cache_dir() / f"{path.name[:-3]}.{hashlib.sha256(data).hexdigest()[:16]}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".lm-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(gzip.decompress(data))
        os.replace(tmp, target)
    return target


class _quiet_stderr:
    def __enter__(self):
        import os
        import sys

        sys.stderr.flush()
        self.saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)

    def __exit__(self, *exc):
        import os

        os.dup2(self.saved, 2)
        os.close(self.saved)


@lru_cache(maxsize=2)
def load(path: str | None = None) -> LM:
    """The shipped model (or `path`), loaded once per process."""
    return LM(path or DEFAULT_MODEL)


def default_model() -> LM:
    return load(None)

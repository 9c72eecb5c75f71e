"""spelling: general homophone slips (预料→语料, 思科→思考) proposed by pycorrector, confirmed by us.

pycorrector's kenlm `Corrector` runs with *our* character LM (`language_model_path=`, so it
never downloads its 2.95 GB news model), the glossary's variants as its confusion set and its
terms as known words. Measured here, its raw output is mostly wrong (姜→将, 笑→学, 换解→环节),
so every suggestion is re-scored with the phonetic stage's evidence — LM gain (capped), pinyin
distance, how common the original word is, how short the edit is — and applied only above
APPLY; between PROPOSE and APPLY it is logged with `applied: false`.

Protection: pycorrector only sees runs of ≥ 4 Chinese characters (so Latin words, numbers and
punctuation never reach it, and long text is naturally split), and suggestions touching a
glossary term, an earlier edit, 的/得/地 or a filler are dropped.

Importing pycorrector's package runs its `__init__`, which imports torch and transformers
(~8 s, ~550 MB). Only `pycorrector.corrector` is needed, so it is imported without the package
`__init__` (2.5 s, no torch); if that ever fails, the ordinary import is used.
"""

from __future__ import annotations

import math
import os
import re
from functools import lru_cache

from cleanup.context import Context
from cleanup.document import Change, Document
from cleanup.pipeline import StageError

APPLY = 3.0  # above the phonetic stage's bar: these are general words, not glossary terms
PROPOSE = 0.5
PHONE = 3.0
COMMON = 1.0
BASE = 1.5
LENGTH = {1: 3.0, 2: 1.5}  # a one-character edit needs a lot more evidence
MAX_GAIN = 6.0
MIN_RUN = 4
SKIP_CHARS = set("的得地呃嗯啊哦噢诶欸哈吧呢吗嘛啦呀哇")
CJK_RUN = re.compile(rf"[\u4e00-\u9fff]{{{MIN_RUN},}}")

_correctors: dict = {}


class SpellingUnavailable(StageError):
    """pycorrector cannot run here; the message is one line for the user (exit code 2)."""


def _import_corrector_class():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # its hub-based correctors otherwise hang for minutes
    from cleanup import lm

    data_dir = lm.cache_dir() / "pycorrector"
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYCORRECTOR_DATA_DIR", str(data_dir))
    import importlib.util
    import sys
    import types

    try:
        spec = importlib.util.find_spec("pycorrector")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise SpellingUnavailable("spelling: pycorrector is not installed (pip install -e '.[spelling]')")
    if "pycorrector" in sys.modules:
        from pycorrector.corrector import Corrector

        return Corrector
    stub = types.ModuleType("pycorrector")  # the package without its torch-importing __init__
    stub.__path__ = list(spec.submodule_search_locations)
    stub.__spec__ = spec
    sys.modules["pycorrector"] = stub
    try:
        from pycorrector.corrector import Corrector
    except Exception:
        del sys.modules["pycorrector"]
        from pycorrector import Corrector  # the ordinary (heavy) import
    else:
        del sys.modules["pycorrector"]  # a later `import pycorrector` runs the real __init__
    return Corrector


@lru_cache(maxsize=500_000)
def _pinyin(s: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(s))


def corrector(ctx: Context):
    """pycorrector's kenlm Corrector on our LM and glossary, built once per glossary and process."""
    terms = sorted({e.term for e in ctx.glossary.entries if re.fullmatch(r"[\u4e00-\u9fff]+", e.term)})
    confusion = {
        v.text: e.term for e in ctx.glossary.entries for v in e.variants if re.fullmatch(r"[\u4e00-\u9fff]+", v.text)
    }
    key = (tuple(terms), tuple(sorted(confusion.items())))
    if key in _correctors:
        return _correctors[key]
    Corrector = _import_corrector_class()
    from pycorrector.utils.math_utils import edit_distance_word

    from cleanup import lm

    class _Corrector(Corrector):
        """Same candidates; pinyin cached (its per-candidate pypinyin calls cost ~90% of the time)."""

        @lru_cache(maxsize=100_000)  # noqa: B019 - one instance per process
        def _confusion_word_set(self, word):
            target = _pinyin(word)
            return {w for w in self.known(edit_distance_word(word, self.cn_char_set)) if _pinyin(w) == target}

    if not lm.DEFAULT_MODEL.exists():
        raise SpellingUnavailable(f"spelling: no language model at {lm.DEFAULT_MODEL} (make train-lm)")
    model = lm._plain_arpa(lm.DEFAULT_MODEL)
    data_dir = lm.cache_dir() / "pycorrector"
    import hashlib

    digest = hashlib.sha1("\n".join(terms).encode()).hexdigest()[:12]
    known = data_dir / f"glossary_terms.{digest}.txt"  # its custom word-frequency file: terms are words
    known.write_text("".join(f"{t} 1000\n" for t in terms), encoding="utf-8")
    c = _Corrector(
        language_model_path=str(model), custom_word_freq_path=str(known), custom_confusion_path_or_dict=confusion
    )
    from cleanup.lm import _quiet_stderr

    with _quiet_stderr():  # KenLM's ARPA loading banner
        c.check_corrector_initialized()
        c.check_detector_initialized()
    _correctors[key] = c
    return c


def suggestions(text: str, ctx: Context) -> list[tuple[int, int, str]]:
    """pycorrector's raw suggestions (start, end, replacement) on the Chinese runs of `text`."""
    c = corrector(ctx)
    out = []
    for run in CJK_RUN.finditer(text):
        sent = run.group()
        try:
            result = c.correct(sent)
        except Exception:  # pycorrector fails on odd input; a clause without suggestions is fine
            continue
        for wrong, right, pos in result["errors"]:
            if sent[pos : pos + len(wrong)] == wrong and wrong != right:
                out.append((run.start() + pos, run.start() + pos + len(wrong), right))
    return out


def score(text: str, start: int, end: int, right: str, ctx: Context, present: set[str]) -> tuple[float, str]:
    from cleanup.stages.phonetic import syllable_cost

    wrong = text[start:end]
    heard, said = _pinyin(wrong), _pinyin(right)
    if len(heard) != len(said):
        return -99.0, "length differs"
    cost = sum(syllable_cost(a, b) for a, b in zip(heard, said, strict=True))
    gain = ctx.lm.delta(text, start, end, right)
    freq = ctx.word_freq.get(wrong, 0)
    prior = 0.5 if right in present else 0.0
    odds = (
        min(gain, MAX_GAIN) - PHONE * cost - COMMON * math.log10(1 + freq) - BASE - LENGTH.get(len(wrong), 0.0) + prior
    )
    return odds, f"pycorrector; pinyin cost {cost:.2f}, LM {gain:+.1f}, word freq {freq}"


def propose(doc: Document, ctx: Context) -> list[Change]:
    from cleanup.stages.phonetic import _exact_spans, term_index

    text = doc.text
    exact = _exact_spans(text, term_index(ctx.glossary))
    present = {t for _, _, t in exact}
    changes = []
    taken: list[tuple[int, int]] = []
    for start, end, right in suggestions(text, ctx):
        wrong = text[start:end]
        if SKIP_CHARS & set(wrong + right) or not doc.is_original(start, end):
            continue
        if any(s < end and start < e for s, e, _ in exact) or any(s < end and start < e for s, e in taken):
            continue
        odds, note = score(text, start, end, right, ctx, present)
        if odds < PROPOSE:
            continue
        taken.append((start, end))
        conf = 1 / (1 + 10 ** (-odds))
        changes.append(Change(start, end, right, rule="spelling", confidence=conf, applied=odds >= APPLY, note=note))
    return changes

"""Glossary packs: loading with file:line validation, and the variant matcher.

The glossary is data (YAML, schema in glossary/README.md). Matching is Aho-Corasick over all
variants (pyahocorasick: a C automaton, one pass over the text however many variants), then
leftmost-longest, non-overlapping selection, then per-variant guards.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_WINDOW = 12
ENTRY_KEYS = {"term", "variants", "en", "tags", "bounded", "context", "note"}
VARIANT_KEYS = {"text", "bounded", "require_near", "forbid_near", "window"}
CONTEXT_KEYS = {"require_near", "forbid_near", "window"}
# Never rewrite inside these: URLs, inline code, file names and numbers with units.
PROTECTED = re.compile(r"https?://\S+|www\.\S+|`[^`\n]*`|[\w.-]+\.(?:png|jpe?g|gif|svg|py|md)\b")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class GlossaryError(Exception):
    """A pack that does not follow the schema; the message starts with file:line."""


def fold(text: str) -> str:
    """Case-fold ASCII only, so offsets in the folded text equal offsets in the original."""
    return text.translate(_ASCII_LOWER)


def is_latin(text: str) -> bool:
    return bool(re.search(r"[A-Za-z]", text))


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


@dataclass(frozen=True)
class Variant:
    text: str
    term: str
    bounded: bool = False
    require_near: tuple[str, ...] = ()
    forbid_near: tuple[str, ...] = ()
    window: int = DEFAULT_WINDOW
    source: str = ""  # file:line, for messages


@dataclass
class Entry:
    term: str
    variants: list[Variant]
    en: str = ""
    tags: list[str] = field(default_factory=list)
    note: str = ""
    source: str = ""


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    variant: Variant


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader that records the line of every mapping, for file:line messages. The libyaml
    build when PyYAML has it: the packs load in a tenth of the time (0.08 s, not 0.8 s)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass
class Glossary:
    entries: list[Entry]
    overlay: dict = field(default_factory=dict)  # talk overlay sections other than terms
    _automaton: object = None

    def variants(self) -> list[Variant]:
        return [v for e in self.entries for v in e.variants]

    def terms(self) -> list[str]:
        return sorted({e.term for e in self.entries})

    def find(self, text: str, segment: Callable[[str], list[str]] | None = None) -> list[Match]:
        """Leftmost-longest, non-overlapping variant matches whose guards pass."""
        if self._automaton is None:
            self._automaton = _build_automaton(self.variants())
        if not self._automaton:
            return []
        folded = fold(text)
        protected = [m.span() for m in PROTECTED.finditer(text)]
        candidates = []
        for end_index, variants in self._automaton.iter(folded):
            end = end_index + 1
            for variant in variants:
                start = end - len(variant.text)
                candidates.append((start, -len(variant.text), variant))
        candidates.sort(key=lambda c: (c[0], c[1]))
        matches: list[Match] = []
        taken_until = 0
        for start, neg_len, variant in candidates:
            end = start - neg_len
            if start < taken_until or any(a < end and start < b for a, b in protected):
                continue
            if not _boundaries_ok(text, start, end, variant, segment):
                continue
            if not _guards_ok(text, start, end, variant):
                continue
            matches.append(Match(start, end, variant))
            taken_until = end
        return matches


def _build_automaton(variants: list[Variant]):
    import ahocorasick

    automaton = ahocorasick.Automaton()
    by_key: dict[str, list[Variant]] = {}
    for v in variants:
        by_key.setdefault(fold(v.text), []).append(v)
    for key, vs in by_key.items():
        automaton.add_word(key, vs)
    if by_key:
        automaton.make_automaton()
    return automaton


def _boundaries_ok(text: str, start: int, end: int, v: Variant, segment) -> bool:
    """Latin variants need word boundaries; bounded Chinese variants need jieba boundaries."""
    if _is_word_char(v.text[0]) and start > 0 and _is_word_char(text[start - 1]):
        return False
    if _is_word_char(v.text[-1]) and end < len(text) and _is_word_char(text[end]):
        return False
    if v.bounded and segment is not None:
        lo, hi = max(0, start - 20), min(len(text), end + 20)
        cuts, pos = {lo}, lo
        for word in segment(text[lo:hi]):
            pos += len(word)
            cuts.add(pos)
        return start in cuts and end in cuts
    return True


def _guards_ok(text: str, start: int, end: int, v: Variant) -> bool:
    """Guards look at the match and `window` characters either side (so a forbidden phrase
    that contains the variant, like 深层结构 around 深层, blocks it)."""
    around = text[max(0, start - v.window) : end + v.window]
    if any(word in around for word in v.forbid_near):
        return False
    return not v.require_near or any(word in around for word in v.require_near)


# --- loading ---------------------------------------------------------------------------
def load_glossary(paths: list[Path]) -> Glossary:
    entries: list[Entry] = []
    overlay: dict = {}
    for path in paths:
        data = _read_yaml(Path(path))
        if isinstance(data, dict) and "term" in data:
            raise GlossaryError(f"{path}:{data['__line__']}: a pack is a list of entries: start each with '- term:'")
        if isinstance(data, dict):  # a talk overlay: {title, terms, speakers}
            overlay.update({k: v for k, v in data.items() if k not in ("terms", "__line__")})
            data = data.get("terms") or []
        if not isinstance(data, list):
            raise GlossaryError(f"{path}:1: expected a list of entries or a talk overlay mapping")
        entries.extend(_parse_entry(item, path) for item in data)
    return Glossary(entries, overlay)


def _read_yaml(path: Path):
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_LineLoader) or []
    except OSError as exc:
        raise GlossaryError(f"{path}:1: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise GlossaryError(f"{path}:{line}: invalid YAML: {getattr(exc, 'problem', exc)}") from None


def _parse_entry(item, path: Path) -> Entry:
    if not isinstance(item, dict):
        raise GlossaryError(f"{path}:1: each entry must be a mapping with a 'term'")
    where = f"{path}:{item.get('__line__', 1)}"
    unknown = set(item) - ENTRY_KEYS - {"__line__"}
    if unknown:
        raise GlossaryError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    term = item.get("term")
    if not isinstance(term, str) or not term.strip():
        raise GlossaryError(f"{where}: 'term' must be a non-empty string")
    context = item.get("context") or {}
    if not isinstance(context, dict) or set(context) - CONTEXT_KEYS - {"__line__"}:
        raise GlossaryError(f"{where}: 'context' takes only require_near, forbid_near, window")
    defaults = {
        "bounded": bool(item.get("bounded", False)),
        "require_near": _words(context.get("require_near"), where),
        "forbid_near": _words(context.get("forbid_near"), where),
        "window": _window(context.get("window", DEFAULT_WINDOW), where),
    }
    raw_variants = item.get("variants") or []
    if not isinstance(raw_variants, list):
        raise GlossaryError(f"{where}: 'variants' must be a list")
    variants = [_parse_variant(v, term, defaults, where) for v in raw_variants]
    tags = item.get("tags") or []
    if not isinstance(tags, list):
        raise GlossaryError(f"{where}: 'tags' must be a list")
    return Entry(term, variants, str(item.get("en") or ""), [str(t) for t in tags], str(item.get("note") or ""), where)


def _parse_variant(raw, term: str, defaults: dict, where: str) -> Variant:
    if isinstance(raw, (str, int, float)):
        raw = {"text": str(raw)}
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or not raw["text"].strip():
        raise GlossaryError(f"{where}: a variant is a string or a mapping with 'text'")
    unknown = set(raw) - VARIANT_KEYS - {"__line__"}
    if unknown:
        raise GlossaryError(f"{where}: unknown variant key(s) {', '.join(sorted(unknown))}")
    return Variant(
        text=raw["text"],
        term=term,
        bounded=bool(raw.get("bounded", defaults["bounded"])),
        require_near=_words(raw["require_near"], where) if "require_near" in raw else defaults["require_near"],
        forbid_near=_words(raw["forbid_near"], where) if "forbid_near" in raw else defaults["forbid_near"],
        window=_window(raw.get("window", defaults["window"]), where),
        source=where,
    )


def _words(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(w, str) and w for w in value):
        raise GlossaryError(f"{where}: require_near/forbid_near must be lists of strings")
    return tuple(value)


def _window(value, where: str) -> int:
    if not isinstance(value, int) or not 1 <= value <= 200:
        raise GlossaryError(f"{where}: window must be a whole number from 1 to 200")
    return value

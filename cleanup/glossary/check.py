"""`cleanup glossary check`: everything that makes a pack unsafe or ambiguous, one line each.

Each problem is reported as ``file:line: message`` (the line of the entry concerned), so an
editor can jump to it. What is checked:

* schema errors (the loader's own messages; every bad entry of a file, not just the first),
  duplicate keys in one mapping (YAML silently keeps the last) and unquoted YAML booleans or
  nulls where a string is meant (``- no`` reads as ``False``);
* a variant claimed by two terms (compared case-folded, as the matcher does), a variant listed
  twice, a variant equal to its own term;
* cycles: a variant that occurs inside a term (its own or another entry's) or equals another
  term, so that running the glossary over correct text would rewrite the term. The real
  matcher decides (Latin word boundaries, jieba boundaries for ``bounded``, ``forbid_near``
  words inside the term); ``require_near`` is assumed satisfied, since real text may supply it;
* variants that are frequent ordinary words with no context guard: a Chinese variant whose
  jieba dictionary frequency is at least ``FREQUENT_WORD``, or a Latin variant that is common
  English (a single word with wordfreq Zipf >= ``FREQUENT_ENGLISH``, when the optional ``wordfreq`` package is
  installed) needs ``require_near`` or ``forbid_near`` (``bounded`` does not help: the word
  is a whole word). A Chinese variant that occurs inside a frequent dictionary word needs
  ``bounded`` or a guard;
* the same term defined twice in the base packs. A talk overlay (a mapping with ``terms:``)
  may repeat a pack's term to add talk-specific variants; overlays are checked each together
  with the base packs, never with each other (they are never loaded together).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import yaml

from cleanup.glossary.model import (
    Entry,
    GlossaryError,
    Variant,
    _boundaries_ok,
    _build_automaton,
    _guards_ok,
    _parse_entry,
    _read_yaml,
    fold,
    is_latin,
)

FREQUENT_WORD = 100  # jieba dict.txt count; the top ~10% of its 349k words
FREQUENT_ENGLISH = 3.5  # wordfreq Zipf of a single word: "load" 4.6, "node" 3.9, "empirically" 2.9


@dataclasses.dataclass
class PackFile:
    path: Path
    entries: list[Entry]
    overlay: bool


def check_paths(paths: Iterable[Path], word_freq: dict[str, int] | None = None) -> list[str]:
    """All problems in the given packs, one ``file:line: message`` line each, in file order."""
    problems: list[str] = []
    files: list[PackFile] = []
    for path in paths:
        pack, file_problems = read_pack(Path(path))
        problems += file_problems
        if pack is not None:
            files.append(pack)
    if word_freq is None:
        word_freq = _jieba_freq()
    segment = _segmenter()
    base = [e for f in files if not f.overlay for e in f.entries]
    overlays = [f for f in files if f.overlay]
    problems += duplicate_terms(base)
    for group in [base] + [base + f.entries for f in overlays]:
        problems += variant_conflicts(group)
        problems += cycles(group, segment)
    problems += ordinary_words([e for f in files for e in f.entries], word_freq)
    return list(dict.fromkeys(problems))  # overlay groups repeat the base's problems


def read_pack(path: Path) -> tuple[PackFile | None, list[str]]:
    """Parse one file entry by entry, so every schema error is reported, not only the first."""
    try:
        data = _read_yaml(path)
    except GlossaryError as exc:
        return None, [str(exc)]
    problems = yaml_traps(path)
    overlay = isinstance(data, dict)
    items = (data.get("terms") or []) if overlay else data
    if not isinstance(items, list):
        where = data.get("__line__", 1) if overlay else 1
        return None, problems + [f"{path}:{where}: expected a list of entries or a talk overlay mapping"]
    entries = []
    for item in items:
        try:
            entries.append(_parse_entry(item, path))
        except GlossaryError as exc:
            problems.append(str(exc))
    return PackFile(path, entries, overlay), problems


def yaml_traps(path: Path) -> list[str]:
    """Duplicate mapping keys and unquoted booleans/nulls where a string belongs."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return []  # already reported by the loader
    problems = []
    stringy = {"term", "variants", "text", "require_near", "forbid_near", "en", "note"}

    def walk(node, key: str | None = None) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value in node.value:
                name = key_node.value
                if name in seen:
                    line = key_node.start_mark.line + 1
                    problems.append(f"{path}:{line}: duplicate key '{name}' (YAML keeps only the last one)")
                seen.add(name)
                walk(value, name)
        elif isinstance(node, yaml.SequenceNode):
            for child in node.value:
                walk(child, key)
        elif key in stringy and node.tag in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"):
            if key == "note" or (key == "en" and node.tag.endswith("null")):
                return
            line = node.start_mark.line + 1
            value = node.value or "(empty)"
            problems.append(f"{path}:{line}: {key}: {value} reads as a YAML {node.tag.rsplit(':', 1)[1]}; quote it")

    walk(root)
    return problems


def duplicate_terms(entries: list[Entry]) -> list[str]:
    first: dict[str, Entry] = {}
    problems = []
    for entry in entries:
        if entry.term in first:
            problems.append(f"{entry.source}: term '{entry.term}' is already defined at {first[entry.term].source}")
        else:
            first[entry.term] = entry
    return problems


def variant_conflicts(entries: list[Entry]) -> list[str]:
    """Variants claimed by two terms, listed twice, or equal to their own term."""
    owner: dict[str, Variant] = {}
    problems = []
    for entry in entries:
        for v in entry.variants:
            if v.text == entry.term:
                problems.append(f"{v.source}: variant '{v.text}' is the term itself")
                continue
            key = fold(v.text)
            if key not in owner:
                owner[key] = v
                continue
            other = owner[key]
            if other.term != v.term:
                problems.append(
                    f"{v.source}: variant '{v.text}' → '{v.term}' is also claimed by '{other.term}' ({other.source})"
                )
            elif other.source != v.source:
                problems.append(f"{v.source}: variant '{v.text}' of '{v.term}' is already listed at {other.source}")
            else:
                problems.append(f"{v.source}: variant '{v.text}' is listed twice")
    return problems


def cycles(entries: list[Entry], segment: Callable[[str], list[str]] | None) -> list[str]:
    """Variants the matcher would find inside a correctly written term (or equal to one)."""
    variants = [dataclasses.replace(v, require_near=()) for e in entries for v in e.variants if v.text != e.term]
    if not variants:
        return []
    automaton = _build_automaton(variants)
    problems = []
    for term in dict.fromkeys(e.term for e in entries):
        folded = fold(term)
        for end_index, found in automaton.iter(folded):
            end = end_index + 1
            for v in found:
                start = end - len(v.text)
                if term[start:end] == v.term:  # "Gan" → "GAN" inside "GAN": the stage leaves it alone
                    continue
                if not (_boundaries_ok(term, start, end, v, segment) and _guards_ok(term, start, end, v)):
                    continue
                if (start, end) == (0, len(term)):
                    what = f"equals the term '{term}'"
                else:
                    what = f"occurs inside the term '{term}'"
                problems.append(f"{v.source}: variant '{v.text}' → '{v.term}' {what}, which it would rewrite (cycle)")
    return problems


def ordinary_words(entries: list[Entry], word_freq: dict[str, int]) -> list[str]:
    problems = []
    english = _english_frequency()
    containing = _frequent_containers(entries, word_freq)
    for entry in entries:
        for v in entry.variants:
            guarded = bool(v.require_near or v.forbid_near)
            if guarded:
                continue
            if is_latin(v.text):
                if fold(v.text) == fold(v.term):  # a casing fix (Gan → GAN) only ever touches the term
                    continue
                # single words only: wordfreq's estimate for a phrase is about its rarest word's
                zipf = english(v.text) if english and re.fullmatch(r"[A-Za-z]+", v.text) else 0.0
                if zipf >= FREQUENT_ENGLISH:
                    problems.append(
                        f"{v.source}: variant '{v.text}' → '{v.term}' is common English (Zipf {zipf:.1f});"
                        " add require_near or forbid_near"
                    )
                continue
            freq = word_freq.get(v.text, 0)
            if freq >= FREQUENT_WORD:
                problems.append(
                    f"{v.source}: variant '{v.text}' → '{v.term}' is an ordinary word (jieba frequency {freq});"
                    " add require_near or forbid_near"
                )
            elif not v.bounded and containing.get(v.text):
                words = ", ".join(f"{w} ({word_freq[w]})" for w in containing[v.text][:3])
                problems.append(
                    f"{v.source}: variant '{v.text}' → '{v.term}' occurs inside common word(s) {words};"
                    " mark it bounded or add a guard"
                )
    return problems


def _frequent_containers(entries: list[Entry], word_freq: dict[str, int]) -> dict[str, list[str]]:
    """For each Chinese variant, the frequent dictionary words it occurs inside (not as the term)."""
    chinese = {}
    for e in entries:
        for v in e.variants:
            if not is_latin(v.text) and not (v.require_near or v.forbid_near):
                chinese.setdefault(v.text, set()).add(e.term)
    if not chinese:
        return {}
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for text in chinese:
        automaton.add_word(text, text)
    automaton.make_automaton()
    found: dict[str, list[str]] = {}
    for word, count in word_freq.items():
        if count < FREQUENT_WORD or len(word) < 2:
            continue
        for _, text in automaton.iter(word):
            if text != word and not any(term in word for term in chinese[text]):
                found.setdefault(text, []).append(word)
    for words in found.values():
        words.sort(key=lambda w: -word_freq[w])
    return found


@functools.cache
def _jieba_freq() -> dict[str, int]:
    from cleanup.context import Context

    return Context().word_freq


def _english_frequency() -> Callable[[str], float] | None:
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # optional: without it Latin variants are not frequency-checked
        return None
    return lambda text: zipf_frequency(text, "en")


def _segmenter() -> Callable[[str], list[str]] | None:
    from cleanup.context import Context

    return Context().segmenter

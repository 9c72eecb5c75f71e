"""`cleanup glossary add`: add a variant to a pack by editing its text, not by re-dumping YAML.

Re-serialising a pack would drop its comments and reflow its lists. Instead the pack is
composed (PyYAML nodes carry exact character positions), the new text is spliced in at the
right place in the style already used there (a flow list ``[a, b]`` gets ``, c``; a block
list gets a ``- c`` line at its indentation; an entry without variants gets a
``variants: [c]`` line; an unknown term becomes a new entry at the end of the list), and the
result is re-parsed with the real loader and compared with the old entries before the file
is replaced atomically. Nothing else in the file changes, byte for byte.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path

import yaml

from cleanup.glossary.model import GlossaryError, fold, load_glossary


class EditError(Exception):
    """The edit cannot be made (the message says why); the file is left as it was."""


def add_variant(path: Path, term: str, variant: str) -> str:
    """Add `variant` to `term` in the pack at `path` (a new entry if the term is not there).

    Returns what was done, for the CLI to print.
    """
    path = Path(path)
    term, variant = term.strip(), variant.strip()
    if not term or not variant:
        raise EditError("term and variant must not be empty")
    if variant == term:
        raise EditError(f"the variant '{variant}' is the term itself")
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    before = _load(path, text) if text.strip() else []
    for e in before:
        for v in e.variants:
            if fold(v.text) == fold(variant):
                where = "already a variant of" if e.term == term else "already claimed by"
                raise EditError(f"{v.source}: '{variant}' is {where} '{e.term}'")
    new_text, action = _splice(text, term, variant)
    after = _load(path, new_text)
    _verify(before, after, term, variant)
    _write_atomic(path, new_text)
    return action


def _splice(text: str, term: str, variant: str) -> tuple[str, str]:
    root = yaml.compose(text, Loader=yaml.SafeLoader) if text.strip() else None
    entries_node = root
    if isinstance(root, yaml.MappingNode):  # a talk overlay: entries under `terms:`
        entries_node = _value(root, "terms")
        if entries_node is None:
            return _append(
                text, f"terms:\n  - term: {_scalar(term)}\n    variants: [{_scalar(variant)}]\n"
            ), "new entry"
    if entries_node is None:
        return _append(text, _new_entry(term, variant, 0)), "new entry"
    if not isinstance(entries_node, yaml.SequenceNode):
        raise EditError("the pack is not a list of entries")
    for entry in entries_node.value:
        if isinstance(entry, yaml.MappingNode) and _scalar_value(_value(entry, "term")) == term:
            return _add_to_entry(text, entry, variant)
    if entries_node.flow_style:
        raise EditError("the entries are written as a flow list [...]; add the entry by hand")
    column = entries_node.value[0].start_mark.column - 2 if entries_node.value else 0
    if isinstance(root, yaml.MappingNode):
        return _insert_after_node(text, entries_node, _new_entry(term, variant, column)), "new entry"
    return _append(text, _new_entry(term, variant, column)), "new entry"


def _add_to_entry(text: str, entry: yaml.MappingNode, variant: str) -> tuple[str, str]:
    variants = _value(entry, "variants")
    if entry.flow_style:
        raise EditError(f"line {entry.start_mark.line + 1}: the entry is a flow mapping {{...}}; edit it by hand")
    if variants is None or (isinstance(variants, yaml.ScalarNode) and variants.tag.endswith(":null")):
        key = next(k for k, _ in entry.value if k.value == "term")
        line = " " * key.start_mark.column + f"variants: [{_scalar(variant)}]\n"
        if variants is not None:  # `variants:` with nothing after it
            vkey = next(k for k, _ in entry.value if k.value == "variants")
            end = _line_end(text, vkey.start_mark.index)
            return text[: vkey.start_mark.index] + line.lstrip(" ").rstrip("\n") + text[end:], "new variants list"
        return _insert_after_node(text, _value(entry, "term"), line), "new variants list"
    if not isinstance(variants, yaml.SequenceNode):
        raise EditError(f"line {variants.start_mark.line + 1}: 'variants' is not a list")
    if variants.flow_style:
        if variants.value:
            at = variants.value[-1].end_mark.index
            return text[:at] + ", " + _scalar(variant, flow=True) + text[at:], "added"
        at = text.index("[", variants.start_mark.index) + 1
        return text[:at] + _scalar(variant, flow=True) + text[at:], "added"
    line = " " * variants.start_mark.column + f"- {_scalar(variant)}\n"
    return _insert_after_node(text, variants, line), "added"


def _insert_after_node(text: str, node: yaml.Node, line: str) -> str:
    """Insert `line` at the start of the line after the one where `node` ends."""
    end = node.end_mark.index
    if node.end_mark.column == 0 and end > 0:  # block nodes end at the start of the next line
        at = end
        # a block collection swallows trailing blank/comment lines; keep the new line next to it
        while at > 0 and text[:at].endswith("\n") and _is_blank_or_comment(_prev_line(text, at)):
            at -= len(_prev_line(text, at)) + 1
    else:
        at = _line_end(text, end)
        at = at + 1 if at < len(text) else at
        if at == len(text) and not text.endswith("\n"):
            line = "\n" + line
    return text[:at] + line + text[at:]


def _prev_line(text: str, at: int) -> str:
    start = text.rfind("\n", 0, at - 1) + 1
    return text[start : at - 1]


def _is_blank_or_comment(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#")


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end < 0 else end


def _append(text: str, block: str) -> str:
    if text and not text.endswith("\n"):
        text += "\n"
    return text + block


def _new_entry(term: str, variant: str, column: int) -> str:
    pad = " " * column
    return f"{pad}- term: {_scalar(term)}\n{pad}  variants: [{_scalar(variant)}]\n"


def _value(mapping: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(mapping, yaml.MappingNode):
        return None
    return next((v for k, v in mapping.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def _scalar_value(node: yaml.Node | None) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _scalar(value: str, flow: bool = True) -> str:
    """`value` as a YAML scalar that reads back as exactly this string, plain when possible."""
    try:
        plain_ok = yaml.safe_load(f"[{value}]") == [value] and yaml.safe_load(f"k: {value}") == {"k": value}
    except yaml.YAMLError:
        plain_ok = False
    return value if plain_ok else json.dumps(value, ensure_ascii=False)


def _load(path: Path, text: str):
    """Entries of `text` as the loader reads them (in a temporary file next to `path`)."""
    fd, tmp = tempfile.mkstemp(suffix=".yaml", dir=path.parent if path.parent.exists() else None)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        entries = load_glossary([Path(tmp)]).entries
    except GlossaryError as exc:
        raise EditError(f"{path}: {str(exc).split(': ', 1)[-1]}") from None
    finally:
        os.unlink(tmp)
    for e in entries:  # name the real file in messages
        e.source = e.source.replace(tmp, str(path))
        e.variants = [dataclasses.replace(v, source=v.source.replace(tmp, str(path))) for v in e.variants]
    return entries


def _verify(before, after, term: str, variant: str) -> None:
    def shape(entries):
        return [(e.term, [v.text for v in e.variants], e.en, e.tags, e.note) for e in entries]

    expected = shape(before)
    for row in expected:
        if row[0] == term:
            row[1].append(variant)
            break
    else:
        expected.append((term, [variant], "", [], ""))
    if shape(after) != expected:
        raise EditError("internal error: the edited pack does not read back as expected; file left unchanged")


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    if path.exists():
        os.chmod(tmp, path.stat().st_mode & 0o777)
    os.replace(tmp, path)

"""Edit glossary packs as text, in place: `cleanup glossary add` and `cleanup glossary learn`.

Re-serialising a pack would drop its comments and reflow its lists. Instead the pack is
composed (PyYAML nodes carry exact character positions) and new text is spliced in at the
right place, in the style already used there: a flow list ``[a, b]`` gets ``, c``; a block
list gets a ``- c`` line at its indentation; an entry without variants gets a
``variants: [c]`` line; an unknown term becomes a new entry after the last one. Guards go
onto a variant (``{text: c, forbid_near: [...]}``) and variants are removed the same way.
Every edit is re-parsed and checked (the other entries read back unchanged, the edited one
says what was meant) before it is kept, and :func:`write_atomic` replaces the file in one
step. Nothing else in the file changes, byte for byte.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
from pathlib import Path

import yaml

from cleanup.glossary.model import GlossaryError, _construct_mapping, _parse_entry, fold, load_glossary


class EditError(Exception):
    """The edit cannot be made (the message says why); the file is left as it was."""


def add_variant(path: Path, term: str, variant: str) -> str:
    """`cleanup glossary add`: add `variant` to `term` in the pack at `path` (a new entry if
    the term is not there) and write the pack. Returns what was done, for the CLI to print."""
    path = Path(path)
    term, variant = term.strip(), variant.strip()
    if not term or not variant:
        raise EditError("term and variant must not be empty")
    if variant == term:
        raise EditError(f"the variant '{variant}' is the term itself")
    try:
        entries = load_glossary([path]).entries if path.exists() else []
    except GlossaryError as exc:
        raise EditError(str(exc)) from None
    for e in entries:
        for v in e.variants:
            if fold(v.text) == fold(variant):
                where = "already a variant of" if e.term == term else "already claimed by"
                raise EditError(f"{v.source}: '{variant}' is {where} '{e.term}'")
    pack = PackText.read(path)
    action = pack.add_variant(term, variant)
    write_atomic(path, pack.text)
    return action


def write_atomic(path: Path, text: str) -> None:
    """Replace the pack at `path` in one step (a reader never sees half a file), keeping its mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def yaml_scalar(text: str) -> str:
    """`text` as a YAML scalar usable in flow and block context: plain when safe, else quoted."""
    plain = re.fullmatch(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^:#,\[\]{}]*", text) and not text.endswith(" ")
    if plain:
        try:
            if yaml.safe_load(text) == text:
                return text
        except yaml.YAMLError:
            pass
    return json.dumps(text, ensure_ascii=False)


def _flow_list(words: list[str]) -> str:
    return "[" + ", ".join(yaml_scalar(w) for w in words) + "]"


@functools.cache
def _loaders():
    """libyaml-backed loaders when available (the packs are parsed often while learning);
    the line-recording one builds the same mappings as the glossary loader."""
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class FastLineLoader(base):
        pass

    FastLineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    return base, FastLineLoader


class PackText:
    """A glossary file as text, edited in place by node positions (comments and layout kept).

    Every edit re-parses the file and checks that the entries other than the one edited are
    unchanged and the edited one says what was meant; otherwise it raises EditError.
    `new_file_header` opens the file if an edit creates it.
    """

    def __init__(self, path: Path, text: str, new_file_header: str = ""):
        self.path, self.text, self.new_file_header = Path(path), text, new_file_header
        self._cache: dict = {}

    @classmethod
    def read(cls, path: Path, new_file_header: str = "") -> PackText:
        path = Path(path)
        if not path.exists():
            return cls(path, "", new_file_header)
        try:
            return cls(path, path.read_text(encoding="utf-8"), new_file_header)
        except (OSError, UnicodeDecodeError) as exc:
            raise EditError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None

    # parsing
    def _root(self):
        if self._cache.get("root-text") != self.text:
            try:
                self._cache["root"] = yaml.compose(self.text, Loader=_loaders()[0])
            except yaml.YAMLError as exc:
                raise EditError(f"{self.path}: invalid YAML ({getattr(exc, 'problem', exc)})") from None
            self._cache["root-text"] = self.text
        return self._cache["root"]

    def is_overlay(self) -> bool:
        root = self._root()
        if root is None:
            return self.path.parent.name == "talks"
        return isinstance(root, yaml.MappingNode)

    def entries(self):
        """The parsed entries (the loader's own validation), for the current text."""
        if self._cache.get("entries-text") != self.text:
            try:
                data = yaml.load(self.text, Loader=_loaders()[1]) or []
                items = (data.get("terms") or []) if isinstance(data, dict) else data
                self._cache["entries"] = [_parse_entry(item, self.path) for item in items]
            except (yaml.YAMLError, GlossaryError, AttributeError, TypeError) as exc:
                raise EditError(f"{self.path}: not a glossary pack ({exc})") from None
            self._cache["entries-text"] = self.text
        return self._cache["entries"]

    def _entries_node(self):
        root = self._root()
        if isinstance(root, yaml.MappingNode):
            value = _get(root, "terms")
            return value[1] if value else None
        return root

    def _entry(self, term: str):
        seq = self._entries_node()
        for node in seq.value if isinstance(seq, yaml.SequenceNode) else []:
            t = _get(node, "term") if isinstance(node, yaml.MappingNode) else None
            if t and t[1].value == term:
                return node
        return None

    def _variant(self, entry, variant: str):
        found = _get(entry, "variants")
        if not found or not isinstance(found[1], yaml.SequenceNode):
            raise EditError(f"{self.path}: no variant {variant!r} under {_entry_term(entry)!r}")
        for i, node in enumerate(found[1].value):
            text = node.value if isinstance(node, yaml.ScalarNode) else (_get(node, "text") or (None, None))[1]
            text = text if isinstance(text, str) else getattr(text, "value", None)
            if isinstance(text, str) and fold(text) == fold(variant):
                return found, i, node
        raise EditError(f"{self.path}: no variant {variant!r} under {_entry_term(entry)!r}")

    # edits
    def _splice(self, start: int, end: int, new: str) -> None:
        self.text = self.text[:start] + new + self.text[end:]

    def _next_line_start(self, index: int) -> int:
        """Where a line goes after the one holding the character before `index` (the text
        gets its missing final newline if that line is the last)."""
        at = _after_line(self.text, index)
        if at == len(self.text) and self.text and not self.text.endswith("\n"):
            self.text += "\n"
            at += 1
        return at

    def _extend_flow(self, seq, items: str) -> None:
        """Add `items` (already YAML, comma-separated) at the end of the flow list `seq`."""
        at = seq.value[-1].end_mark.index if seq.value else seq.end_mark.index - 1
        self._splice(at, at, (", " if seq.value else "") + items)

    def _extend_block(self, seq, lines: list[str]) -> None:
        """Add `lines` after the last item of the block list `seq`, indented to its dashes."""
        col = _dash_column(self.text, seq)
        at = self._next_line_start(_content_end(seq.value[-1]))
        self._splice(at, at, "".join(" " * col + ln + "\n" for ln in lines))

    def add_variant(
        self, term: str, variant: str, require_near: list[str] = (), window: int | None = None, note: str = ""
    ) -> str:
        """Add `variant` to `term`'s entry (a new entry, with `note`, if there is none); with
        `require_near` (and `window`) as a guarded variant mapping. Returns what was done:
        "added", "new variants list" or "new entry"."""
        value = yaml_scalar(variant)
        if require_near:
            value = f"{{text: {value}, require_near: {_flow_list(require_near)}"
            value += f", window: {window}}}" if window else "}"
        before = self._snapshot()
        entry = self._entry(term)
        if entry is None:
            self._add_entry(term, value, note)
            action = "new entry"
        else:
            action = self._add_to_entry(entry, term, variant, value)
        self._verify(
            before,
            term,
            lambda e: any(
                v.text == variant
                and (not require_near or tuple(require_near) == v.require_near)
                and (not window or v.window == window)
                for v in e.variants
            ),
        )
        return action

    def _add_to_entry(self, entry, term: str, variant: str, value: str) -> str:
        if entry.flow_style:
            raise EditError(f"{self.path}: the entry {term!r} is written in flow style; add {variant!r} by hand")
        found = _get(entry, "variants")
        if found is None:
            key, term_node = _get(entry, "term")
            at = self._next_line_start(_content_end(term_node))
            self._splice(at, at, " " * key.start_mark.column + f"variants: [{value}]\n")
            return "new variants list"
        key, seq = found
        if isinstance(seq, yaml.ScalarNode) and seq.tag.endswith(":null"):  # `variants:` with nothing after it
            end = self.text.find("\n", key.start_mark.index)
            self._splice(key.start_mark.index, len(self.text) if end < 0 else end, f"variants: [{value}]")
            return "new variants list"
        if isinstance(seq, yaml.SequenceNode) and seq.flow_style:
            self._extend_flow(seq, value)
            return "added"
        if isinstance(seq, yaml.SequenceNode) and seq.value:
            self._extend_block(seq, [f"- {value}"])
            return "added"
        raise EditError(f"{self.path}: 'variants' of {term!r} is not a list; add {variant!r} by hand")

    def _add_entry(self, term: str, value: str, note: str) -> None:
        seq = self._entries_node()
        lines = [f"- term: {yaml_scalar(term)}", f"  variants: [{value}]"]
        if note:
            lines.append(f"  note: {yaml_scalar(note)}")
        if seq is None:  # an empty file, or a talk overlay without `terms:`
            if self.is_overlay():
                lines = ["terms:", *(f"  {ln}" for ln in lines)]
            self.text = self.text or self.new_file_header
            at = self._next_line_start(len(self.text))
            self._splice(at, at, "".join(f"{ln}\n" for ln in lines))
            return
        if not isinstance(seq, yaml.SequenceNode):
            raise EditError(f"{self.path}: expected a list of entries; add {term!r} by hand")
        if seq.flow_style:
            self._extend_flow(seq, f"{{term: {yaml_scalar(term)}, variants: [{value}]}}")
            return
        self._extend_block(seq, lines)

    def add_forbid(self, term: str, variant: str, words: list[str]) -> None:
        """Guard `variant` of `term` with `words` as forbid_near (kept with those it inherits)."""
        before = self._snapshot()
        entry = self._entry(term)
        if entry is None:
            raise EditError(f"{self.path}: no entry {term!r}")
        parsed = next(e for e in self.entries() if e.term == term)
        current = next(v for v in parsed.variants if v.text == variant or v.text.lower() == variant.lower())
        wanted = list(dict.fromkeys([*current.forbid_near, *words]))
        _, _, node = self._variant(entry, variant)
        if isinstance(node, yaml.ScalarNode):
            self._splice(
                node.start_mark.index,
                node.end_mark.index,
                f"{{text: {yaml_scalar(current.text)}, forbid_near: {_flow_list(wanted)}}}",
            )
        elif isinstance(node, yaml.MappingNode):
            own = _get(node, "forbid_near")
            if own is not None and isinstance(own[1], yaml.SequenceNode):
                seq = own[1]
                add = [w for w in wanted if w not in [n.value for n in seq.value]]
                if seq.flow_style:
                    self._extend_flow(seq, ", ".join(yaml_scalar(w) for w in add))
                else:
                    self._extend_block(seq, [f"- {yaml_scalar(w)}" for w in add])
            elif own is not None:
                raise EditError(f"{self.path}: forbid_near of {variant!r} is not a list; add the guard by hand")
            elif node.flow_style:
                at = _content_end(node.value[-1][1])
                self._splice(at, at, f", forbid_near: {_flow_list(wanted)}")
            else:
                col = node.value[0][0].start_mark.column
                at = self._next_line_start(_content_end(node))
                self._splice(at, at, " " * col + f"forbid_near: {_flow_list(wanted)}\n")
        else:
            raise EditError(
                f"{self.path}: variant {variant!r} of {term!r} has an unexpected form; add the guard by hand"
            )
        self._verify(
            before,
            term,
            lambda e: any(v.text == current.text and set(wanted) <= set(v.forbid_near) for v in e.variants),
        )

    def remove_variant(self, term: str, variant: str) -> None:
        """Drop `variant` from `term`'s entry (an emptied list stays, as ``[]``)."""
        before = self._snapshot()
        entry = self._entry(term)
        if entry is None:
            raise EditError(f"{self.path}: no entry {term!r}")
        (key, seq), i, node = self._variant(entry, variant)
        items = seq.value
        if seq.flow_style:
            if len(items) == 1:
                self._splice(seq.start_mark.index, seq.end_mark.index, "[]")
            elif i < len(items) - 1:
                self._splice(node.start_mark.index, items[i + 1].start_mark.index, "")
            else:
                self._splice(items[i - 1].end_mark.index, node.end_mark.index, "")
        elif len(items) == 1:
            self._splice(key.end_mark.index, _after_line(self.text, _content_end(node)), ": []\n")
        else:
            start = self.text.rfind("\n", 0, node.start_mark.index) + 1
            self._splice(start, _after_line(self.text, _content_end(node)), "")
        self._verify(before, term, lambda e: all(fold(v.text) != fold(variant) for v in e.variants))

    # verification
    def _snapshot(self) -> list[dict]:
        return _plain_entries(self.text, self.path) if self.text.strip() else []

    def _verify(self, before: list[dict], term: str, ok) -> None:
        after = _plain_entries(self.text, self.path)
        others_before = [e for e in before if e.get("term") != term]
        others_after = [e for e in after if e.get("term") != term]
        entries = [e for e in self.entries() if e.term == term]
        if others_before != others_after or not entries or not any(ok(e) for e in entries):
            raise EditError(f"{self.path}: could not edit the entry {term!r} safely; edit it by hand")


def _entry_term(entry) -> str:
    found = _get(entry, "term")
    return found[1].value if found else "?"


def _plain_entries(text: str, path: Path) -> list[dict]:
    try:
        data = yaml.safe_load(text) or []
    except yaml.YAMLError as exc:
        raise EditError(f"{path}: the edit would make invalid YAML ({exc}); edit it by hand") from None
    if isinstance(data, dict):
        data = data.get("terms") or []
    return [e for e in data if isinstance(e, dict)]


def _get(mapping, key: str):
    if not isinstance(mapping, yaml.MappingNode):
        return None
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def _content_end(node) -> int:
    """Index just after the node's last character (block collections' end marks run on)."""
    if isinstance(node, yaml.ScalarNode) or node.flow_style or not node.value:
        return node.end_mark.index
    last = node.value[-1]
    return _content_end(last[1] if isinstance(node, yaml.MappingNode) else last)


def _after_line(text: str, index: int) -> int:
    """Index just after the line holding the character before `index` (end of text if last)."""
    if index > 0 and text[index - 1] == "\n":
        return index
    nl = text.find("\n", index)
    return len(text) if nl < 0 else nl + 1


def _dash_column(text: str, seq) -> int:
    first = seq.value[0].start_mark.index
    line_start = text.rfind("\n", 0, first) + 1
    dash = text.find("-", line_start, first)
    return (dash if dash >= 0 else first) - line_start

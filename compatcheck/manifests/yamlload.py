"""Multi-document YAML (and JSON) with the line of every key and item, read with PyYAML's
composer: each mapping becomes a `Map` (a dict that knows the line of each key), each sequence
a `Seq` (a list that knows the line of each item)."""

from __future__ import annotations

import yaml

MAX_BYTES = 16 << 20


class ManifestError(Exception):
    """A manifest that cannot be read or parsed: one line naming the file (exit 2)."""


class Map(dict):
    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class Seq(list):
    line: int = 0
    item_lines: list

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


def _convert(node, depth: int = 0):
    if depth > 200:
        raise ManifestError("nested too deeply")
    if isinstance(node, yaml.MappingNode):
        out = Map()
        out.line, out.key_lines = node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = _convert(key_node, depth + 1)
            key = key if isinstance(key, (str, int, float, bool)) or key is None else str(key)
            out[key] = _convert(value_node, depth + 1)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = Seq(_convert(item, depth + 1) for item in node.value)
        seq.line = node.start_mark.line + 1
        seq.item_lines = [item.start_mark.line + 1 for item in node.value]
        return seq
    return yaml.SafeLoader.construct_object(_SCALARS, node, deep=True)


class _Scalars(yaml.SafeLoader):
    def __init__(self):
        super().__init__("")


_SCALARS = _Scalars()


def load_documents(path: str) -> list[Map]:
    """Every mapping document of the file (empty documents skipped)."""
    from ..inputs import InputError, read_file
    try:
        data = read_file(path, MAX_BYTES)
    except InputError as exc:
        raise ManifestError(str(exc)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"not UTF-8 text (at byte offset {exc.start})") from None
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        docs = [_convert(n) for n in nodes if n is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ManifestError(f"not valid YAML or JSON: {where}{exc.problem or exc.context}") \
            from None
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise ManifestError(f"not valid YAML or JSON: {str(exc).splitlines()[0]}") from None
    out = []
    for doc in docs:
        if isinstance(doc, Map):
            out.append(doc)
        elif isinstance(doc, Seq):  # a JSON array of objects, or a YAML list
            out.extend(d for d in doc if isinstance(d, Map))
    return out

"""Safe YAML loading with limits and the line of every key.

Front matter and the settings file both come through here, so both get the same
guards: a size cap, a cap on how far aliases may expand (the "billion laughs"), and
line numbers for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # the C loader is many times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on the machine
    from yaml import SafeLoader  # type: ignore[assignment]

MAX_NODES = 50_000  # expanded nodes; far above any honest front matter
UNCLOSED = ("while parsing a flow", "while scanning a quoted scalar")  # [ { " ' left open


class _Loader(SafeLoader):
    """SafeLoader with timestamps that cannot crash the build (see _timestamp)."""


def _timestamp(loader: SafeLoader, node: yaml.ScalarNode) -> Any:
    # "2025-02-30" looks like a YAML date but is not a real day: PyYAML raises a bare
    # ValueError. Keep the text so the caller reports it against its key and line.
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return node.value


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


class YamlError(Exception):
    def __init__(self, message: str, line: int = 0, key: str = "", first_line: int = 0):
        super().__init__(message)
        self.message = message
        self.line = line  # 1-based within the YAML text, 0 when unknown
        self.key = key  # the key it is about ("email.from"), '' when none
        self.first_line = first_line  # a key given twice: where it was given first

    def describe(self, offset: int = 0) -> str:
        """The message, with the lines it names counted from the file's start: `offset`
        lines come before the YAML (front matter's opening fence)."""
        if not self.first_line:
            return self.message
        return (
            f"{self.message} (first on line {self.first_line + offset}, again on line {self.line + offset}): keep one"
        )


@dataclass(frozen=True)
class LoadedYaml:
    data: Any
    lines: dict[str, int] = field(default_factory=dict)  # "image.alt" -> 1-based line


def load(text: str) -> LoadedYaml:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return LoadedYaml(None)
        _check_expansion(node)
        _check_duplicate_keys(node)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise YamlError(_describe(exc), _error_line(exc, text)) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc)) from None
    except (ValueError, TypeError) as exc:  # a tagged value that cannot be built, e.g. "!!int abc"
        raise YamlError(f"invalid YAML value: {exc}") from None
    except RecursionError:
        raise YamlError("nesting is too deep") from None
    finally:
        loader.dispose()
    return LoadedYaml(data, _key_lines(node))


def _error_line(exc: yaml.MarkedYAMLError, text: str) -> int:
    """1-based line to report, 0 when unknown.

    An unclosed bracket or quote is noticed only later, often at the end of the text
    (the front matter's closing fence); the line where it was opened is the one to fix.
    """
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return 0
    opening = exc.context_mark
    if opening is not None and ((exc.context or "").startswith(UNCLOSED) or mark.line >= text.count("\n")):
        mark = opening
    return mark.line + 1


def _describe(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    return "invalid YAML: " + ", ".join(parts) if parts else "invalid YAML"


def _check_expansion(root: yaml.Node) -> None:
    """Count nodes as if every alias were copied out; stop at MAX_NODES."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if depth > 100:
            raise YamlError("nesting is deeper than 100 levels", node.start_mark.line + 1)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        if total > MAX_NODES:
            raise YamlError(
                f"aliases expand to more than {MAX_NODES} values (limit of expanded YAML size)",
                node.start_mark.line + 1,
            )
        sizes[id(node)] = total
        return total

    size(root, 0)


MERGE_TAG = "tag:yaml.org,2002:merge"  # "<<: *defaults" may stand beside the keys it brings


def _check_duplicate_keys(root: yaml.Node) -> None:
    """A key given twice in one mapping is an error: PyYAML keeps the last silently, so
    `draft: true` then `draft: false` would publish a draft."""
    seen_nodes: set[int] = set()

    def walk(node: yaml.Node, prefix: str) -> None:
        if id(node) in seen_nodes:  # an alias: its anchor was checked already
            return
        seen_nodes.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            for child in node.value:
                walk(child, prefix)
        elif isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != MERGE_TAG:
                    name, line = prefix + str(key_node.value), key_node.start_mark.line + 1
                    identity = (key_node.tag, key_node.value)
                    if identity in first:
                        raise YamlError("key given twice", line, name, first[identity])
                    first[identity] = line
                    walk(value_node, name + ".")
                else:
                    walk(value_node, prefix)

    walk(root, "")


def _key_lines(node: yaml.Node, prefix: str = "") -> dict[str, int]:
    lines: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        name = prefix + str(key_node.value)
        lines.setdefault(name, key_node.start_mark.line + 1)
        lines.update(_nested_lines(value_node, name))
    return lines


def _nested_lines(node: yaml.Node, name: str) -> dict[str, int]:
    """Nested settings (email.smtp.host) get lines too, and so do the items of a list
    (markdown.extensions[1]) and the keys of mappings in it."""
    if isinstance(node, yaml.MappingNode):
        return _key_lines(node, name + ".")
    lines: dict[str, int] = {}
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.setdefault(f"{name}[{i}]", item.start_mark.line + 1)
            lines.update(_nested_lines(item, f"{name}[{i}]"))
    return lines

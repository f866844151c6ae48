"""Bounded, YAML-1.2-numbers reading of small YAML documents (configs, overrides).

``safe_load_bounded(text)`` is ``yaml.safe_load`` with three changes:

* the text is refused above ``max_bytes`` before parsing;
* the composed node graph is walked with aliases *expanded*, and refused above ``max_nodes`` nodes
  or ``max_aliases`` alias uses, so an alias bomb ("billion laughs": nested lists of aliases whose
  expansion is exponential in the text length) costs at most ``max_nodes`` steps, never its expansion;
* floats follow YAML 1.2: PyYAML implements YAML 1.1, where ``1e-3`` (no dot) is a *string*;
  here ``1e-3``, ``1E+5`` and ``.5e2`` are floats, as in JSON and YAML 1.2 (YAML 1.2.2, Sec. 10.3.2).

``short(value)`` is the ``repr`` of a value cut to a bounded length, for error messages.
"""
from __future__ import annotations

import re
from typing import Any

import yaml

MAX_BYTES = 1 << 20
MAX_NODES = 100_000
MAX_ALIASES = 1_000

# YAML 1.2 core schema float (Sec. 10.3.2), plus PyYAML 1.1's forms (e.g. "1_000.5")
_FLOAT = re.compile(r"""^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?
                        |[-+]?\.(?:inf|Inf|INF)
                        |\.(?:nan|NaN|NAN))$""", re.X)


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 floats and counted aliases."""

    aliases = 0

    def compose_node(self, parent, index):  # noqa: D401 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise ValueError(f"more than {MAX_ALIASES} YAML aliases (*name); refused as a possible alias bomb")
        return super().compose_node(parent, index)


# replace the float resolver: drop 1.1's, add ours (int resolution is unchanged: "10" stays an int)
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:float"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def _count_nodes(root, limit: int) -> None:
    """Visit the node graph with aliases expanded (shared nodes counted at every use); stop at ``limit``."""
    stack, n = [root], 0
    while stack:
        node = stack.pop()
        n += 1
        if n > limit:
            raise ValueError(f"the YAML document expands to more than {limit} nodes (through aliases); "
                             "refused as a possible alias bomb")
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.append(k)
                stack.append(v)


def safe_load_bounded(text: str, *, max_bytes: int = MAX_BYTES, max_nodes: int = MAX_NODES) -> Any:
    """Parse ``text`` as YAML (safe types only) within the bounds above; ValueError when refused.

    ``yaml.YAMLError`` (a syntax error) propagates unchanged.
    """
    size = len(text.encode("utf-8", "surrogatepass")) if isinstance(text, str) else len(text)
    if size > max_bytes:
        raise ValueError(f"{size} bytes of YAML; at most {max_bytes} are read")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _count_nodes(node, max_nodes)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def short(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters (with a note of the full length): safe for error lines.

    Containers are summarised before ``repr`` would walk them, so a huge (or alias-shared) value is
    never turned into a huge string.
    """
    if isinstance(value, (list, tuple, dict, set)) and len(value) > 16:
        return f"<{type(value).__name__} of {len(value)} items>"
    if isinstance(value, (str, bytes)) and len(value) > limit:
        value = value[:limit]  # repr of the head only: never build the whole string
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4 * limit:
        return f"<an integer of {value.bit_length()} bits>"
    try:
        r = repr(value) if not isinstance(value, (list, tuple, dict)) else _bounded_repr(value, limit + 1)
    except RecursionError:  # pragma: no cover - self-referential value
        r = f"<{type(value).__name__}>"
    if len(r) > limit:
        note = f"... ({type(value).__name__}, truncated)"
        return r[:max(8, limit - len(note))] + note
    return r


def _bounded_repr(value, budget: int) -> str:
    """repr of a nested container, stopping once ``budget`` characters are produced."""
    out: list[str] = []
    used = 0

    def emit(s: str) -> bool:
        nonlocal used
        out.append(s)
        used += len(s)
        return used < budget

    def walk(v, depth: int) -> bool:
        if depth > 20:
            return emit("...")
        if isinstance(v, dict):
            if not emit("{"):
                return False
            for i, (k, x) in enumerate(v.items()):
                if (i and not emit(", ")) or not emit(repr(k)[:budget] + ": ") or not walk(x, depth + 1):
                    return False
            return emit("}")
        if isinstance(v, (list, tuple)):
            o, c = ("[", "]") if isinstance(v, list) else ("(", ")")
            if not emit(o):
                return False
            for i, x in enumerate(v):
                if (i and not emit(", ")) or not walk(x, depth + 1):
                    return False
            return emit(c)
        return emit(repr(v)[:budget])

    walk(value, 0)
    return "".join(out)


__all__ = ["safe_load_bounded", "short", "MAX_BYTES", "MAX_NODES", "MAX_ALIASES"]

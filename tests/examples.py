"""The vendors' published examples as test fixtures, and the checks that keep things true to them.

A fixture (``tests/fixtures/<provider>/<endpoint>.json``) holds ``source`` (the reference page it
follows), ``example`` (records with the page's keys and types, our values) and ``not_shown`` (the
record-relative paths the tap reads that the page does not show). :func:`differences` compares a
sandbox answer's shape with the example's; :func:`readme_paths` reads a provider's table of
column sources from the README so a test can check each path against the fixtures.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: JSON type names; an integer is not a number here, and a boolean is neither.
TYPE = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array",
        dict: "object"}


def fixture(provider: str, endpoint: str) -> dict[str, Any]:
    """One published example, as stored."""
    return json.loads((FIXTURES / provider / f"{endpoint}.json").read_text())


def shape(values: list[Any]) -> Any:
    """The types the values show, merged: a dict of key -> shape for objects, else a type set.

    A null shows no type; a list's shape is its elements' merged shape.
    """
    objects = [v for v in values if isinstance(v, dict)]
    types = {TYPE[type(v)] for v in values if v is not None}
    if objects and types == {"object"}:
        keys = sorted({k for o in objects for k in o})
        return {k: shape([o.get(k) for o in objects]) for k in keys}
    if types == {"array"}:
        return ("array", shape([item for v in values for item in v]))
    return types


def merged(shapes: list[Any]) -> Any:
    """One shape that admits what any of ``shapes`` admits (the entries of a keyed object)."""
    if shapes and all(isinstance(s, dict) for s in shapes):
        keys = sorted({k for s in shapes for k in s})
        return {k: merged([s[k] for s in shapes if k in s]) for k in keys}
    return set().union(*(s for s in shapes if isinstance(s, set)))


def differences(expected: Any, values: list[Any], path: str = "",
                maps: tuple[str, ...] = ()) -> list[str]:
    """Where ``values`` (records of one endpoint) differ in keys or types from the ``expected``
    shape: a key missing, a key more, a type other than the example's. Paths in ``maps`` are
    objects keyed by data (custom field keys): each of their values is checked against the
    example's first one instead.
    """
    out: list[str] = []
    if isinstance(expected, dict) and path in maps:
        inner = merged(list(expected.values()))
        for value in values:
            if isinstance(value, dict):
                out += differences(inner, list(value.values()), f"{path}.*")
        return out
    if isinstance(expected, dict):
        for value in values:
            if value is None:
                continue
            if not isinstance(value, dict):
                out.append(f"{path or '.'}: {TYPE[type(value)]}, the example has an object")
                continue
            out += [f"{path}.{k}: not in the example".lstrip(".") for k in value.keys() - expected]
            out += [f"{path}.{k}: missing".lstrip(".") for k in expected.keys() - value.keys()]
        for key, inner in expected.items():
            present = [v[key] for v in values if isinstance(v, dict) and key in v]
            out += differences(inner, present, f"{path}.{key}".lstrip("."), maps)
        return sorted(set(out))
    if isinstance(expected, tuple):
        items = [item for v in values if isinstance(v, list) for item in v]
        out += [f"{path}: {TYPE[type(v)]}, the example has an array" for v in values
                if v is not None and not isinstance(v, list)]
        return out + differences(expected[1], items, f"{path}[]", maps)
    if expected:
        out += [f"{path}: {TYPE[type(v)]}, the example has {'/'.join(sorted(expected))}"
                for v in values if v is not None and TYPE[type(v)] not in expected]
    return sorted(set(out))


def has_path(records: list[dict], path: str) -> bool:
    """Whether a dotted path (``a[].b`` for list elements) is present in any record."""
    nodes: list[Any] = list(records)
    for part in path.split("."):
        many = part.endswith("[]")
        key = part.removesuffix("[]")
        nodes = [n[key] for n in nodes if isinstance(n, dict) and key in n]
        if many:
            nodes = [item for n in nodes if isinstance(n, list) for item in n]
        if not nodes:
            return False
    return True


def readme_paths(heading: str) -> list[tuple[str, str, str, str, bool]]:
    """``(stream, column, endpoint, path, marked)`` of each source the README's table under
    ``heading`` names: its third column holds `` `<endpoint>` `<path>` `` pairs, separated by
    ``;``, each ``marked`` when followed by "(not shown by the docs)".
    """
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n{heading}\n")
    section = text[start + len(heading) + 2:]
    section = section[:section.find("\n#")] if "\n#" in section else section
    out = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        stream, column = cells[0].strip("`"), cells[1].strip("`")
        out += [(stream, column, endpoint, path, bool(marked)) for endpoint, path, marked in
                re.findall(r"`(/[^`]*)` `([^`]+)`( \(not shown by the docs\))?", cells[2])]
    return out

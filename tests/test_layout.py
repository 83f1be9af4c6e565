"""The layout a newcomer can read (issue 22), checked on the source so that it stays that way.

Every module of the tap (and of the sandbox beside it) is small, imports flow one way (providers
build on the base, the base never reaches into a provider), every read follows pages through one
loop, and nothing rides on a response object's ``__dict__``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tap_ats

ROOT = Path(tap_ats.__file__).parent
#: The tap's modules: the sandbox ships beside it but is not part of it.
MODULES = sorted(p for p in ROOT.rglob("*.py") if "sandbox" not in p.relative_to(ROOT).parts)
BASE = [p for p in MODULES if "providers" not in p.relative_to(ROOT).parts]
#: The sandbox's modules: not part of the tap, but every test, the demo and the benchmark run
#: against it, so it is read as often and kept as small.
SANDBOX = sorted((ROOT / "sandbox").rglob("*.py"))


def name(path: Path) -> str:
    return str(path.relative_to(ROOT.parent))


def imports(path: Path) -> list[str]:
    """Every module ``path`` imports, at any depth (type-checking imports included)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found += [node.module or ""]
    return found


def assert_under_400_lines(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines < 400, f"{name(path)} has {lines} lines: split it by concern"


@pytest.mark.parametrize("path", MODULES, ids=name)
def test_no_module_of_the_tap_reaches_400_lines(path):
    assert_under_400_lines(path)


@pytest.mark.parametrize("path", SANDBOX, ids=name)
def test_no_module_of_the_sandbox_reaches_400_lines(path):
    assert_under_400_lines(path)


@pytest.mark.parametrize("path", BASE, ids=name)
def test_the_base_never_imports_a_provider(path):
    """The registry finds a provider by the name in PROVIDERS; no base module imports one."""
    assert [m for m in imports(path) if m.startswith("tap_ats.providers")] == []


@pytest.mark.parametrize("path", MODULES, ids=name)
def test_the_tap_never_imports_the_sandbox(path):
    """The sandbox ships in the package for trying tap-ats; no module of the tap depends on it."""
    assert [m for m in imports(path) if m.startswith("tap_ats.sandbox")] == []


def test_no_side_channel_through_an_objects_dict():
    found = [name(p) for p in MODULES if "__dict__" in p.read_text()]
    assert found == []


def test_one_pagination_loop():
    """Only paging.pages advances a paginator, so every read and lookup has its loop guard."""
    found = sorted({name(p) for p in MODULES for node in ast.walk(ast.parse(p.read_text()))
                    if isinstance(node, ast.Attribute) and node.attr == "advance"})
    assert found == ["tap_ats/paging.py"]

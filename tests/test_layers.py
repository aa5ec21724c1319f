"""Layers point one way (README, "How it works"): `common` below every app, then `accounts`,
`services`, `approvals`, `instruments`, `disclosure`, and `portal/` (settings, URLs, Celery,
launcher, demo) on top, importing the apps and imported by none.

The imports are read from the source with `ast`, not from what happens to be loaded, so an
import inside a function (often written to dodge a circle) counts as much as one at the top,
and so does `importlib.import_module("…")` with a literal name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
APPS = ("accounts", "services", "approvals", "instruments", "disclosure")


def imports_in(source: str) -> list[tuple[int, str]]:
    """(line, module) for every absolute import in `source`, wherever it is written."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and _called_name(node.func) in (
            "import_module",
            "__import__",
        ):
            if node.args and isinstance(node.args[0], ast.Constant):
                if isinstance(node.args[0].value, str) and not node.args[0].value.startswith("."):
                    found.append((node.lineno, node.args[0].value))
    return found


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def imports_of_package(package: str, forbidden: set[str]) -> list[str]:
    """`file:line imports module` for each import in `package` of a top-level name in
    `forbidden` (relative imports stay inside the package and are not looked at)."""
    offending = []
    for path in sorted((REPO / package).rglob("*.py")):
        for line, module in imports_in(path.read_text(encoding="utf-8")):
            if module.split(".")[0] in forbidden:
                offending.append(f"{path.relative_to(REPO)}:{line} imports {module}")
    return offending


def test_a_function_level_import_and_a_dynamic_one_are_both_seen():
    source = (
        "import importlib\n"
        "def client():\n"
        "    from portal.ratelimits import client_ip\n"
        "    return importlib.import_module('portal.celery')\n"
    )
    assert [module for _, module in imports_in(source)] == [
        "importlib",
        "portal.ratelimits",
        "portal.celery",
    ]


@pytest.mark.parametrize("package", [*APPS, "common"])
def test_no_app_imports_portal(package):
    assert imports_of_package(package, {"portal"}) == []


def test_common_imports_no_app():
    assert imports_of_package("common", {*APPS, "portal"}) == []


@pytest.mark.parametrize("position", range(len(APPS)))
def test_each_app_imports_only_the_apps_below_it(position):
    above = set(APPS[position + 1 :])
    assert imports_of_package(APPS[position], above) == []

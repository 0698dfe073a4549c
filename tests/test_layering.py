"""Apps depend one way: vendors ← audits, contracts ← qualification ← scoring (an app never imports from one
to its right). Imports inside functions count too: they are a dependency all the same."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["vendors", "audits", "contracts", "qualification", "scoring"]


def imported_apps(app: str) -> dict[str, set[str]]:
    """The project apps each module of `app` imports, by module path."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / app).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names & set(ORDER)
    return found


@pytest.mark.parametrize("app", ORDER)
def test_an_app_imports_only_the_apps_it_builds_on(app):
    later = set(ORDER[ORDER.index(app) + 1 :])
    offending = {module: names & later for module, names in imported_apps(app).items()}
    assert {module: names for module, names in offending.items() if names} == {}

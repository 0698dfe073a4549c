import re
from pathlib import Path

from cmoselect.roles import MATRIX, ROLES

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_role_table_is_the_enforced_matrix():
    rows = {}
    for line in README.read_text().splitlines():
        match = re.match(r"^\| `(\w+)` \| (.+?) \|(.*)\|$", line)
        if match and "|" in match.group(3):
            cells = [c.strip() for c in match.group(3).split("|")]
            rows[match.group(1)] = frozenset(
                r for r, c in zip(ROLES, cells, strict=True) if c == "✓"
            )
    assert rows == {perm.value: roles for perm, (_, roles) in MATRIX.items()}


def test_the_readme_gives_the_two_commands():
    text = README.read_text()
    assert "make run" in text and "make test" in text


def test_the_readme_documents_every_variable_the_settings_read():
    settings_py = (README.parent / "cmoselect" / "settings.py").read_text()
    read = set(re.findall(r'env_\w+\("([A-Z_]+)"', settings_py))
    assert len(read) > 20
    table = README.read_text()
    assert {name for name in read if f"`{name}`" not in table} == set()

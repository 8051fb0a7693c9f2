"""Migrations are written expand-then-contract (docs/upgrading.md): during a rolling update the previous release's
pods run on the new schema, so a migration of this release may add (tables, nullable columns, columns with a
default, indexes) but not take away or change what the previous release reads and writes. Dropping or renaming
comes one release later, in a migration that says so with a `# contract:` line naming what no release still
running uses. Checked on every migration added since the previous release (git history; a shallow clone skips)."""

import ast
import re
import subprocess

import pytest

from shared.testing import previous_release

from .renders import ROOT

# Steps that break the previous release's code while it still runs.
CONTRACTING = {
    r"op\.drop_(column|table)\(": "drops what the previous release may use",
    r"op\.rename_table\(|new_column_name\s*=": "renames what the previous release names",
    r"\b(DROP\s+(COLUMN|TABLE)|RENAME\s+(COLUMN|TO))\b": "drops or renames in SQL",
    r"\bSET\s+NOT\s+NULL\b|ALTER\s+COLUMN\s+\w+\s+(SET\s+DATA\s+)?TYPE\b": "tightens a column in SQL",
}
# Calls whose arguments decide: (operation, arguments that break the previous release, arguments that excuse them).
CALLS = [
    ("op.alter_column", r"nullable\s*=\s*False|type_\s*=", None, "tightens or retypes a column"),
    ("op.add_column", r"nullable\s*=\s*False", r"server_default", "a NOT NULL column without a default"),
]


def _arguments(source: str, call: str) -> list[str]:
    """The argument text of every `call(...)` in the source, parentheses balanced."""
    found = []
    for match in re.finditer(re.escape(call) + r"\(", source):
        depth, end = 1, match.end()
        while depth and end < len(source):
            depth += {"(": 1, ")": -1}.get(source[end], 0)
            end += 1
        found.append(source[match.end() : end - 1])
    return found


def _upgrade(source: str) -> str:
    """A migration's upgrade() (its downgrade() drops what upgrade() added, as it should); the whole text else."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == "upgrade":
            return ast.get_source_segment(source, node)
    return source


def contracting_steps(source: str) -> list[str]:
    """What in a migration's source would break the previous release, unless it is marked as a contract step."""
    if re.search(r"^\s*# contract:", source, re.M):
        return []
    flat = re.sub(r"\s+", " ", _upgrade(source))
    found = [why for pattern, why in CONTRACTING.items() if re.search(pattern, flat, re.I)]
    for call, breaks, excuses, why in CALLS:
        for arguments in _arguments(flat, call):
            if re.search(breaks, arguments) and not (excuses and re.search(excuses, arguments)):
                found.append(why)
    return found


def test_the_check_tells_expanding_from_contracting():
    assert contracting_steps('op.add_column("journeys", sa.Column("x", sa.Text(), nullable=True))') == []
    assert contracting_steps('op.add_column("j", sa.Column("x", sa.Text(), nullable=False, server_default="a"))') == []
    assert contracting_steps('op.create_index("ix", "journeys", ["x"])') == []
    assert contracting_steps('op.drop_column("journeys", "x")')
    assert contracting_steps('op.alter_column("journeys", "x", new_column_name="y")')
    assert contracting_steps('op.execute("ALTER TABLE journeys ALTER COLUMN x SET NOT NULL")')
    assert contracting_steps('op.add_column("j", sa.Column("x", sa.Text(), nullable=False))')
    assert contracting_steps('op.alter_column("j", "x",\n    nullable=False)')
    assert contracting_steps('# contract: 0.1.0 was the last to read x\nop.drop_column("journeys", "x")') == []
    migration = 'def upgrade():\n    op.add_column("j", sa.Column("x", sa.Text()))\n\n\ndef downgrade():\n    op.drop_column("j", "x")\n'
    assert contracting_steps(migration) == [], "a downgrade() drops what its upgrade() added"
    assert contracting_steps(
        migration.replace('op.add_column("j", sa.Column("x", sa.Text()))', 'op.drop_column("j", "y")')
    )


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout


def test_every_migration_since_the_previous_release_only_expands():
    if not (ROOT / ".git").exists() or _git("rev-parse", "--is-shallow-repository").strip() == "true":
        pytest.skip("needs git history: the previous release's commit")
    _, commit = previous_release(ROOT)
    pattern = "services/*/migrations/versions/*.py"
    changed = _git("diff", "--name-only", "--diff-filter=AM", commit, "--", pattern).split()
    changed += _git("ls-files", "--others", "--exclude-standard", "--", pattern).split()
    offending = {path: why for path in changed if (why := contracting_steps((ROOT / path).read_text()))}
    assert not offending, f"contracting steps in this release's migrations (split them, docs/upgrading.md): {offending}"

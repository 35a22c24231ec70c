"""All SQL lives in core/store/: no other module of core/ runs a statement or spells one out.

Found with ast rather than grep, so a docstring or comment that says "Update every file" or
"SELECT the best" is prose, not SQL, while a statement split over string literals or built in
an f-string is still caught by its first piece.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import phototag.core

CORE = Path(phototag.core.__file__).parent
STORE = CORE / "store"

# Modules that still hold SQL, relative to core/. core/library.py's statements are moving into
# core/store/labels.py and core/store/photos.py on the labels branch, which empties this.
ALLOWED: frozenset[str] = frozenset()

EXECUTING_METHODS = {"execute", "executemany", "executescript"}
# SQL is written in capitals here; prose that starts with "Update" or "Select" is not SQL.
STATEMENT_START = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|REPLACE|WITH|ALTER|DROP|PRAGMA)\b"
)


def _docstrings(tree: ast.Module) -> set[int]:
    """The ids of the constant nodes that are docstrings (module, class, function)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def sql_in(source: str) -> list[str]:
    """Each SQL statement call and SQL string literal in the source, as 'line: what'."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in EXECUTING_METHODS
        ):
            found.append(f"{node.lineno}: call of .{node.func.attr}()")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and STATEMENT_START.match(node.value)
        ):
            found.append(f"{node.lineno}: {node.value.strip()[:60]!r}")
    return sorted(found, key=lambda where: int(where.split(":")[0]))


def _modules_outside_store() -> list[Path]:
    return sorted(p for p in CORE.rglob("*.py") if STORE not in p.parents)


def test_no_module_of_core_outside_the_store_holds_sql():
    offenders = {
        str(path.relative_to(CORE)): found
        for path in _modules_outside_store()
        if str(path.relative_to(CORE)) not in ALLOWED
        and (found := sql_in(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "move these statements into core/store/"


def test_every_allowed_module_still_holds_sql():
    """An allowance outlives its reason silently: once a module is emptied, drop it above."""
    emptied = {name for name in ALLOWED if not sql_in((CORE / name).read_text(encoding="utf-8"))}
    assert emptied == set(), "no SQL left here: remove these from ALLOWED"


def test_statements_are_found_in_calls_literals_and_f_strings():
    source = """
def files(store, conn, table):
    store.query("SELECT * FROM files")
    conn.executemany(sql, rows)
    return f"DELETE FROM {table} WHERE id = ?"
"""
    assert sql_in(source) == [
        "3: 'SELECT * FROM files'",
        "4: call of .executemany()",
        "5: 'DELETE FROM'",
    ]


def test_docstrings_prose_and_words_that_only_start_like_sql_are_not_sql():
    source = '''
"""SELECT nothing: a module docstring."""


class Scan:
    """UPDATE the files, in prose."""

    def run(self):
        """Update every target."""
        message = "Select a folder first"
        return message.encode("utf-8", "replace"), "UPDATED", "DELETED 3 files"
'''
    assert sql_in(source) == []

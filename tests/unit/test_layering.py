"""Rules the import contract (``.importlinter``) cannot express, checked on the source itself.

- Only the repository write service (``repos/writes/``) and the git adapter (``repos/git/``)
  run git commands that write: a commit, a ref or an object created anywhere else bypasses the
  after-update step (push event, card sync, dataset conversion, search).
- Interfaces (``hubapi``, ``web``, ``cli``) never append to the event log themselves: events
  are facts recorded by the domain service that made the change.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.once  # reads the source

SRC = Path(__file__).resolve().parents[2] / "src" / "nbopen"
WRITE_HOMES = ("repos/writes/", "repos/git/")
# git subcommands that create objects or move refs (``hash-object`` only with ``-w``).
WRITING = {"update-ref", "commit-tree", "mktree", "symbolic-ref", "write-tree", "fast-import"}
INTERFACES = ("hubapi/", "web/", "cli/")


def _python_files() -> list[tuple[str, ast.Module]]:
    files = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if "/migrations/" in rel:
            continue
        files.append((rel, ast.parse(path.read_text(encoding="utf-8"), filename=rel)))
    return files


def _git_writes(tree: ast.Module) -> list[str]:
    """String literals naming a writing git subcommand, and ``hash-object`` next to ``-w``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in WRITING:
            found.append(f"line {node.lineno}: {node.value}")
        if isinstance(node, ast.List | ast.Tuple):
            words = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            if "hash-object" in words and "-w" in words:
                found.append(f"line {node.lineno}: hash-object -w")
    return found


def test_the_rule_sees_a_git_write() -> None:
    """The scanner itself: it must flag the forms the code base uses."""
    sample = ast.parse('run(["git", "update-ref", r, new])\nrun(["hash-object", "-w", "--stdin"])')
    assert len(_git_writes(sample)) == 2
    assert _git_writes(ast.parse('run(["git", "cat-file", "-p", sha])')) == []


def test_only_the_write_service_and_git_adapter_run_writing_git_commands() -> None:
    offenders = {
        rel: hits
        for rel, tree in _python_files()
        if not rel.startswith(WRITE_HOMES) and (hits := _git_writes(tree))
    }
    assert offenders == {}


def test_interfaces_never_record_events() -> None:
    offenders = []
    for rel, tree in _python_files():
        if not rel.startswith(INTERFACES):
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "record"
                and isinstance(node.value, ast.Name)
                and node.value.id == "events"
            ):
                offenders.append(f"{rel}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.module == "nbopen.core.events":
                offenders.append(f"{rel}:{node.lineno} imports nbopen.core.events")
    assert offenders == []

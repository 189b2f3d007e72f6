"""The git ``pre-receive`` step that applies protected branches to a push.

The smart-HTTP relay resolves the repository's rules for the pusher
(:func:`nbopen.collab.protection.hook_env`) into ``NBOPEN_PROTECTION`` — each pattern with
"may push" and "may force-push", and the refusals already in the pusher's language — so
this step needs no Django and no database: it reads the ref updates on stdin and refuses a
deletion, a force push (the old commit is not an ancestor of the new one; the pushed objects
are visible to the hook) or a direct push the rule does not allow.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys

ZERO = "0" * 40
HEADS = "refs/heads/"


def rule_for(rules: list[dict[str, object]], branch: str) -> dict[str, object] | None:
    """Same choice as ``protection.match``: the exact name, else the first glob."""
    for rule in rules:
        if rule["name"] == branch:
            return rule
    for rule in rules:
        if fnmatch.fnmatchcase(branch, str(rule["name"])):
            return rule
    return None


def is_ancestor(old: str, new: str) -> bool:
    proc = subprocess.run(
        ["git", "merge-base", "--is-ancestor", old, new], capture_output=True, check=False
    )
    return proc.returncode == 0


def refusals(config: dict[str, object], lines: list[str]) -> list[str]:
    rules = config.get("rules")
    messages = config.get("messages")
    assert isinstance(rules, list) and isinstance(messages, dict)
    out: list[str] = []
    for line in lines:
        parts = line.split()
        if len(parts) != 3 or not parts[2].startswith(HEADS):
            continue
        old, new, ref = parts
        branch = ref.removeprefix(HEADS)
        rule = rule_for(rules, branch)
        if rule is None:
            continue
        if new == ZERO:
            key = "delete"
        elif old != ZERO and not rule["force"] and not is_ancestor(old, new):
            key = "force"
        elif not rule["push"]:
            key = "push"
        else:
            continue
        out.append(str(messages[key]) % {"branch": branch})
    return out


def main() -> int:
    config = json.loads(os.environ.get("NBOPEN_PROTECTION", "{}") or "{}")
    found = refusals(config, sys.stdin.read().splitlines())
    for item in found:
        sys.stderr.write(f"{item}\n")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

"""Economic value ("开源红利"): rebuild cost per repository and cost saved by reuse.

Demand-side rule (Hoffmann, Nagle & Zhou 2024): a repository's rebuild cost is counted once
per *organization* that reuses it. Reuse signals available today, for repositories hosted on
this platform:

* a dependency declared in another repository's ``requirements*.txt``, ``pyproject.toml``,
  ``package.json`` or ``go.mod`` — a hosted repository is matched by its name as the package
  name (normalised: case, ``-``/``_``/``.``), or for Go by the module path
  ``<platform host>/<owner>/<name>``;
* a model or dataset card (``card_data``) naming it in ``base_model`` or ``datasets``;
* fork and download events (``repo.fork``, ``repo.download``) by members of an organization;
* a competition's winner links (``competition.winner``): reuse by the host organization.

The reusing organization is the owner of the declaring repository, or the acting user's
organizations. The owning organization itself and user-owned repositories do not count
(reuse inside the organization that built it saves nothing), and private repositories are
left out of every figure. GitHub/Gitee dependency graphs are not read: that needs the
platforms' APIs, which an intranet deployment does not have.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import defaultdict
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from nbopen.access.policy import public_repositories
from nbopen.analytics import cocomo
from nbopen.config.env import CONFIG
from nbopen.core.models import Event
from nbopen.orgs.models import Membership, Organization
from nbopen.repos.git.read import ls_tree, read_blob, resolve
from nbopen.repos.models import Repository

MANIFESTS = ("requirements.txt", "pyproject.toml", "package.json", "go.mod")
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_dependencies(path: str, text: str) -> set[str]:
    """Package names (normalised) or Go module paths declared by one manifest file."""
    name = PurePosixPath(path).name
    found: set[str] = set()
    if name.startswith("requirements") and name.endswith(".txt"):
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                m = _REQ_NAME.match(line)
                if m:
                    found.add(normalise(m.group(1)))
    elif name == "pyproject.toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return found
        project = data.get("project") or {}
        specs = list(project.get("dependencies") or [])
        for extra in (project.get("optional-dependencies") or {}).values():
            specs += list(extra)
        poetry = ((data.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}
        specs += list(poetry)
        for spec in specs:
            m = _REQ_NAME.match(str(spec))
            if m:
                found.add(normalise(m.group(1)))
    elif name == "package.json":
        try:
            data = json.loads(text)
        except ValueError:
            return found
        if isinstance(data, dict):
            for key in ("dependencies", "devDependencies", "peerDependencies"):
                deps = data.get(key)
                if isinstance(deps, dict):
                    found |= {normalise(str(k).rsplit("/", 1)[-1]) for k in deps}
    elif name == "go.mod":
        for line in text.splitlines():
            parts = line.strip().removeprefix("require").strip().strip("()").split()
            if parts and "." in parts[0].split("/", 1)[0]:
                found.add(parts[0].lower())
    return found


def _manifests(repo: Repository) -> set[str]:
    sha = resolve(repo.git_path, repo.default_branch) if repo.git_path.exists() else None
    if sha is None:
        return set()
    deps: set[str] = set()
    for entry in ls_tree(repo.git_path, sha, recursive=True):
        name = PurePosixPath(entry.path).name
        is_manifest = name in MANIFESTS or (
            name.startswith("requirements") and name.endswith(".txt")
        )
        if (
            entry.type != "blob"
            or not is_manifest
            or cocomo.excluded_reason(entry.path) == ("vendored")
        ):
            continue
        if (entry.size or 0) > cocomo.MAX_FILE_BYTES:
            continue
        text = read_blob(repo.git_path, entry.oid).decode("utf-8", "replace")
        deps |= declared_dependencies(entry.path, text)
    return deps


def _card_refs(repo: Repository) -> set[tuple[bool, str]]:
    """(names a dataset, lower-cased owner/name) for each repository the card refers to: a
    model and a dataset may share a name, and ``datasets:`` names datasets."""
    refs: set[tuple[bool, str]] = set()
    card = repo.card_data if isinstance(repo.card_data, dict) else {}
    for key in ("base_model", "datasets"):
        value = card.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and "/" in item:
                refs.add((key == "datasets", item.lower()))
    return refs


def city_value(*, monthly_cost: float | None = None) -> dict[str, Any]:
    """Rebuild cost of every public hosted repository and the cost saved by its reuse."""
    cost = monthly_cost if monthly_cost is not None else cocomo.DEFAULT_MONTHLY_COST_CNY
    repos = list(public_repositories())
    host = (urlsplit(CONFIG.public_url).hostname or "").lower()
    by_package: dict[str, list[Repository]] = defaultdict(list)
    # (is a dataset, owner/name): a model and a dataset may share a name.
    by_full: dict[tuple[bool, str], Repository] = {}
    for repo in repos:
        by_package[normalise(repo.name)].append(repo)
        by_full[(repo.type == Repository.Type.DATASET, repo.full_name.lower())] = repo
    reusers: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))

    def credit(target: Repository, org: str | None, signal: str) -> None:
        if org and (target.owner.organization_id is None or org != target.owner.name):
            reusers[target.pk][org].add(signal)

    member_orgs: dict[int, set[str]] = defaultdict(set)
    for user_id, org_name in Membership.objects.values_list("user_id", "organization__name"):
        member_orgs[user_id].add(org_name)
    for repo in repos:
        org = repo.owner.name if repo.owner.organization_id is not None else None
        for dep in _manifests(repo):
            targets = list(by_package.get(dep, []))
            if dep.startswith(f"{host}/"):
                path = dep.removeprefix(f"{host}/")
                dataset = path.startswith("datasets/")
                hit = by_full.get((dataset, path.removeprefix("datasets/")))
                if hit is None and not dataset:  # /{owner}/{name} of a dataset, as links were
                    hit = by_full.get((True, path))
                targets += [hit] if hit is not None else []
            for target in targets:
                if target.pk != repo.pk:
                    credit(target, org, "dependency")
        for ref in _card_refs(repo):
            referenced = by_full.get(ref)
            if referenced is not None and referenced.pk != repo.pk:
                credit(referenced, org, "model card")
    by_id = {r.pk: r for r in repos}
    for kind, repo_id, actor_id in Event.objects.filter(
        kind__in=["repo.fork", "repo.download"], repository_id__in=list(by_id)
    ).values_list("kind", "repository_id", "actor_id"):
        for org in member_orgs.get(actor_id or -1, set()):
            if repo_id is not None:
                credit(by_id[repo_id], org, kind.removeprefix("repo."))
    # A winning team's repository linked from a competition's leaderboard is reused by the
    # host organization (the model "stays in the reservoir", issue 15).
    org_names = dict(Organization.objects.values_list("pk", "name"))
    for repo_id, org_id in Event.objects.filter(
        kind="competition.winner", repository_id__in=list(by_id), organization_id__isnull=False
    ).values_list("repository_id", "organization_id"):
        if repo_id is not None:
            credit(by_id[repo_id], org_names.get(org_id), "competition")
    rows = []
    total_rebuild = total_saved = 0.0
    for repo in repos:
        count = cocomo.count_repository(repo.git_path) if repo.git_path.exists() else None
        sloc = count.total if count else 0
        estimate = cocomo.basic_cocomo(sloc, monthly_cost=cost)
        orgs = reusers.get(repo.pk, {})
        saved = estimate.cost * len(orgs)
        total_rebuild += estimate.cost
        total_saved += saved
        rows.append(
            {
                "repository": repo.full_name,
                "sloc": sloc,
                "sloc_by_language": count.by_language if count else {},
                "excluded_files": count.excluded if count else {},
                "person_months": round(estimate.person_months, 2),
                "schedule_months": round(estimate.schedule_months, 2),
                "rebuild_cost_cny": round(estimate.cost, 2),
                "reused_by": {org: sorted(s) for org, s in sorted(orgs.items())},
                "cost_saved_cny": round(saved, 2),
            }
        )
    return {
        "assumptions": {
            "model": "basic COCOMO, organic: PM = 2.4·KSLOC^1.05, months = 2.5·PM^0.38",
            "costing": "each repository costed as one module on its total SLOC",
            "monthly_labour_cost_cny": cost,
            "overhead": cocomo.OVERHEAD,
            "reuse": "rebuild cost once per reusing organization (not the owner), from "
            "declared dependencies, model-card base_model/datasets, forks and downloads",
            "excluded": "blank and comment lines, vendored and generated code, binaries",
        },
        "repositories": rows,
        "rebuild_cost_cny": round(total_rebuild, 2),
        "cost_saved_cny": round(total_saved, 2),
    }

"""The analytics JSON API and the value report against a live server, pushing with real git.

Privacy: a private repository's numbers reach only those who may read it; public aggregates
never carry its name or its pushes.
"""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from nbopen.analytics.cocomo import basic_cocomo
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e


def git(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)


def api(
    live: LiveServer, path: str, token: str | None = None, *, lang: str = ""
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if lang:
        headers["Accept-Language"] = lang
    request = urllib.request.Request(live.url + path, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def create_repo(live: LiveServer, token: str, full: str, *, private: bool = False) -> None:
    owner, name = full.split("/")
    body = {"name": name, "organization": owner, "type": "code", "private": private}
    request = urllib.request.Request(
        live.url + "/api/repos/create",
        method="POST",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200


def push(live: LiveServer, token: str, full: str, files: dict[str, str], work: Path) -> None:
    work.mkdir(parents=True)
    git("init", "-q", "-b", "main", str(work))
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    git("add", ".", cwd=work)
    git("commit", "-qm", "first", cwd=work)
    url = live.url.replace("http://", f"http://u:{token}@") + f"/{full}.git"
    git("push", "-q", url, "main", cwd=work)


def test_api_respects_privacy(live: LiveServer, tmp_path: Path) -> None:
    owner = live.create_user("anaowner")
    outsider = live.create_user("anaoutsider")
    live.cli("org", "create", "anacorp", "--kind", "enterprise", "--owner", "anaowner")
    live.cli("org", "create", "anauni", "--kind", "university", "--owner", "anaowner")
    create_repo(live, owner, "anacorp/widget")
    create_repo(live, owner, "anacorp/secret-plan", private=True)
    create_repo(live, owner, "anauni/app")
    widget = "def add(a, b):\n    # sum\n    return a + b\n\n\nVALUE = add(1, 2)\n"
    push(live, owner, "anacorp/widget", {"widget/__init__.py": widget}, tmp_path / "w")
    push(live, owner, "anacorp/secret-plan", {"x.py": "x = 1\n"}, tmp_path / "s")
    push(
        live,
        owner,
        "anauni/app",
        {"requirements.txt": "widget>=1.0\nrequests\n", "app.py": "import widget\n"},
        tmp_path / "a",
    )
    live.cli("analytics", "compute")

    status, city = api(live, "/api/v1/analytics/city")
    assert status == 200 and city["month"] in city["months"]
    assert "secret-plan" not in json.dumps(city)
    assert city["kinds"]["enterprise"]["organizations"] >= 1
    assert city["kinds"]["university"]["label"] == "高校"  # Chinese by default
    english = api(live, "/api/v1/analytics/city", lang="en")[1]
    assert english["kinds"]["university"]["label"] == "University"

    # The private repository: 401 anonymous, 404 for an outsider, numbers for its owner.
    assert api(live, "/api/v1/analytics/repos/anacorp/secret-plan")[0] == 401
    assert api(live, "/api/v1/analytics/repos/anacorp/secret-plan", outsider)[0] == 404
    status, secret = api(live, "/api/v1/analytics/repos/anacorp/secret-plan", owner)
    assert status == 200 and secret["metrics"]["pushes"] == 1
    status, public = api(live, "/api/v1/analytics/repos/anacorp/widget")
    assert status == 200 and public["metrics"]["pushes"] == 1

    # The organization: the public view counts one push, members see both.
    status, org_public = api(live, "/api/v1/analytics/orgs/anacorp", outsider)
    assert status == 200 and org_public["scope"] == "public"
    assert org_public["metrics"]["pushes"] == 1
    assert [r["name"] for r in org_public["repositories"]] == ["anacorp/widget"]
    status, org_members = api(live, "/api/v1/analytics/orgs/anacorp", owner)
    assert org_members["scope"] == "members" and org_members["metrics"]["pushes"] == 2
    assert api(live, "/api/v1/analytics/orgs/no-such-org")[0] == 404
    assert api(live, "/api/v1/analytics/city?month=2024-13")[0] == 400

    # Cost saved by reuse: anauni declares widget as a dependency → widget's rebuild cost,
    # once, for one reusing organization. widget has 3 source lines (comments/blanks out).
    report = json.loads(live.cli("analytics", "value", "--monthly-cost", "30000").stdout)
    rows = {r["repository"]: r for r in report["repositories"]}
    assert "anacorp/secret-plan" not in rows
    expected = basic_cocomo(3, monthly_cost=30_000)
    assert rows["anacorp/widget"]["sloc"] == 3
    assert rows["anacorp/widget"]["rebuild_cost_cny"] == round(expected.cost, 2)
    assert rows["anacorp/widget"]["reused_by"] == {"anauni": ["dependency"]}
    assert rows["anacorp/widget"]["cost_saved_cny"] == round(expected.cost, 2)
    assert rows["anauni/app"]["reused_by"] == {}


def _post(live: LiveServer, path: str, body: object, token: str | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        live.url + path, method="POST", data=json.dumps(body).encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_registry_api_is_for_site_admins(live: LiveServer) -> None:
    admin = live.create_user("anaadmin", admin=True)
    user = live.create_user("anauser")
    live.cli("org", "create", "anareg", "--kind", "institute", "--owner", "anaadmin")
    entry = {"platform": "github", "login": "NB-Lab", "organization": "anareg"}
    assert _post(live, "/api/v1/analytics/registry", entry, None)[0] == 401
    assert _post(live, "/api/v1/analytics/registry", entry, user)[0] == 403
    assert (
        _post(live, "/api/v1/analytics/registry", {"platform": "x", "login": "a"}, admin)[0] == 400
    )
    assert _post(live, "/api/v1/analytics/registry", {"login": ["a"]}, admin)[0] == 400
    missing = {"platform": "github", "login": "a", "organization": "nope"}
    assert _post(live, "/api/v1/analytics/registry", missing, admin)[0] == 404
    status, created = _post(live, "/api/v1/analytics/registry", entry, admin)
    assert status == 200 and created == entry
    status, listed = api(live, "/api/v1/analytics/registry", admin)
    assert status == 200 and entry in listed["entries"]
    assert api(live, "/api/v1/analytics/registry", user)[0] == 403
    listed_cli = [
        json.loads(x) for x in live.cli("analytics", "registry", "list").stdout.split("\n") if x
    ]
    assert entry in listed_cli

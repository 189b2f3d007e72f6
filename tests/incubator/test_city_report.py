"""The incubation and standards sections of the operators' city report (issue 16, item 7):
registered by their apps, measured from real projects and standards, shown on the page."""

from __future__ import annotations

import pytest
from django.test import Client

from nbopen.access.policy import Principal
from nbopen.core.errors import PermissionDenied
from nbopen.incubator import services as incubation
from nbopen.orgs.services import org_create
from nbopen.programs import report
from nbopen.standards import services as standards
from tests.incubator.helpers import commit
from tests.search.helpers import make_repo, make_user

pytestmark = pytest.mark.django_db


def test_the_city_report_counts_projects_and_standards() -> None:
    lead, staff, mentor = make_user("rlead"), make_user("rstaff", admin=True), make_user("rm")
    org = org_create(name="rlab", kind="university", owner=lead)
    repo = make_repo(lead, "rlab", "planner", type="code")
    commit(repo, lead, "README.md", "# planner\n")
    project = incubation.project_apply(
        actor=Principal(user=lead),
        slug="planner",
        name="规划器",
        description="堆场规划",
        repositories=[repo],
        organization=org,
    )
    incubation.project_accept(actor=Principal(user=staff), project=project, mentors=[mentor])
    spec = make_repo(lead, "rlab", "spec", type="code")
    commit(spec, lead, "README.md", "# 规范\n")
    standards.standard_create(
        actor=Principal(user=lead),
        repository=spec,
        number="T/NBOS 009-2026",
        title="堆场接口",
        committee=org,
        industries=["港航物流"],
    )

    data = report.city_report(Principal(user=staff))
    projects = data["incubation"]["projects"]
    assert [(p["project"], p["state"], p["mentors"]) for p in projects] == [
        ("planner", "incubating", 1)
    ]
    assert projects[0]["met"] + projects[0]["not_met"] + projects[0]["unknown"] >= 30
    assert projects[0]["met"] >= 1  # measured from the repository (a README, recent activity)
    assert data["standards"]["standards"] == [
        {
            "number": "T/NBOS 009-2026",
            "title": "堆场接口",
            "status": "draft",
            "committee": "rlab",
            "implementers": 0,
        }
    ]
    with pytest.raises(PermissionDenied):
        report.city_report(Principal(user=lead))

    client = Client()
    client.force_login(staff)
    page = client.get("/calls/report", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert page.status_code == 200
    assert "<h2>孵化</h2>" in text and "<h2>标准</h2>" in text
    assert "T/NBOS 009-2026" in text and "规划器" in text

"""The demo carries the city programs: the port-scheduling standard, published at v1.0 after
a public comment, implemented by the SDK, and the SDK incubating with a mentor and a report."""

from __future__ import annotations

import pytest

from nbopen.access.policy import Principal
from nbopen.demo.loader import load_demo
from nbopen.incubator import selectors as incubator
from nbopen.standards import selectors as standards

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_standard_an_implementation_and_a_project() -> None:
    assert load_demo()
    anyone = Principal.anonymous()
    standard = standards.standard_get(anyone, "t-nbos-001-2026")
    assert standard.status == "published" and standard.repository.full_name == (
        "gangzhi-tech/port-scheduling-standard"
    )
    assert [i.repository.full_name for i in standards.implementations(anyone, standard)] == [
        "gangzhi-tech/smart-port-sdk"
    ]
    assert standards.comment_counts(standard).closed_threads == 1
    found = standards.document_at(standard, "v1.0")
    assert found is not None and "港口智能调度" in found[1]
    project = incubator.project_get(anyone, "smart-port-sdk")
    assert project.state == "incubating" and project.reports.count() == 1
    evidence, items = incubator.maturity_of(anyone, project)
    # Three commits of the SDK's own and the merge of the demo's pull request.
    assert evidence.commits >= 3 and evidence.issues >= 1
    assert [t["name"] for t in evidence.tags] == ["v0.1"]
    status = {i.id: i.status for i in items}
    assert status["CD20"] == "met" and status["RE10"] == "met"

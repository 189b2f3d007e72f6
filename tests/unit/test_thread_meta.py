"""Milestones, organization-wide labels, reactions and issue templates, called as every
front door calls them (runs on SQLite and, with NBOPEN_DATABASE_URL, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.accounts.services import user_create
from nbopen.collab import issue_templates, labels, milestones, reactions, threads
from nbopen.collab.models import Label, Reaction, Thread, TimelineEntry
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from nbopen.orgs.services import member_set, org_create
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_create
from nbopen.repos.writes import commits

pytestmark = pytest.mark.django_db


def _user(name: str) -> User:
    return user_create(username=name, email=f"{name}@example.org", password="pw-Secret-123")


def _repo(user: User, name: str, *, owner: str | None = None, private: bool = False) -> Repository:
    repo = repo_create(
        actor=Principal(user=user), owner=owner, name=name, type="code", private=private
    )
    commits.commit(
        repo=repo,
        actor=user,
        branch="main",
        operations=[commits.AddBytes("README.md", b"# hi\n")],
        message="first",
        parent=None,
    )
    return repo


def _commit(repo: Repository, user: User, files: dict[str, str]) -> None:
    head = commits.commit(
        repo=repo,
        actor=user,
        branch="main",
        operations=[commits.AddBytes(path, text.encode()) for path, text in files.items()],
        message="templates",
    )
    assert head


@pytest.fixture
def people() -> dict[str, User]:
    return {n: _user(f"mm{n}") for n in ("owner", "reader", "outsider")}


def test_milestone_progress_assignment_and_filters(people: dict[str, User]) -> None:
    owner, reader = Principal(user=people["owner"]), Principal(user=people["reader"])
    repo = _repo(people["owner"], "plan")
    v1 = milestones.milestone_create(
        actor=owner, repo=repo, title="v1.0 发布", description="第一版", due_on="2026-12-31"
    )
    assert v1.due_on == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    with pytest.raises(AlreadyExists):
        milestones.milestone_create(actor=owner, repo=repo, title="V1.0   发布")
    with pytest.raises(PermissionDenied):  # a reader may not create nor assign
        milestones.milestone_create(actor=reader, repo=repo, title="mine")
    with pytest.raises(InvalidInput):
        milestones.milestone_create(actor=owner, repo=repo, title="x", due_on="31/12/2026")

    made = [threads.create_thread(actor=reader, repo=repo, title=f"问题 {i}") for i in range(4)]
    with pytest.raises(PermissionDenied):
        milestones.set_milestone(actor=reader, thread=made[0], ref=v1.pk)
    for thread in made[:3]:
        milestones.set_milestone(actor=owner, thread=thread, ref=v1.pk)
    # counts are read with the milestone: the object from create still says 0
    assert milestones.progress(v1).total == 0
    assert (
        milestones.progress(milestones.milestone_get(actor=reader, repo=repo, ref=v1.pk)).total == 3
    )
    threads.set_state(actor=owner, thread=made[0], state="closed")
    listed = milestones.milestone_list(actor=reader, repo=repo).get(pk=v1.pk)
    done = milestones.progress(listed)
    assert (done.open, done.closed, done.percent) == (2, 1, 33)

    in_v1 = threads.thread_list(actor=reader, repo=repo, milestone=str(v1.pk))
    assert sorted(t.number for t in in_v1) == [1, 2, 3]
    by_title = threads.thread_list(actor=reader, repo=repo, milestone="v1.0 发布")
    assert by_title.count() == 3
    assert [t.number for t in threads.thread_list(actor=reader, repo=repo, milestone="none")] == [4]
    entry = TimelineEntry.objects.filter(thread=made[1], kind="milestone").get()
    assert entry.data == {"from": "", "to": "v1.0 发布"}

    closed = milestones.milestone_edit(actor=owner, repo=repo, ref=v1.pk, state="closed")
    assert closed.state == "closed" and closed.closed_at is not None
    assert not milestones.milestone_list(actor=reader, repo=repo, state="open").exists()
    milestones.milestone_edit(actor=owner, repo=repo, ref=v1.pk, due_on=None, title="v1")
    assert milestones.milestone_get(actor=reader, repo=repo, ref="V1").due_on is None
    milestones.milestone_delete(actor=owner, repo=repo, ref=v1.pk)
    made[1].refresh_from_db()
    assert made[1].milestone_id is None  # the thread stays, without a milestone


def test_milestones_of_a_private_repository_are_invisible(people: dict[str, User]) -> None:
    repo = _repo(people["owner"], "secret-plan", private=True)
    milestones.milestone_create(actor=Principal(user=people["owner"]), repo=repo, title="m")
    for who in (Principal(user=people["outsider"]), Principal()):
        with pytest.raises(NotFound):
            milestones.milestone_list(actor=who, repo=repo)


def test_a_milestone_of_another_repository_cannot_be_assigned(people: dict[str, User]) -> None:
    owner = Principal(user=people["owner"])
    one, two = _repo(people["owner"], "one"), _repo(people["owner"], "two")
    theirs = milestones.milestone_create(actor=owner, repo=two, title="other")
    thread = threads.create_thread(actor=owner, repo=one, title="t")
    with pytest.raises(NotFound):
        milestones.set_milestone(actor=owner, thread=thread, ref=theirs.pk)


def test_org_labels_apply_to_every_repository_of_the_org(people: dict[str, User]) -> None:
    org = org_create(name="mm-org", kind="community", owner=people["owner"])
    member_set(organization=org, user=people["reader"], role="write", actor=people["owner"])
    owner, writer = Principal(user=people["owner"]), Principal(user=people["reader"])
    with pytest.raises(PermissionDenied):  # writing to repositories is not owning the org
        labels.org_label_create(actor=writer, org=org, name="bug")
    with pytest.raises(PermissionDenied):
        labels.org_label_create(
            actor=Principal(user=people["owner"], scope="read"), org=org, name="x"
        )
    bug = labels.org_label_create(actor=owner, org=org, name="缺陷", color="ee0701")
    assert bug.color == "#ee0701" and bug.repository_id is None
    with pytest.raises(AlreadyExists):
        labels.org_label_create(actor=owner, org=org, name="缺陷")
    with pytest.raises(InvalidInput):
        labels.org_label_create(actor=owner, org=org, name="c", color="red")

    a = _repo(people["owner"], "a", owner="mm-org")
    b = _repo(people["owner"], "b", owner="mm-org")
    mine = _repo(people["owner"], "personal")
    local = threads.label_create(actor=owner, repo=a, name="缺陷")  # same name, repo wins
    for repo in (a, b):
        thread = threads.create_thread(actor=writer, repo=repo, title="t")
        threads.set_labels(actor=writer, thread=thread, ids=[bug.pk])
        assert [label.pk for label in thread.labels.all()] == [bug.pk]
    by_name = threads.create_thread(actor=writer, repo=a, title="n")
    assert [x.pk for x in threads.set_labels(actor=writer, thread=by_name, names=["缺陷"])] == [
        local.pk
    ]
    outside = threads.create_thread(actor=owner, repo=mine, title="t")
    with pytest.raises(InvalidInput):  # not this repository's organization
        threads.set_labels(actor=owner, thread=outside, ids=[bug.pk])
    assert bug.pk in {x.pk for x in labels.available(b)}
    assert bug.pk not in {x.pk for x in labels.available(mine)}

    edited = labels.org_label_edit(actor=owner, org=org, label_id=bug.pk, name="bug")
    assert edited.name_lower == "bug"
    assert threads.thread_list(actor=owner, repo=b, label="BUG").count() == 1
    labels.org_label_delete(actor=owner, org=org, label_id=bug.pk)
    assert not Label.objects.filter(pk=bug.pk).exists()


def test_reactions_toggle_and_privacy(people: dict[str, User]) -> None:
    owner, reader = Principal(user=people["owner"]), Principal(user=people["reader"])
    repo = _repo(people["owner"], "talk")
    thread = threads.create_thread(actor=owner, repo=repo, title="t", body="b")
    comment = threads.comment_add(actor=owner, thread=thread, body="c")
    made, created = reactions.react(actor=reader, thread=thread, content="heart")
    again, created_again = reactions.react(actor=reader, thread=thread, content="heart")
    assert created and not created_again and made.pk == again.pk
    assert reactions.toggle(actor=owner, thread=thread, content="heart")
    assert reactions.toggle(actor=reader, thread=thread, content="+1", comment_id=comment.pk)
    tallies = reactions.tallies(thread, people["reader"])
    assert [(t.content, t.count, t.mine) for t in tallies[None]] == [("heart", 2, True)]
    assert [(t.content, t.count) for t in tallies[comment.pk]] == [("+1", 1)]
    assert not reactions.toggle(actor=reader, thread=thread, content="+1", comment_id=comment.pk)
    assert comment.pk not in reactions.tallies(thread, None)
    with pytest.raises(InvalidInput):
        reactions.react(actor=reader, thread=thread, content="thumbsup")
    with pytest.raises(PermissionDenied):
        reactions.react(actor=Principal(), thread=thread, content="eyes")
    with pytest.raises(PermissionDenied):
        reactions.react(
            actor=Principal(user=people["reader"], scope="read"), thread=thread, content="eyes"
        )
    threads.comment_hide(actor=owner, thread=thread, comment_id=comment.pk)
    with pytest.raises(NotFound):
        reactions.react(actor=reader, thread=thread, content="eyes", comment_id=comment.pk)
    threads.set_flags(actor=owner, thread=thread, locked=True)
    reactions.react(actor=reader, thread=thread, content="rocket")  # a lock stops text only

    hidden = _repo(people["owner"], "hidden-talk", private=True)
    secret = threads.create_thread(actor=owner, repo=hidden, title="s")
    with pytest.raises(NotFound):
        reactions.react(actor=Principal(user=people["outsider"]), thread=secret, content="eyes")
    assert not Reaction.objects.filter(thread=secret).exists()


MARKDOWN_TEMPLATE = """---
name: 缺陷报告
about: 报告一个问题
title: "[缺陷] "
labels: ["bug", "triage"]
assignees: mmowner, nobody-here
---
## 复现步骤

1. …
"""

FORM_TEMPLATE = """name: Feature request
description: Suggest an idea
title: "[Feature]: "
labels: [enhancement]
body:
  - type: markdown
    attributes:
      value: Thanks for the idea!
  - type: textarea
    id: what
    attributes:
      label: What do you want?
      placeholder: Describe it
  - type: checkboxes
    attributes:
      label: Checks
      options:
        - label: I searched the existing issues
"""


def test_issue_templates_from_the_default_branch(people: dict[str, User]) -> None:
    owner, reader = Principal(user=people["owner"]), Principal(user=people["reader"])
    repo = _repo(people["owner"], "tpl")
    assert issue_templates.templates(actor=reader, repo=repo) == []
    _commit(
        repo,
        people["owner"],
        {
            ".github/ISSUE_TEMPLATE/ignored.md": "---\nname: GitHub one\n---\nx\n",
            ".gitea/ISSUE_TEMPLATE/bug.md": MARKDOWN_TEMPLATE,
            ".gitea/ISSUE_TEMPLATE/feature.yaml": FORM_TEMPLATE,
            ".gitea/ISSUE_TEMPLATE/config.yml": "blank_issues_enabled: true\n",
            ".gitea/ISSUE_TEMPLATE/broken.yml": "name: [unclosed\n",
        },
    )
    found = issue_templates.templates(actor=reader, repo=repo)
    assert [t.slug for t in found] == ["broken.yml", "bug.md", "feature.yaml"]
    assert found[0].error  # reported, never offered
    bug, feature = found[1], found[2]
    assert (bug.name, bug.about, bug.title) == ("缺陷报告", "报告一个问题", "[缺陷] ")
    assert bug.labels == ["bug", "triage"] and bug.assignees == ["mmowner", "nobody-here"]
    assert bug.content.startswith("## 复现步骤") and "---" not in bug.content
    assert feature.labels == ["enhancement"]
    assert "### What do you want?\n\nDescribe it" in feature.content
    assert "- [ ] I searched the existing issues" in feature.content
    assert feature.content.startswith("Thanks for the idea!")
    assert [t.slug for t in issue_templates.usable(actor=reader, repo=repo)] == [
        "bug.md",
        "feature.yaml",
    ]

    threads.label_create(actor=owner, repo=repo, name="bug")
    thread = threads.create_thread(actor=reader, repo=repo, title="[缺陷] 崩溃", body=bug.content)
    issue_templates.apply_defaults(thread=thread, template=bug)
    assert [x.name for x in thread.labels.all()] == ["bug"]  # "triage" does not exist
    assert [u.username for u in thread.assignees.all()] == ["mmowner"]

    _commit(repo, people["owner"], {".nbopen/ISSUE_TEMPLATE/ours.md": "plain body\n"})
    ours = issue_templates.templates(actor=reader, repo=repo)
    assert [(t.slug, t.name, t.content) for t in ours] == [("ours.md", "ours.md", "plain body\n")]

    private = _repo(people["owner"], "tpl-private", private=True)
    with pytest.raises(NotFound):
        issue_templates.templates(actor=Principal(user=people["outsider"]), repo=private)


def test_gitea_shapes_carry_the_milestone(people: dict[str, User]) -> None:
    from nbopen.hubapi.v1.gitea import shapes

    owner = Principal(user=people["owner"])
    repo = _repo(people["owner"], "shape")
    m = milestones.milestone_create(actor=owner, repo=repo, title="m1", due_on="2027-01-01")
    thread = threads.create_thread(actor=owner, repo=repo, title="t")
    milestones.set_milestone(actor=owner, thread=thread, ref=m.pk)
    fresh = Thread.objects.get(pk=thread.pk)
    data = shapes.issue(fresh, "", 0, [])
    assert data["milestone"]["id"] == m.pk and data["milestone"]["open_issues"] == 1
    assert data["milestone"]["due_on"] == "2027-01-01T23:59:59Z"


def test_web_label_picker_offers_org_labels_and_saves_them(
    people: dict[str, User], client: Client
) -> None:
    org = org_create(name="mm-web-org", kind="community", owner=people["owner"])
    owner = Principal(user=people["owner"])
    repo = _repo(people["owner"], "web-app", owner="mm-web-org")
    org_label = labels.org_label_create(actor=owner, org=org, name="组织标签")
    own = threads.label_create(actor=owner, repo=repo, name="本仓库")
    due = milestones.milestone_create(actor=owner, repo=repo, title="冲刺一")
    thread = threads.create_thread(actor=Principal(user=people["reader"]), repo=repo, title="t")
    page = f"{repo.web_path}/issues/{thread.number}"

    client.force_login(people["reader"])  # a reader sees no picker and cannot post one
    assert 'id="label-picker"' not in client.get(page).content.decode()
    client.post(f"{page}/meta", {"labels": [str(own.pk)], "milestone": str(due.pk)})
    assert not thread.labels.exists()

    client.force_login(people["owner"])
    html = client.get(page).content.decode()
    assert 'id="label-picker"' in html and "组织标签" in html and "本仓库" in html
    answer = client.post(
        f"{page}/meta", {"labels": [str(org_label.pk), str(own.pk)], "milestone": str(due.pk)}
    )
    assert answer.status_code == 302
    thread.refresh_from_db()
    assert {x.pk for x in thread.labels.all()} == {org_label.pk, own.pk}
    assert thread.milestone_id == due.pk
    listed = client.get(f"{repo.web_path}/issues?milestone={due.pk}").content.decode()
    assert f'{page}"' in listed and "冲刺一" in listed

    # a reaction toggled by a plain form post, and by fetch (JSON)
    answer = client.post(f"{page}/react", {"content": "eyes"})
    assert answer.status_code == 302
    data = client.post(f"{page}/react", {"content": "eyes"}, HTTP_ACCEPT="application/json")
    assert data.json() == {"added": False, "reactions": []}


def test_webhook_payload_carries_the_milestone(people: dict[str, User]) -> None:
    from nbopen.webhooks import payloads

    owner = Principal(user=people["owner"])
    repo = _repo(people["owner"], "hooked")
    m = milestones.milestone_create(actor=owner, repo=repo, title="m")
    thread = threads.create_thread(actor=owner, repo=repo, title="t")
    assert payloads.issue_json(thread)["milestone"] is None
    milestones.set_milestone(actor=owner, thread=thread, ref=m.pk)
    data = payloads.issue_json(Thread.objects.get(pk=thread.pk))["milestone"]
    assert data["id"] == m.pk and data["open_issues"] == 1 and data["due_on"] is None


def test_ids_beyond_any_row_are_not_found_not_a_database_error(people: dict[str, User]) -> None:
    owner = Principal(user=people["owner"])
    repo = _repo(people["owner"], "huge")
    org = org_create(name="mm-huge-org", kind="community", owner=people["owner"])
    thread = threads.create_thread(actor=owner, repo=repo, title="t")
    huge = 2**70
    with pytest.raises(NotFound):
        milestones.milestone_get(actor=owner, repo=repo, ref=str(huge))
    with pytest.raises(NotFound):
        labels.org_label_get(org, huge)
    with pytest.raises(InvalidInput):
        threads.set_labels(actor=owner, thread=thread, ids=[huge])
    with pytest.raises(NotFound):
        reactions.react(actor=owner, thread=thread, content="eyes", comment_id=huge)
    assert list(threads.thread_list(actor=owner, repo=repo, milestone=str(huge))) == []

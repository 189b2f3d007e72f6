"""Demo content of the city programs: the port intelligent-scheduling standard (a code
repository, public comment in an issue, version v1.0 published as a tag), the SDK that
declares it implements v1.0, and the SDK incubating with mentors.

Made through the services like the rest of the demo (``loader.py`` calls :func:`load`); the
demo users are not operators, so the operator's steps are taken by a principal standing for
the platform (``Principal(user=None)`` cannot act), here a demo operator account with no
usable password.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.utils import timezone

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.accounts.services import user_create
from nbopen.collab import threads
from nbopen.incubator import services as incubator
from nbopen.orgs.models import Organization
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_create
from nbopen.repos.uploads import Upload, upload_files
from nbopen.repos.writes import refs
from nbopen.standards import services as standards

NUMBER = "T/NBOS 001-2026"

STANDARD_README = """---
license: cc-by-4.0
tags: [demo, standard, "domain:port-logistics"]
---
# T/NBOS 001-2026 港口智能调度 数据接口规范（演示）

【演示数据】Port intelligent scheduling — data interface specification (demo).

## 1 范围 Scope

本标准规定集装箱码头泊位、岸桥与堆场调度系统之间交换作业计划的数据格式。
This standard defines the data exchanged between berth, quay-crane and yard scheduling systems.

## 2 作业计划 Work plan

| 字段 field | 类型 type | 说明 meaning |
|---|---|---|
| `vessel_id` | string | 船舶编号 vessel |
| `berth` | string | 泊位 berth, e.g. `B3` |
| `eta` | RFC 3339 time | 预计到港 estimated arrival |
| `cranes` | integer | 分配岸桥数 quay cranes assigned |

## 3 一致性 Conformance

实现应能读写第 2 章的作业计划，并拒绝缺少 `vessel_id` 的记录。
"""


def _operator() -> User:
    user = user_create(
        username="city-operator",
        email="city-operator@demo.nbopen.invalid",
        password=secrets.token_urlsafe(24),
        display_name="城市平台运营（演示）",
    )
    user.is_staff = True
    user.bio = "演示账号 · demo operator"
    user.save(update_fields=["is_staff", "bio"])
    return user


def load(users: dict[str, User]) -> None:
    operator = Principal(user=_operator())
    owner = Principal(user=users["zhang-wei"])
    committee = Organization.objects.get(name="gangzhi-tech")
    repo = repo_create(
        actor=owner,
        owner=committee.name,
        name="port-scheduling-standard",
        type="code",
        private=False,
        description="【演示】港口智能调度数据接口团体标准 · [Demo] port scheduling standard",
    )
    when: datetime = timezone.now() - timedelta(days=12)
    sha = upload_files(
        actor=owner,
        repo=repo,
        branch=repo.default_branch,
        uploads=[Upload("README.md", data=STANDARD_README.encode())],
        message="标准草案 Draft of the standard",
        when=when,
    )
    standard = standards.standard_create(
        actor=owner,
        repository=repo,
        number=NUMBER,
        title="港口智能调度 数据接口规范",
        committee=committee,
        industries=["港航物流", "G5532"],
    )
    standards.standard_transition(actor=owner, standard=standard, to="public_comment")
    issue = threads.create_thread(
        actor=Principal(user=users["chen-jie"]),
        repo=repo,
        title="征求意见：eta 是否应允许时区缩写 · Public comment: time zones in eta",
        body="【演示】建议只接受 RFC 3339 偏移量。[Demo] Accept RFC 3339 offsets only.",
    )
    threads.comment_add(
        actor=owner, thread=issue, body="采纳，已写入第 2 章。· Adopted in chapter 2."
    )
    threads.set_state(actor=owner, thread=issue, state="closed")
    standards.standard_transition(actor=owner, standard=standard, to="approved")
    refs.create_tag(repo=repo, actor=users["zhang-wei"], tag="v1.0", target=sha)
    standards.standard_transition(actor=owner, standard=standard, to="published", version="v1.0")
    sdk = Repository.objects.get(owner__name="gangzhi-tech", name="smart-port-sdk")
    sdk_head = refs.branch_head(sdk, sdk.default_branch)
    assert sdk_head is not None
    refs.create_tag(repo=sdk, actor=users["li-na"], tag="v0.1", target=sdk_head)
    standards.implementation_declare(
        actor=Principal(user=users["li-na"]),
        standard=standard,
        repository=sdk,
        version="v1.0",
        note="smart_port.yard 读写第 2 章作业计划 · reads and writes the chapter 2 work plan",
    )
    project = incubator.project_apply(
        actor=Principal(user=users["li-na"]),
        slug="smart-port-sdk",
        name="智慧港口开发包 Smart port SDK",
        description="【演示】港口堆场与闸口的开放开发包，申请孵化。[Demo] applying for incubation.",
        repositories=[sdk],
    )
    incubator.project_accept(
        actor=operator,
        project=project,
        mentors=[users["wang-fang"]],
        note="甬江大学导师指导 · mentored by Yongjiang University",
    )
    incubator.report_file(
        actor=Principal(user=users["li-na"]),
        project=project,
        period="2026-Q4",
        body="【演示】本季度实现了 T/NBOS 001-2026 v1.0，新增闸口接口。\n\n"
        "[Demo] This quarter: implemented T/NBOS 001-2026 v1.0 and the gate client.",
    )

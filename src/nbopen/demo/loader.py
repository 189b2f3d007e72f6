"""``nbopen demo``: load the demo organizations, users and repositories through the services.

Idempotent: if the demo's first organization exists, nothing is loaded again. Demo users get
random passwords that are never printed (nobody can sign in as them); visitors sign up.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.accounts.services import user_create
from nbopen.collab import pulls, threads
from nbopen.demo import content as c
from nbopen.demo import standards as programs_demo
from nbopen.libraries.models import Domain
from nbopen.libraries.services import domain_create
from nbopen.orgs.models import Organization
from nbopen.orgs.services import member_set, org_create
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_create
from nbopen.repos.uploads import Upload, upload_files
from nbopen.repos.writes import refs

DEMO_TAG = "demo"

# The vertical data libraries (垂直开源库) the demo repositories name in their cards.
DOMAINS = [
    (
        "smart-manufacturing",
        "智能制造",
        "Smart manufacturing",
        "数控、产线、预测性维护的数据与模型。",
    ),
    ("port-logistics", "港口物流", "Port logistics", "港口作业、集装箱、闸口与堆场。"),
    ("industrial-software", "工业软件", "Industrial software", "工业控制、仿真与开发包。"),
    ("smart-devices", "智能终端", "Smart devices", "摄像头、传感器等边缘终端上的模型。"),
]


@dataclass
class DemoRepo:
    owner: str
    name: str
    type: str
    description: str
    author: str
    commits: list[tuple[str, dict[str, bytes]]]
    private: bool = False
    tags: list[str] = field(default_factory=list)


USERS = [
    ("zhang-wei", "张伟（演示）"),
    ("li-na", "李娜（演示）"),
    ("wang-fang", "王芳（演示）"),
    ("chen-jie", "陈杰（演示）"),
]

ORGS = [
    {
        "name": "gangzhi-tech",
        "display_name": "港智科技（演示）",
        "kind": "enterprise",
        "region": "北仑区",
        "description": "【演示数据】智慧港口软件企业，开放港口视觉模型与开发包。Demo enterprise.",
        "owner": "zhang-wei",
        "members": [("li-na", "write")],
        "industry": ["港航物流", "人工智能", DEMO_TAG],
    },
    {
        "name": "yongjiang-univ",
        "display_name": "甬江大学（演示）",
        "kind": "university",
        "region": "鄞州区",
        "description": "【演示数据】高校实验室发布科研代码与中文模型。Demo university.",
        "owner": "wang-fang",
        "members": [("chen-jie", "write")],
        "industry": ["教育", "自然语言处理", DEMO_TAG],
    },
    {
        "name": "yongcheng-data",
        "display_name": "甬城数据局（演示）",
        "kind": "government",
        "region": "宁波市",
        "description": "【演示数据】政府公共数据开放平台的示例。Demo government data office.",
        "owner": "li-na",
        "members": [("zhang-wei", "read")],
        "industry": ["公共数据", DEMO_TAG],
    },
]

REPOS = [
    DemoRepo(
        "gangzhi-tech",
        "port-container-detector",
        "model",
        "【演示】港口集装箱检测模型 · [Demo] container detector for port cameras",
        "zhang-wei",
        [
            ("初始化模型卡 Initial model card", {"README.md": c.PORT_MODEL_README.encode()}),
            (
                "添加配置和示例图片 Add config and preview",
                {"config.json": c.model_config(), "assets/preview.png": c.preview_png()},
            ),
        ],
    ),
    DemoRepo(
        "gangzhi-tech",
        "smart-port-sdk",
        "code",
        "【演示】智慧港口 Python 开发包 · [Demo] Python SDK for port systems",
        "li-na",
        [
            ("项目骨架 Project skeleton", {"README.md": c.SDK_README.encode()}),
            ("堆场接口 Yard client", {"smart_port/yard.py": c.YARD_PY.encode()}),
            ("闸口接口 Gate names", {"smart_port/gate.py": c.GATE_PY.encode()}),
        ],
    ),
    DemoRepo(
        "gangzhi-tech",
        "internal-roadmap",
        "code",
        "【演示】私有仓库示例 · [Demo] a private repository",
        "zhang-wei",
        [("路线图 Roadmap", {"README.md": c.ROADMAP_README.encode()})],
        private=True,
    ),
    DemoRepo(
        "yongjiang-univ",
        "cnc-vibration-sample",
        "dataset",
        "【演示】数控机床振动样例（未声明许可证）· [Demo] CNC vibration, no licence declared",
        "chen-jie",
        [
            (
                "振动数据 Vibration readings",
                {
                    "README.md": c.CNC_DATASET_README.encode(),
                    "data/train.csv": c.cnc_vibration_csv(),
                },
            )
        ],
    ),
    DemoRepo(
        "yongjiang-univ",
        "chinese-legal-bert",
        "model",
        "【演示】中文法律文书预训练模型 · [Demo] Chinese legal BERT",
        "wang-fang",
        [("发布模型卡 Model card", {"README.md": c.LEGAL_MODEL_README.encode()})],
    ),
    DemoRepo(
        "yongjiang-univ",
        "distributed-systems-labs",
        "code",
        "【演示】分布式系统课程实验 · [Demo] course labs",
        "chen-jie",
        [
            ("课程说明 Course notes", {"README.md": c.COURSE_README.encode()}),
            ("Raft 选主 Raft election", {"raft/raft.go": c.RAFT_GO.encode()}),
        ],
    ),
    DemoRepo(
        "yongcheng-data",
        "air-quality-daily",
        "dataset",
        "【演示】甬城空气质量日报 · [Demo] daily air quality",
        "li-na",
        [
            ("数据集说明 Dataset card", {"README.md": c.AIR_DATASET_README.encode()}),
            ("2025 年一季度数据 Q1 2025 data", {"data/2025-q1.csv": c.air_quality_csv()}),
        ],
    ),
    DemoRepo(
        "yongcheng-data",
        "port-camera-demo",
        "dataset",
        "【演示】港口监控标注样例 · [Demo] port camera annotations",
        "li-na",
        [
            (
                "标注样例 Annotations",
                {
                    "README.md": c.PORT_CAMERA_README.encode(),
                    "annotations/train.json": c.coco_annotations(),
                },
            )
        ],
    ),
]


def is_loaded() -> bool:
    return Organization.objects.filter(name=ORGS[0]["name"]).exists()


@transaction.atomic
def load_demo() -> bool:
    """Load the demo; returns False when it was already there."""
    if is_loaded():
        return False
    users: dict[str, User] = {}
    for username, display in USERS:
        users[username] = user_create(
            username=username,
            email=f"{username}@demo.nbopen.invalid",
            password=secrets.token_urlsafe(24),
            display_name=display,
        )
        users[username].bio = "演示账号 · demo account"
        users[username].save(update_fields=["bio"])
    for spec in ORGS:
        org = org_create(
            name=str(spec["name"]),
            kind=str(spec["kind"]),
            owner=users[str(spec["owner"])],
            display_name=str(spec["display_name"]),
            region=str(spec["region"]),
            description=str(spec["description"]),
        )
        org.industry_tags = list(spec["industry"])
        org.verified = True
        org.save(update_fields=["industry_tags", "verified"])
        for username, role in spec["members"]:
            member_set(organization=org, user=users[username], role=role, actor=None)
    for slug, name_zh, name_en, description_zh in DOMAINS:
        if Domain.objects.filter(slug=slug).exists():
            continue  # an operator defined it before the demo was loaded
        domain_create(
            principal=None,
            slug=slug,
            name_zh=name_zh,
            name_en=name_en,
            description_zh=f"【演示】{description_zh}",
        )
    start = timezone.now() - timedelta(days=40)
    for i, spec_repo in enumerate(REPOS):
        actor = Principal(user=users[spec_repo.author])
        org = Organization.objects.get(name=spec_repo.owner)
        owner_user = users[next(str(o["owner"]) for o in ORGS if o["name"] == spec_repo.owner)]
        repo = repo_create(
            actor=Principal(user=owner_user),
            owner=org.name,
            name=spec_repo.name,
            type=spec_repo.type,
            private=spec_repo.private,
            description=spec_repo.description,
        )
        when: datetime = start + timedelta(days=i * 5)
        # The repository was "created" when its first (back-dated) commit was made, so the
        # demo's domain pages show growth over time rather than everything in one month.
        Repository.objects.filter(pk=repo.pk).update(created_at=when)
        for message, files in spec_repo.commits:
            upload_files(
                actor=actor,
                repo=repo,
                branch=repo.default_branch,
                uploads=[Upload(path, data=data) for path, data in files.items()],
                message=message,
                when=when,
            )
            when += timedelta(days=1, hours=3)
    _conversations(users)
    programs_demo.load(users)
    return True


def _conversations(users: dict[str, User]) -> None:
    """A few real issue, pull request and discussion conversations, so the Issues, Pull
    requests and 讨论 tabs and the platform's activity (``/insights``) are not empty."""
    as_ = {name: Principal(user=user) for name, user in users.items()}
    sdk = Repository.objects.get(owner__name="gangzhi-tech", name="smart-port-sdk")
    issue = threads.create_thread(
        actor=as_["chen-jie"],
        repo=sdk,
        title="闸口查询需要支持未知闸口代码 · Unknown gate codes",
        body="【演示】`gate_name('G9')` 原样返回代码，希望给出“未知闸口”。\n\n"
        "[Demo] `gate_name('G9')` returns the code itself; a readable fallback would help.",
    )
    threads.comment_add(
        actor=as_["li-na"], thread=issue, body="好的，我来提一个合并请求。· I'll open a PR."
    )
    head = refs.branch_head(sdk, sdk.default_branch)
    assert head is not None
    refs.create_branch(repo=sdk, actor=users["li-na"], branch="unknown-gate", target=head)
    upload_files(
        actor=as_["li-na"],
        repo=sdk,
        branch="unknown-gate",
        uploads=[Upload("smart_port/gate.py", data=c.GATE_PY_UNKNOWN.encode())],
        message="未知闸口的名称 Name unknown gates",
    )
    pull = pulls.open_pull(
        actor=as_["li-na"],
        repo=sdk,
        title="未知闸口显示“未知闸口” · Name unknown gates",
        body=f"修复 #{issue.number}",
        head_branch="unknown-gate",
    )
    pulls.review(
        actor=as_["zhang-wei"],
        thread=pull,
        state="approved",
        body="看起来不错 · Looks good",
        comments=[{"path": "smart_port/gate.py", "line": 9, "body": "默认值清楚 · Clear default"}],
    )
    pulls.merge_pull(actor=as_["zhang-wei"], thread=pull, strategy=pulls.Strategy.SQUASH)
    bert = Repository.objects.get(owner__name="yongjiang-univ", name="chinese-legal-bert")
    talk = threads.create_thread(
        actor=as_["zhang-wei"],
        repo=bert,
        title="能否提供 ONNX 版本？· Is there an ONNX export?",
        body="【演示】我们想在港口边缘设备上部署。· [Demo] We want to run it on edge devices.",
    )
    threads.comment_add(
        actor=as_["wang-fang"],
        thread=talk,
        body="下个版本会提供。· It will come with the next release.",
    )

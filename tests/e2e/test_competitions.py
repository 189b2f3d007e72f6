"""Competitions end to end (issue 15), against a real server, through the HTTP API, the
``nbopen compete`` CLI and ``huggingface_hub``, the way hosts and participants use them.

The story: a host organization puts a private dataset and a hidden ground truth on the
platform; two participants accept the terms (which is what opens the dataset), download it,
submit; the public leaderboard ranks them while the private one stays hidden; the host
closes the phase and the private ranking appears (in a different order). On the way: a
failing submission does not use quota, the quota refuses clearly, the ground truth is
reachable by no route, a draft is invisible to outsiders, and a host's malicious scorer
(loop, memory, network) fails with a reason while the worker keeps scoring.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.accounts import web_login
from tests.support.client import api_create_repo, authed, request
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e

MARKER = "GTMARK-7f3a9c"  # appears in the ground truth file only
ORG = "cityport"
# 20 ids: the first 10 public, the last 10 private (the ground truth's own split column).
TRUTH = {f"r{i:02d}": i % 2 for i in range(20)}
SPLIT = {key: "public" if i < 10 else "private" for i, key in enumerate(TRUTH)}


def _ground_truth() -> str:
    lines = ["id,target,split,note"]
    lines += [f"{k},{v},{SPLIT[k]},{MARKER}" for k, v in TRUTH.items()]
    return "\n".join(lines) + "\n"


def _predictions(public_right: int, private_right: int) -> str:
    """A submission with ``public_right`` of 10 public and ``private_right`` of 10 private
    ids right."""
    rows, seen = ["id,target"], {"public": 0, "private": 0}
    for key, value in TRUTH.items():
        split = SPLIT[key]
        right = seen[split] < (public_right if split == "public" else private_right)
        seen[split] += 1
        rows.append(f"{key},{value if right else 1 - value}")
    return "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own: tight scoring limits make the malicious scorer fail fast."""
    env = {"NBOPEN_SCORE_CPU_SECONDS": "4", "NBOPEN_SCORE_MEMORY_MB": "400"}
    live = LiveServer(tmp_path_factory.mktemp("compete"), env=env).start()
    try:
        yield live
    finally:
        live.stop()


def compete(
    live: LiveServer, token: str, *args: str, check: bool = True, lang: str = "zh_CN.UTF-8"
) -> str:
    """``nbopen compete ARGS`` as a user whose terminal speaks ``lang``."""
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES")}
    env["LANG"] = lang
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nbopen.cli.main",
            "compete",
            args[0],
            "--endpoint",
            live.url,
            "--token",
            token,
            *args[1:],
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    if check:
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc.stdout
    assert proc.returncode != 0, (args, proc.stdout)
    return proc.stderr


def wait_scored(live: LiveServer, token: str, slug: str, number: int) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found: dict[str, Any] = json.loads(compete(live, token, "status", slug, str(number)))
        if found["state"] in ("finished", "failed"):
            return found
        time.sleep(0.2)
    raise AssertionError(f"submission {number} was not scored")


def api(live: LiveServer, token: str | None, path: str, method: str = "GET", **kw: Any) -> Any:
    return request(live.url + path, method, token=token, **kw)


@pytest.fixture(scope="module")
def world(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from huggingface_hub import HfApi

    tokens = {name: server.create_user(name) for name in ("host", "alice", "bob", "eve")}
    server.cli("org", "create", ORG, "--kind", "government", "--owner", "host")
    api_create_repo(
        server, tokens["host"], "harbour", organization=ORG, private=True, type="dataset"
    )
    HfApi(endpoint=server.url, token=tokens["host"]).upload_file(
        path_or_fileobj=b"id,feature\nr00,1\nr01,2\n",
        path_in_repo="train.csv",
        repo_id=f"{ORG}/harbour",
        repo_type="dataset",
    )
    work = tmp_path_factory.mktemp("files")
    (work / "gt.csv").write_text(_ground_truth())
    return {"tokens": tokens, "work": work}


@pytest.mark.once
def test_competition_end_to_end(server: LiveServer, world: dict[str, Any]) -> None:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError

    tokens, work = world["tokens"], world["work"]
    host, alice, bob, eve = (tokens[n] for n in ("host", "alice", "bob", "eve"))
    out = compete(
        server,
        host,
        "create",
        "harbour-eta",
        "--org",
        ORG,
        "--title",
        "Harbour ETA",
        "--dataset",
        f"{ORG}/harbour",
        "--ground-truth",
        str(work / "gt.csv"),
        "--metric",
        "accuracy",
        "--daily-quota",
        "2",
        "--terms",
        "Use the data for this only.",
    )
    assert out.strip() == "harbour-eta"
    assert "harbour-eta" in compete(server, eve, "list")

    # Before accepting the terms the private dataset is not there for a participant.
    with pytest.raises(HfHubHTTPError):
        snapshot_download(
            f"{ORG}/harbour",
            repo_type="dataset",
            endpoint=server.url,
            token=alice,
            local_dir=str(work / "early"),
        )
    refused = compete(
        server, alice, "download", "harbour-eta", "--local-dir", str(work / "x"), check=False
    )
    assert f"{ORG}/harbour" in refused and "Traceback" not in refused
    assert "--accept-terms" in compete(server, alice, "join", "harbour-eta", check=False)
    compete(server, alice, "join", "harbour-eta", "--team", "Alpha", "--accept-terms")
    compete(server, bob, "join", "harbour-eta", "--team", "Beta", "--accept-terms")
    # The terms opened the dataset through the policy: the real Hub client downloads it.
    paths = compete(
        server, alice, "download", "harbour-eta", "--local-dir", str(work / "alice")
    ).split()
    assert (Path(paths[0]) / "train.csv").read_text().startswith("id,feature")
    snapshot_download(
        f"{ORG}/harbour",
        repo_type="dataset",
        endpoint=server.url,
        token=bob,
        local_dir=str(work / "bob"),
    )

    # Alice: public 10/10, private 5/10. Bob: wrong columns first (fails, no quota used),
    # then public 8/10, private 9/10.
    (work / "a.csv").write_text(_predictions(10, 5))
    (work / "wrong.csv").write_text("ident,label\nr00,1\n")
    (work / "b.csv").write_text(_predictions(8, 9))
    a1 = int(compete(server, alice, "submit", "harbour-eta", str(work / "a.csv"), "-m", "first"))
    wrong = int(compete(server, bob, "submit", "harbour-eta", str(work / "wrong.csv")))
    failed = wait_scored(server, bob, "harbour-eta", wrong)
    assert failed["state"] == "failed" and failed["reason_code"] == "wrong_columns"
    assert "列不正确" in failed["reason"]  # a Chinese terminal: the reason in Chinese
    english = json.loads(
        compete(server, bob, "status", "harbour-eta", str(wrong), lang="en_US.UTF-8")
    )
    assert english["reason"] == "Wrong columns: expected id, target, found ident, label."
    b1 = int(compete(server, bob, "submit", "harbour-eta", str(work / "b.csv")))
    b2 = int(compete(server, bob, "submit", "harbour-eta", str(work / "b.csv")))  # 2 of 2
    scored = wait_scored(server, alice, "harbour-eta", a1)
    assert scored["state"] == "finished", scored
    assert scored["scores"] == {"public": {"accuracy": 1.0}}  # the private score is hidden
    for number in (b1, b2):
        assert wait_scored(server, bob, "harbour-eta", number)["state"] == "finished"
    refused = compete(server, bob, "submit", "harbour-eta", str(work / "b.csv"), check=False)
    assert "429" in refused and "Daily quota" in refused
    # A participant sees only their own team's submissions.
    assert [
        s["team"]
        for s in map(json.loads, compete(server, bob, "status", "harbour-eta").splitlines())
    ] == ["Beta"] * 3

    # The pages, in Chinese by default: bob's failure reason translated, the form, the board.
    browser = web_login(server, "bob")
    mine = browser.get("/competitions/harbour-eta?tab=submissions").body.decode()
    assert "列不正确" in mine and 'id="submit-form"' in mine
    board_page = api(server, None, "/competitions/harbour-eta?tab=leaderboard").body.decode()
    assert "排行榜" in board_page and "Alpha" in board_page
    assert (
        'id="not-revealed"'
        in api(
            server, None, "/competitions/harbour-eta?tab=leaderboard&split=private"
        ).body.decode()
    )

    public = json.loads(compete(server, eve, "leaderboard", "harbour-eta", "--json"))
    assert public == [
        {"team": "Alpha", "rank": 1, "score": 1.0},
        {"team": "Beta", "rank": 2, "score": 0.8},
    ]
    assert "403" in compete(server, alice, "leaderboard", "harbour-eta", "--private", check=False)
    hidden = api(server, alice, "/api/v1/competitions/harbour-eta/leaderboard?split=private")
    assert hidden.status == 403

    assert compete(server, host, "close", "harbour-eta").strip() == "finished"
    private = json.loads(compete(server, eve, "leaderboard", "harbour-eta", "--private", "--json"))
    assert private == [
        {"team": "Beta", "rank": 1, "score": 0.9},
        {"team": "Alpha", "rank": 2, "score": 0.5},
    ]
    board_csv = api(
        server, None, "/api/v1/competitions/harbour-eta/leaderboard?split=private&format=csv"
    )
    assert board_csv.status == 200 and board_csv.body.decode().splitlines()[1].startswith("1,Beta")
    # The analytics event log has the joins, the submissions and the final ranks.
    kinds = [row[0] for row in _events(server)]
    assert kinds.count("competition.join") == 2
    assert kinds.count("competition.submission") == 4
    assert kinds.count("competition.final_rank") == 2

    _ground_truth_unreachable(server, world)


def _events(live: LiveServer) -> list[tuple[Any, ...]]:
    from tests.support.client import db_rows

    return db_rows(live, "SELECT kind FROM core_event WHERE kind LIKE %s", ["competition.%"])


def _ground_truth_unreachable(live: LiveServer, world: dict[str, Any]) -> None:
    """No page, API, Hub, git or search route answers with the ground truth's bytes."""
    from huggingface_hub import HfApi

    tokens = world["tokens"]
    host, alice = tokens["host"], tokens["alice"]
    slug = "harbour-eta"
    paths = [
        f"/api/v1/competitions/{slug}",
        "/api/v1/competitions",
        f"/api/v1/competitions/{slug}/submissions",
        f"/api/v1/competitions/{slug}/leaderboard?split=private&format=csv",
        f"/api/v1/competitions/{slug}/ground-truth",
        f"/competitions/{slug}",
        f"/competitions/{slug}?tab=data",
        f"/competitions/{slug}?tab=evaluation",
        f"/api/datasets/{ORG}/harbour/tree/main",
        f"/datasets/{ORG}/harbour",
        f"/api/v1/search?q={MARKER}",
        f"/datasets/{ORG}/harbour.git/info/refs?service=git-upload-pack",
    ]
    for token in (None, alice, host):
        for path in paths:
            answer = api(live, token, path)
            assert MARKER.encode() not in answer.body, (path, token is not None)
    # The search page echoes its query: the marker may appear as often as any other query does.
    for token in (None, alice, host):
        other = "ZZMARK-000000"
        found = api(live, token, f"/search?q={MARKER}").body.count(MARKER.encode())
        assert found == api(live, token, f"/search?q={other}").body.count(other.encode())
    for token in (alice, host):
        files = HfApi(endpoint=live.url, token=token).list_repo_files(
            f"{ORG}/harbour", repo_type="dataset"
        )
        assert files and all("gt" not in name and "truth" not in name for name in files)
    # LFS resolves oids in its own key space: the ground truth's sha256 is not an object there.
    import hashlib

    truth = (world["work"] / "gt.csv").read_bytes()
    oid = hashlib.sha256(truth).hexdigest()
    for token in (alice, host):
        batch = api(
            live,
            token,
            f"/datasets/{ORG}/harbour.git/info/lfs/objects/batch",
            "POST",
            body=json.dumps(
                {"operation": "download", "objects": [{"oid": oid, "size": len(truth)}]}
            ).encode(),
            headers={
                "Accept": "application/vnd.git-lfs+json",
                "Content-Type": "application/vnd.git-lfs+json",
            },
        )
        assert b'"href"' not in batch.body and MARKER.encode() not in batch.body, batch.body
    # The host's own upload route is write-only: GET is not a method it answers.
    assert api(live, host, f"/api/v1/competitions/{slug}/ground-truth").status == 405
    # Not in any revision of the dataset: a real clone, every file of its history checked out.
    clone = world["work"] / "clone"
    subprocess.run(
        ["git", "clone", "-q", authed(live, host, f"/datasets/{ORG}/harbour.git"), str(clone)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    history = subprocess.run(
        ["git", "-C", str(clone), "log", "-p", "--all", "--binary"],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    assert b"train.csv" in history and MARKER.encode() not in history


def test_draft_is_invisible_to_outsiders(server: LiveServer, world: dict[str, Any]) -> None:
    tokens, work = world["tokens"], world["work"]
    compete(
        server,
        tokens["host"],
        "create",
        "secret-draft",
        "--org",
        ORG,
        "--dataset",
        f"{ORG}/harbour",
        "--ground-truth",
        str(work / "gt.csv"),
        "--draft",
    )
    for token in (None, tokens["eve"]):
        assert api(server, token, "/api/v1/competitions/secret-draft").status == 404
        listing = api(server, token, "/api/v1/competitions").json()["competitions"]
        assert "secret-draft" not in [c["slug"] for c in listing]
        assert api(server, token, "/competitions/secret-draft").status == 404
    assert (
        api(
            server, tokens["eve"], "/api/v1/competitions/secret-draft/join", "POST", json_body={}
        ).status
        == 404
    )
    assert api(server, tokens["host"], "/api/v1/competitions/secret-draft").status == 200


SCORER = """
import socket


def evaluate(ground_truth_path, submission_path, phase):
    mode = open(submission_path).read().strip()
    if mode == "loop":
        while True:
            pass
    if mode == "memory":
        blocks = []
        while True:
            blocks.append(bytearray(50 << 20))
    if mode == "network":
        socket.create_connection(("127.0.0.1", 1), timeout=2)
    if mode == "peek":
        print(open(ground_truth_path).read()[:20])
    return {"public": {"score": 0.75}, "private": {"score": 0.5}}
"""


@pytest.mark.once
def test_malicious_scorer_fails_and_the_worker_lives(
    server: LiveServer, world: dict[str, Any]
) -> None:
    tokens, work = world["tokens"], world["work"]
    (work / "scorer.py").write_text(SCORER)
    compete(
        server,
        tokens["host"],
        "create",
        "evil-scorer",
        "--org",
        ORG,
        "--dataset",
        f"{ORG}/harbour",
        "--ground-truth",
        str(work / "gt.csv"),
        "--metric",
        "score",
        "--scorer",
        str(work / "scorer.py"),
        "--daily-quota",
        "20",
    )
    carol = server.create_user("carol")
    compete(server, carol, "join", "evil-scorer", "--accept-terms")
    reasons = {}
    for mode in ("loop", "memory", "network", "ok"):
        (work / f"{mode}.txt").write_text(mode)
        number = int(compete(server, carol, "submit", "evil-scorer", str(work / f"{mode}.txt")))
        reasons[mode] = wait_scored(server, carol, "evil-scorer", number)
    assert reasons["loop"]["state"] == "failed"
    assert reasons["loop"]["reason_code"] in {"cpu", "timeout"}, reasons["loop"]
    assert reasons["memory"]["reason_code"] == "memory", reasons["memory"]
    assert "400 MiB" in reasons["memory"]["reason"]
    assert reasons["network"]["reason_code"] == "scorer_error", reasons["network"]
    assert reasons["ok"]["state"] == "finished"
    assert reasons["ok"]["scores"] == {"public": {"score": 0.75}}
    # Failures used no quota: only the one scored submission counts.
    detail = api(server, carol, "/api/v1/competitions/evil-scorer").json()
    assert detail["me"]["quota"]["daily"] == 19
    # The host reads the scorer's output; the participant does not.
    host_view = api(server, tokens["host"], "/api/v1/competitions/evil-scorer/submissions").json()
    assert all("log" in s for s in host_view["submissions"])
    assert all(
        "log" not in s
        for s in api(server, carol, "/api/v1/competitions/evil-scorer/submissions").json()[
            "submissions"
        ]
    )
    # The host fixes the scorer and re-scores: the loop is gone, every submission scores.
    (work / "fixed.py").write_text(
        "def evaluate(ground_truth_path, submission_path, phase):\n"
        "    return {'public': {'score': 0.5}}\n"
    )
    fixed = request(
        server.url + "/api/v1/competitions/evil-scorer/scorer",
        "PUT",
        body=(work / "fixed.py").read_bytes(),
        token=tokens["host"],
    )
    assert fixed.status == 200
    queued = api(server, tokens["host"], "/api/v1/competitions/evil-scorer/rescore", "POST")
    assert queued.json() == {"queued": 4}
    assert wait_scored(server, carol, "evil-scorer", int(reasons["loop"]["id"]))["scores"] == {
        "public": {"score": 0.5}
    }


@pytest.mark.once
def test_join_and_submit_in_the_browser(server: LiveServer, world: dict[str, Any]) -> None:
    """The pages' forms, in Chinese: the terms must be ticked, then join, submit, see it."""
    tokens, work = world["tokens"], world["work"]
    compete(
        server, tokens["host"], "create", "web-comp", "--org", ORG, "--dataset",
        f"{ORG}/harbour", "--ground-truth", str(work / "gt.csv"),
    )  # fmt: skip
    dora = server.create_user("dora")
    assert dora
    browser = web_login(server, "dora")
    page = browser.get("/competitions/web-comp").body.decode()
    assert 'id="join-form"' in page and "报名" in page
    unticked = browser.post("/competitions/web-comp/join", {"team": "Delta"}, "/competitions")
    assert unticked.status == 400 and "请先接受条款再报名" in unticked.body.decode()
    joined = browser.post(
        "/competitions/web-comp/join", {"team": "Delta", "accept": "1"}, "/competitions"
    )
    assert joined.status == 302, joined.status
    boundary = "----nbopen-test"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f"{browser.cookies['csrftoken']}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\n网页提交\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n{_predictions(10, 10)}\r\n--{boundary}--\r\n"
    ).encode()
    sent = request(
        server.url + "/competitions/web-comp/submit",
        "POST",
        body=body,
        headers={
            "Cookie": browser.cookie_header(),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Referer": server.url + "/competitions/web-comp",
        },
    )
    assert sent.status == 302, (sent.status, sent.body[:300])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        mine = browser.get("/competitions/web-comp?tab=submissions").body.decode()
        if "accuracy 1.0" in mine:
            break
        time.sleep(0.3)
    assert "网页提交" in mine and "accuracy 1.0" in mine


def test_a_burst_cannot_overrun_the_quota(server: LiveServer, world: dict[str, Any]) -> None:
    """Six submissions at once against a daily quota of two: exactly two are taken (the
    check and the insert are one transaction, serialized per team)."""
    from concurrent.futures import ThreadPoolExecutor

    tokens, work = world["tokens"], world["work"]
    compete(
        server, tokens["host"], "create", "burst", "--org", ORG, "--dataset", f"{ORG}/harbour",
        "--ground-truth", str(work / "gt.csv"), "--daily-quota", "2",
    )  # fmt: skip
    fay = server.create_user("fay")
    joined = api(server, fay, "/api/v1/competitions/burst/join", "POST", json_body={})
    assert joined.status == 200, joined.body
    body = _predictions(7, 7).encode()

    def send(_: int) -> int:
        return api(server, fay, "/api/v1/competitions/burst/submissions", "POST", body=body).status

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(send, range(6)))
    assert statuses == [201, 201, 429, 429, 429, 429]


@pytest.mark.once
def test_teams_finals_and_winners_from_the_command_line(
    server: LiveServer, world: dict[str, Any]
) -> None:
    """Invite and accept, a merge refused by the size rule, a chosen final that wins the
    private ranking the default would have lost, the winner's repository on the leaderboard
    entry and as reuse, and the rank on the winner's profile."""
    tokens, work = world["tokens"], world["work"]
    host, alice, bob, eve = (tokens[n] for n in ("host", "alice", "bob", "eve"))
    compete(
        server, host, "create", "team-comp", "--org", ORG, "--dataset", f"{ORG}/harbour",
        "--ground-truth", str(work / "gt.csv"), "--daily-quota", "3", "--max-team-size", "2",
        "--final-submissions", "1", "--winners-publish", "1",
    )  # fmt: skip
    compete(server, alice, "join", "team-comp", "--team", "Gulls")
    compete(server, bob, "join", "team-comp", "--team", "Terns")
    compete(server, alice, "team", "invite", "team-comp", "eve")
    invited = json.loads(compete(server, eve, "team", "show", "team-comp"))
    assert invited["team"] is None
    assert invited["invitations"] == [{"team": "Gulls", "by": "alice"}]
    gulls = json.loads(compete(server, eve, "team", "accept", "team-comp", "Gulls"))
    assert gulls["members"] == ["alice", "eve"] and gulls["team"] == "Gulls"
    terns = json.loads(compete(server, bob, "team", "show", "team-comp"))
    assert "join_code" not in invited and terns["members"] == ["bob"]
    refused = compete(server, alice, "team", "merge", "team-comp", terns["join_code"], check=False)
    assert "3" in refused and "2" in refused and "Traceback" not in refused  # size 2 + 1 > 2

    (work / "g1.csv").write_text(_predictions(10, 2))  # best public, poor private
    (work / "g2.csv").write_text(_predictions(6, 10))  # modest public, perfect private
    (work / "t1.csv").write_text(_predictions(8, 8))
    g1 = int(compete(server, alice, "submit", "team-comp", str(work / "g1.csv")))
    g2 = int(compete(server, eve, "submit", "team-comp", str(work / "g2.csv")))
    t1 = int(compete(server, bob, "submit", "team-comp", str(work / "t1.csv")))
    for token, number in ((alice, g1), (alice, g2), (bob, t1)):
        assert wait_scored(server, token, "team-comp", number)["state"] == "finished"
    assert json.loads(compete(server, eve, "finals", "team-comp"))["counting"] == [g1]
    assert str(g1) in compete(server, bob, "finals", "team-comp", str(g1), check=False)
    chosen = json.loads(compete(server, eve, "finals", "team-comp", str(g2)))
    assert chosen["selected"] == [g2] and chosen["counting"] == [g2]
    # Bob sees his team's finals only; another team's submission cannot be picked.
    assert json.loads(compete(server, bob, "finals", "team-comp"))["counting"] == [t1]
    early = api(server, alice, "/api/v1/competitions/team-comp/leaderboard?split=private")
    assert early.status == 403
    too_early = compete(server, alice, "winners", "team-comp", "--link", "alice/x", check=False)
    assert "403" in too_early  # not before the last phase has ended

    compete(server, host, "close", "team-comp")
    board = json.loads(compete(server, alice, "leaderboard", "team-comp", "--private", "--json"))
    assert board == [
        {"team": "Gulls", "rank": 1, "score": 1.0},  # the chosen final, not the best public
        {"team": "Terns", "rank": 2, "score": 0.8},
    ]
    api_create_repo(server, alice, "gull-model", type="model")
    api_create_repo(server, bob, "tern-model", type="model")
    # Eve is a winner but may not write alice's repository: refused.
    assert "403" in compete(
        server, eve, "winners", "team-comp", "--link", "alice/gull-model", check=False
    )
    linked = json.loads(
        compete(server, alice, "winners", "team-comp", "--link", "alice/gull-model")
    )
    assert linked == {"team": "Gulls", "repository": "alice/gull-model", "type": "model"}
    assert "403" in compete(
        server, bob, "winners", "team-comp", "--link", "bob/tern-model", check=False
    )  # second place: not among the top 1
    winners = json.loads(compete(server, bob, "winners", "team-comp"))
    assert winners["winners"][0]["team"] == "Gulls"
    assert winners["winners"][0]["repositories"] == [{"name": "alice/gull-model", "type": "model"}]
    rows = json.loads(
        api(server, None, "/api/v1/competitions/team-comp/leaderboard?split=private").body
    )["rows"]
    assert rows[0]["repositories"] == [{"name": "alice/gull-model", "type": "model"}]
    page = request(server.url + "/competitions/team-comp").body.decode()
    assert "alice/gull-model" in page
    profile = request(server.url + "/eve").body.decode()
    assert 'id="competition-results"' in profile and "team-comp" in profile
    ranks = _events(server)
    assert sum(1 for (kind,) in ranks if kind == "competition.winner") == 1

"""git over SSH with the real OpenSSH client and a generated key, against ``nbopen serve
--ssh-port``: clone, push (recorded and indexed like an HTTP push), LFS over SSH
(``git-lfs-authenticate``), refusals for unknown and revoked keys and private repositories,
and deploy keys."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.accounts import web_login
from tests.support.client import api_create_repo, authed, db_rows, git, request
from tests.support.live import LiveServer, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.once]


@pytest.fixture(scope="module")
def ssh_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    port = free_port()
    server = LiveServer(tmp_path_factory.mktemp("ssh-live"), env={"NBOPEN_SSH_PORT": str(port)})
    server.ssh_port = port  # type: ignore[attr-defined]
    server.start()
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(4).startswith(b"SSH-"):
                    break
        except OSError:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError("the SSH server did not come up:\n" + server.log()) from None
            time.sleep(0.2)
    yield server
    server.stop()


def _keypair(path: Path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", str(path)],
        check=True,
    )
    return (path.with_suffix(".pub")).read_text().strip()


def _fingerprint(path: Path) -> str:
    out = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(path)], capture_output=True, text=True
    )
    return out.stdout.split()[1]


def _ssh_env(key: Path, port: int) -> dict[str, str]:
    return {
        "GIT_SSH_COMMAND": (
            f"ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
            f" -o IdentitiesOnly=yes -o BatchMode=yes -o LogLevel=ERROR -i {key} -p {port}"
        ),
        "GIT_TERMINAL_PROMPT": "0",
    }


def _ssh_url(server: LiveServer, path: str) -> str:
    return f"ssh://git@127.0.0.1:{server.ssh_port}/{path}"  # type: ignore[attr-defined]


def _commit(work: Path, name: str, text: str) -> str:
    if not (work / ".git").exists():
        git("init", "-q", "-b", "main", str(work))
    (work / name).write_text(text, encoding="utf-8")
    git("add", "-A", cwd=work)
    git("commit", "-qm", f"add {name}", cwd=work)
    return git("rev-parse", "HEAD", cwd=work).stdout.strip()


def _add_key(
    server: LiveServer, token: str, public: str, path: str = "/api/v1/user/keys", **extra: object
) -> dict:
    response = request(
        server.url + path,
        "POST",
        json_body={"title": "laptop", "key": public, **extra},
        token=token,
    )
    assert response.status == 201, (response.status, response.body)
    return response.json()


@pytest.fixture(scope="module")
def alice(ssh_live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    token = ssh_live.create_user("ssh-alice")
    key = tmp_path_factory.mktemp("alice-key") / "id_ed25519"
    public = _keypair(key)
    added = _add_key(ssh_live, token, public)
    return {"token": token, "key": key, "added": added, "public": public}


def test_key_api_has_gitea_shapes(ssh_live: LiveServer, alice: dict) -> None:
    added = alice["added"]
    key = alice["key"]
    assert isinstance(key, Path)
    assert added["fingerprint"] == _fingerprint(key)
    assert added["key"] == " ".join(str(alice["public"]).split()[:2])
    assert added["key_type"] == "user" and added["read_only"] is False
    assert added["url"] == f"{ssh_live.url}/api/v1/user/keys/{added['id']}"
    listed = request(ssh_live.url + "/api/v1/user/keys", token=str(alice["token"])).json()
    assert [k["id"] for k in listed] == [added["id"]]
    one = request(ssh_live.url + f"/api/v1/user/keys/{added['id']}", token=str(alice["token"]))
    assert one.status == 200 and one.json()["title"] == "laptop"
    # The same key twice, or garbage: 422 as on Gitea. Another user cannot see the key.
    again = request(
        ssh_live.url + "/api/v1/user/keys",
        "POST",
        json_body={"title": "x", "key": alice["public"]},
        token=str(alice["token"]),
    )
    assert again.status == 422
    bad = request(
        ssh_live.url + "/api/v1/user/keys",
        "POST",
        json_body={"title": "x", "key": "ssh-ed25519 AAAAnotakey"},
        token=str(alice["token"]),
    )
    assert bad.status == 422
    bob = ssh_live.create_user("ssh-bob-api")
    assert request(ssh_live.url + f"/api/v1/user/keys/{added['id']}", token=bob).status == 404
    assert request(ssh_live.url + "/api/v1/user/keys").status == 401


def test_push_and_clone_over_ssh_like_http(
    ssh_live: LiveServer,
    alice: dict,
    tmp_path: Path,
) -> None:
    token = str(alice["token"])
    repo = api_create_repo(ssh_live, token, "viassh", type="model")
    env = _ssh_env(Path(str(alice["key"])), ssh_live.ssh_port)  # type: ignore[attr-defined]
    work = tmp_path / "work"
    head = _commit(work, "README.md", "# quokkasshword\nPushed over SSH.\n")
    git("push", "-q", _ssh_url(ssh_live, "ssh-alice/viassh.git"), "main", cwd=work, env=env)
    # The same hooks as over HTTP: server-owned refs stay server-owned.
    convert = _ssh_git(
        env, "push", _ssh_url(ssh_live, "ssh-alice/viassh.git"), "main:refs/convert/x", cwd=work
    )
    assert convert.returncode != 0 and "dataset converter only" in convert.stderr
    # Pull request heads are the server's: refused over SSH too (no language sent: Chinese).
    pull = _ssh_git(
        env, "push", _ssh_url(ssh_live, "ssh-alice/viassh.git"), "main:refs/pull/1/head", cwd=work
    )
    assert pull.returncode != 0, pull.stderr
    assert "remote: refs/pull/1/head 由服务器为合并请求维护" in pull.stderr, pull.stderr

    # The Hub API sees the commit, the event log has the push with its actor, search finds it.
    info = request(ssh_live.url + "/api/models/ssh-alice/viassh", token=token).json()
    assert info["sha"] == head
    rows = db_rows(
        ssh_live,
        "SELECT actor_name FROM core_event WHERE kind = %s AND repository_id = %s",
        ("repo.push", int(repo["id"])),
    )
    assert rows == [("ssh-alice",)]
    deadline = time.monotonic() + 20
    while True:
        hits = request(ssh_live.url + "/api/v1/search?q=quokkasshword").json()["results"]
        if any(h["id"] == "ssh-alice/viassh" for h in hits) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert any(h["id"] == "ssh-alice/viassh" for h in hits)

    # Clone back over SSH (scp-style URL and protocol v2), then over HTTP: the same commit.
    clone = tmp_path / "clone"
    scp_env = {
        **env,
        "GIT_SSH_COMMAND": env["GIT_SSH_COMMAND"].replace(
            f"-p {ssh_live.ssh_port}",  # type: ignore[attr-defined]
            f"-o Port={ssh_live.ssh_port}",  # type: ignore[attr-defined]
        ),
    }
    git(
        "-c", "protocol.version=2", "clone", "-q", "git@127.0.0.1:ssh-alice/viassh.git",
        str(clone), env=scp_env,
    )  # fmt: skip
    assert git("rev-parse", "HEAD", cwd=clone).stdout.strip() == head
    assert (clone / "README.md").read_text(encoding="utf-8").startswith("# quokkasshword")
    archive = subprocess.run(
        ["git", "archive", f"--remote={_ssh_url(ssh_live, 'ssh-alice/viassh.git')}", "main"],
        capture_output=True, env={**os.environ, **env}, check=True,
    )  # fmt: skip
    assert b"quokkasshword" in archive.stdout  # git-upload-archive: a tar of main


def test_lfs_over_ssh(ssh_live: LiveServer, alice: dict, tmp_path: Path) -> None:
    token = str(alice["token"])
    api_create_repo(ssh_live, token, "lfsssh", type="model")
    env = _ssh_env(Path(str(alice["key"])), ssh_live.ssh_port)  # type: ignore[attr-defined]
    url = _ssh_url(ssh_live, "ssh-alice/lfsssh.git")
    work = tmp_path / "work"
    git("init", "-q", "-b", "main", str(work))
    git("lfs", "track", "*.bin", cwd=work)
    payload = os.urandom(300_000)
    (work / "weights.bin").write_bytes(payload)
    git("add", "-A", cwd=work)
    git("commit", "-qm", "weights", cwd=work)
    pushed = git("push", "-q", url, "main", cwd=work, env={**env, "GIT_TRACE": "1"})
    assert "git-lfs-authenticate" in pushed.stderr  # git-lfs asked over SSH, then used HTTP

    clone = tmp_path / "clone"
    git("clone", "-q", url, str(clone), env=env)
    assert (clone / "weights.bin").read_bytes() == payload
    # The object really went through the LFS store (a pointer in git), not git itself.
    pointer = git("show", "HEAD:weights.bin", cwd=clone).stdout
    assert pointer.startswith("version https://git-lfs.github.com/spec/v1")

    # What git-lfs-authenticate answers: an HTTP endpoint and a short-lived token for it.
    answer = subprocess.run(
        [*env["GIT_SSH_COMMAND"].split(), "git@127.0.0.1", "git-lfs-authenticate",
         "ssh-alice/lfsssh.git", "download"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    import json

    data = json.loads(answer.stdout)
    assert data["href"] == f"{ssh_live.url}/ssh-alice/lfsssh.git/info/lfs"
    assert data["header"]["Authorization"].startswith("Bearer nbssh_")
    assert 0 < data["expires_in"] <= 3600


def _ssh_git(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return git(*args, cwd=cwd, env=env, check=False)


def test_refusals(ssh_live: LiveServer, alice: dict, tmp_path: Path) -> None:
    token = str(alice["token"])
    api_create_repo(ssh_live, token, "hidden", private=True)
    api_create_repo(ssh_live, token, "open")
    work = tmp_path / "work"
    _commit(work, "a.txt", "a\n")
    git("push", "-q", authed(ssh_live, token, "/ssh-alice/hidden.git"), "main", cwd=work)
    git("push", "-q", authed(ssh_live, token, "/ssh-alice/open.git"), "main", cwd=work)
    port = ssh_live.ssh_port  # type: ignore[attr-defined]

    # An unknown key cannot sign in at all.
    stranger = tmp_path / "stranger"
    _keypair(stranger)
    out = _ssh_git(_ssh_env(stranger, port), "ls-remote", _ssh_url(ssh_live, "ssh-alice/open"))
    assert out.returncode != 0 and "Permission denied" in out.stderr

    # Bob's key: the private repository is "not found" for him, exactly as a missing one;
    # the public one reads, but he cannot push to it.
    bob = ssh_live.create_user("ssh-bob")
    bob_key = tmp_path / "bob"
    added = _add_key(ssh_live, bob, _keypair(bob_key))
    bob_env = _ssh_env(bob_key, port)
    hidden = _ssh_git(bob_env, "ls-remote", _ssh_url(ssh_live, "ssh-alice/hidden.git"))
    missing = _ssh_git(bob_env, "ls-remote", _ssh_url(ssh_live, "ssh-alice/nothing.git"))
    assert hidden.returncode != 0 and "Repository not found" in hidden.stderr
    assert missing.returncode != 0 and "Repository not found" in missing.stderr
    assert _ssh_git(bob_env, "ls-remote", _ssh_url(ssh_live, "ssh-alice/open")).returncode == 0
    pushed = _ssh_git(bob_env, "push", _ssh_url(ssh_live, "ssh-alice/open"), "main:other", cwd=work)
    assert pushed.returncode != 0 and "write access" in pushed.stderr
    lfs = subprocess.run(
        [*bob_env["GIT_SSH_COMMAND"].split(), "git@127.0.0.1", "git-lfs-authenticate",
         "ssh-alice/hidden.git", "download"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert lfs.returncode != 0 and "Repository not found" in lfs.stderr

    # Revoked: after DELETE the same key is refused at the next connection.
    deleted = request(ssh_live.url + f"/api/v1/user/keys/{added['id']}", "DELETE", token=bob)
    assert deleted.status == 204
    out = _ssh_git(bob_env, "ls-remote", _ssh_url(ssh_live, "ssh-alice/open"))
    assert out.returncode != 0 and "Permission denied" in out.stderr


def test_deploy_keys(ssh_live: LiveServer, alice: dict, tmp_path: Path) -> None:
    token = str(alice["token"])
    api_create_repo(ssh_live, token, "deployed", private=True)
    api_create_repo(ssh_live, token, "other", private=True)
    work = tmp_path / "work"
    _commit(work, "a.txt", "a\n")
    for name in ("deployed", "other"):
        git("push", "-q", authed(ssh_live, token, f"/ssh-alice/{name}.git"), "main", cwd=work)
    port = ssh_live.ssh_port  # type: ignore[attr-defined]
    ro_key, rw_key = tmp_path / "ro", tmp_path / "rw"
    keys_path = "/api/v1/repos/ssh-alice/deployed/keys"
    ro = _add_key(ssh_live, token, _keypair(ro_key), keys_path)
    rw = _add_key(ssh_live, token, _keypair(rw_key), keys_path, read_only=False)
    assert ro["read_only"] is True and rw["read_only"] is False and ro["key_type"] == "deploy"
    assert ro["url"] == f"{ssh_live.url}/api/v1/repos/ssh-alice/deployed/keys/{ro['id']}"
    listed = request(ssh_live.url + keys_path, token=token).json()
    assert sorted(k["id"] for k in listed) == sorted([ro["id"], rw["id"]])
    # Only an admin of the repository manages its deploy keys.
    outsider = ssh_live.create_user("ssh-carol")
    assert request(ssh_live.url + keys_path, token=outsider).status == 404

    ro_env, rw_env = _ssh_env(ro_key, port), _ssh_env(rw_key, port)
    url = _ssh_url(ssh_live, "ssh-alice/deployed.git")
    clone = tmp_path / "clone"
    assert _ssh_git(ro_env, "clone", "-q", url, str(clone)).returncode == 0
    head = _commit(clone, "b.txt", "b\n")
    refused = _ssh_git(ro_env, "push", url, "main", cwd=clone)
    assert refused.returncode != 0 and "write access" in refused.stderr
    assert _ssh_git(rw_env, "push", "-q", url, "main", cwd=clone).returncode == 0
    for key_env, allowed in ((ro_env, False), (rw_env, True)):  # LFS uploads follow suit
        lfs = subprocess.run(
            [*key_env["GIT_SSH_COMMAND"].split(), "git@127.0.0.1", "git-lfs-authenticate",
             "ssh-alice/deployed.git", "upload"],
            capture_output=True, text=True,
        )  # fmt: skip
        assert (lfs.returncode == 0) is allowed, lfs.stderr
    remote = git("ls-remote", authed(ssh_live, token, "/ssh-alice/deployed.git"), "main").stdout
    assert remote.split()[0] == head
    # A deploy key reaches nothing but its repository.
    other = _ssh_git(rw_env, "ls-remote", _ssh_url(ssh_live, "ssh-alice/other.git"))
    assert other.returncode != 0 and "Repository not found" in other.stderr
    # Removed: refused from the next connection on.
    gone = request(ssh_live.url + f"{keys_path}/{rw['id']}", "DELETE", token=token)
    assert gone.status == 204
    assert _ssh_git(rw_env, "ls-remote", url).returncode != 0


def test_settings_page_adds_and_removes_keys(ssh_live: LiveServer, tmp_path: Path) -> None:
    token = ssh_live.create_user("ssh-dora")
    browser = web_login(ssh_live, "ssh-dora")
    key = tmp_path / "dora"
    public = _keypair(key)
    page = browser.get("/settings/keys")
    html = page.body.decode()
    assert page.status == 200 and "SSH 密钥" in html  # Chinese by default
    assert f"ssh://git@127.0.0.1:{ssh_live.ssh_port}/ssh-dora/REPO.git" in html  # type: ignore[attr-defined]
    assert 'href="/settings/keys"' in browser.get("/").body.decode()  # in the account menu
    assert 'href="/settings/keys" aria-current="page"' in html  # and in the settings sidebar

    bad = browser.post("/settings/keys", {"title": "x", "key": "not a key"}, "/settings/keys")
    assert bad.status == 200 and "这不是有效的 SSH 公钥" in bad.body.decode()
    added = browser.post(
        "/settings/keys", {"title": "dora-laptop", "key": public}, "/settings/keys"
    )
    assert added.status == 302
    html = browser.get("/settings/keys").body.decode()
    assert "dora-laptop" in html and _fingerprint(key) in html and "从未使用" in html

    # The key works, and its last use shows on the page.
    env = _ssh_env(key, ssh_live.ssh_port)  # type: ignore[attr-defined]
    api_create_repo(ssh_live, token, "pad")
    assert _ssh_git(env, "ls-remote", _ssh_url(ssh_live, "ssh-dora/pad")).returncode == 0
    assert "从未使用" not in browser.get("/settings/keys").body.decode()

    key_id = re.search(r"/settings/keys/(\d+)/delete", html)
    assert key_id is not None
    gone = browser.post(f"/settings/keys/{key_id[1]}/delete", {}, "/settings/keys")
    assert gone.status == 302
    assert "dora-laptop" not in browser.get("/settings/keys").body.decode()
    assert _ssh_git(env, "ls-remote", _ssh_url(ssh_live, "ssh-dora/pad")).returncode != 0


def test_datasets_path_and_greeting(ssh_live: LiveServer, alice: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    token = str(alice["token"])
    api_create_repo(ssh_live, token, "sshdata", type="dataset")
    env = _ssh_env(Path(str(alice["key"])), ssh_live.ssh_port)  # type: ignore[attr-defined]
    work = tmp_path / "work"
    head = _commit(work, "README.md", "# data\n")
    git("push", "-q", _ssh_url(ssh_live, "datasets/ssh-alice/sshdata"), "main", cwd=work, env=env)
    remote = git("ls-remote", f"{ssh_live.url}/datasets/ssh-alice/sshdata.git", "main").stdout
    assert remote.split()[0] == head
    # A plain ssh session says who the key is, and offers no shell.
    hello = subprocess.run(
        [*env["GIT_SSH_COMMAND"].split(), "-T", "git@127.0.0.1"], capture_output=True, text=True
    )
    assert hello.returncode == 1 and "Hi ssh-alice!" in hello.stderr

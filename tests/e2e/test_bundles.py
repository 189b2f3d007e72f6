"""Offline bundles (issue 17 item 5): ``nbopen bundle export`` on one deployment, ``nbopen
bundle import`` on a fresh one, and what a user then sees there — the same commit ids, the
same bytes through ``git clone`` + ``git lfs``, a private repository still private. A bundle
with one corrupted byte is refused naming the member and creates nothing; an import cut
short resumes without re-reading the members it already verified.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from tests.datasets.support import create_dataset, push_files
from tests.support.client import api_create_repo, authed, db_rows, git, git_path, request
from tests.support.live import NBOPEN, LiveServer

pytestmark = pytest.mark.e2e

WEIGHTS = os.urandom(2 * 1024 * 1024)
TABLE = os.urandom(256 * 1024)
XET = os.urandom(1024 * 1024)


@dataclass
class Exported:
    owner: str
    token: str
    file: Path
    refs: dict[str, dict[str, str]]  # "owner/name" → ls-remote of the source
    manifest: dict[str, object]


def _ls_remote(server: LiveServer, token: str, path: str) -> dict[str, str]:
    out = git("ls-remote", authed(server, token, path)).stdout
    refs = {}
    for line in out.splitlines():
        sha, ref = line.split("\t")
        if ref.startswith("refs/heads/") or ref.startswith("refs/tags/"):
            refs[ref] = sha
    return refs


@pytest.fixture(scope="module")
def exported(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    work = tmp_path_factory.mktemp("bundle-work")
    owner = "bnd" + uuid.uuid4().hex[:8]
    token = live.create_user(owner)
    # A model with an LFS weight file (git-lfs), two commits.
    api_create_repo(live, token, "model", type="model")
    model = work / "model"
    git("init", "-q", "-b", "main", str(model))
    git("lfs", "track", "*.bin", cwd=model)
    (model / "README.md").write_text("---\nlicense: mit\ntags: [harbour]\n---\n# crane model\n")
    git("add", ".", cwd=model)
    git("commit", "-qm", "card", cwd=model)
    (model / "weights.bin").write_bytes(WEIGHTS)
    git("add", ".", cwd=model)
    git("commit", "-qm", "weights", cwd=model)
    git("push", "-q", authed(live, token, f"/{owner}/model.git"), "main", cwd=model)
    # …and a file the default huggingface_hub client stores as Xet chunks (no LFS bytes).
    (work / "xet.bin").write_bytes(XET)
    HfApi(endpoint=live.url, token=token).upload_file(
        path_or_fileobj=str(work / "xet.bin"), path_in_repo="xet.bin", repo_id=f"{owner}/model"
    )
    xet_rows = db_rows(
        live,
        "SELECT COUNT(*) FROM xet_xetfile WHERE sha256 = %s",
        (hashlib.sha256(XET).hexdigest(),),
    )
    assert xet_rows[0][0] == 1, "the upload did not go through Xet"
    # A dataset with an LFS table.
    create_dataset(live, token, "tables")
    push_files(
        live, token, owner, "tables", work / "tables", {"t.dat": TABLE, "a.csv": b"x\n1\n"},
        lfs=("*.dat",),
    )  # fmt: skip
    # A private code repository with a tag.
    api_create_repo(live, token, "secret", private=True, type="code")
    code = work / "secret"
    git("init", "-q", "-b", "main", str(code))
    (code / "run.py").write_text("print(1)\n")
    git("add", ".", cwd=code)
    git("commit", "-qm", "one", cwd=code)
    git("tag", "v1", cwd=code)
    git("push", "-q", authed(live, token, f"/{owner}/secret.git"), "main", "v1", cwd=code)
    refs = {
        f"{owner}/model": _ls_remote(live, token, f"/{owner}/model.git"),
        f"{owner}/tables": _ls_remote(live, token, f"/datasets/{owner}/tables.git"),
        f"{owner}/secret": _ls_remote(live, token, f"/{owner}/secret.git"),
    }
    file = tmp_path_factory.mktemp("bundles") / "site.nbbundle"
    result = live.cli(
        "bundle", "export", f"{owner}/model", f"datasets/{owner}/tables", f"{owner}/secret",
        str(file),
    )  # fmt: skip
    summary = json.loads(result.stdout)
    assert summary["repositories"] == [f"{owner}/model", f"{owner}/tables", f"{owner}/secret"]
    with tarfile.open(file) as tar:
        stream = tar.extractfile("manifest.json")
        assert stream is not None
        manifest = json.loads(stream.read())
    return Exported(owner, token, file, refs, manifest)


def _fresh(tmp_path_factory: pytest.TempPathFactory, owner: str) -> LiveServer:
    target = LiveServer(tmp_path_factory.mktemp("bundle-target"))
    target.cli("migrate")
    target.cli(
        "user", "create", owner, "--email", f"{owner}@example.org", "--password", "pw-Secret9x"
    )
    return target


def _repo_count(server: LiveServer) -> int:
    return int(db_rows(server, "SELECT COUNT(*) FROM repos_repository")[0][0])


def test_manifest_lists_every_member_with_its_hash(exported: Exported) -> None:
    members = {m["name"]: m for m in exported.manifest["members"]}  # type: ignore[attr-defined]
    assert f"lfs/{hashlib.sha256(WEIGHTS).hexdigest()}" in members
    assert f"lfs/{hashlib.sha256(TABLE).hexdigest()}" in members
    assert f"lfs/{hashlib.sha256(XET).hexdigest()}" in members
    with tarfile.open(exported.file) as tar:
        names = tar.getnames()
        assert names[0] == "manifest.json"
        for name in names[1:]:
            stream = tar.extractfile(name)
            assert stream is not None
            data = stream.read()
            assert hashlib.sha256(data).hexdigest() == members[name]["sha256"]
            assert len(data) == members[name]["size"]
    repos = {m["name"]: m for m in exported.manifest["repositories"]}  # type: ignore[attr-defined]
    assert repos["secret"]["private"] is True and repos["model"]["private"] is False


@pytest.mark.once
def test_import_gives_same_history_and_bytes(
    exported: Exported, tmp_path_factory: pytest.TempPathFactory
) -> None:
    owner = exported.owner
    target = _fresh(tmp_path_factory, owner)
    result = target.cli("bundle", "import", str(exported.file))
    assert json.loads(result.stdout)["members_skipped"] == 0
    target.start(migrate=False)
    try:
        token = target.token(owner)
        assert _ls_remote(target, token, f"/{owner}/model.git") == exported.refs[f"{owner}/model"]
        assert (
            _ls_remote(target, token, f"/datasets/{owner}/tables.git")
            == exported.refs[f"{owner}/tables"]
        )
        assert _ls_remote(target, token, f"/{owner}/secret.git") == exported.refs[f"{owner}/secret"]
        work = tmp_path_factory.mktemp("bundle-clone")
        git("clone", "-q", authed(target, token, f"/{owner}/model.git"), str(work / "m"))
        assert (work / "m" / "weights.bin").read_bytes() == WEIGHTS
        assert (work / "m" / "xet.bin").read_bytes() == XET  # was Xet chunks at the source
        git("clone", "-q", authed(target, token, f"/datasets/{owner}/tables.git"), str(work / "t"))
        assert (work / "t" / "t.dat").read_bytes() == TABLE
        # Private stays private: anonymous readers do not see it, its owner does.
        anonymous = git("ls-remote", f"{target.url}/{owner}/secret.git", check=False)
        assert anonymous.returncode != 0
        assert git("ls-remote", f"{target.url}/{owner}/model.git").returncode == 0
        assert request(f"{target.url}/{owner}/secret").status == 404
        # The same bundle again: the names are taken, refused, nothing changes.
        count = _repo_count(target)
        again = target.cli("bundle", "import", str(exported.file), check=False)
        assert again.returncode == 1 and "already exists" in again.stderr
        assert _repo_count(target) == count
    finally:
        target.stop()


@pytest.mark.once
def test_corrupt_member_is_refused_and_nothing_is_created(
    exported: Exported, tmp_path_factory: pytest.TempPathFactory
) -> None:
    oid = hashlib.sha256(WEIGHTS).hexdigest()
    corrupt = tmp_path_factory.mktemp("bundle-corrupt") / "bad.nbbundle"
    shutil.copyfile(exported.file, corrupt)
    with tarfile.open(corrupt) as tar:
        offset = tar.getmember(f"lfs/{oid}").offset_data + 1000
    with open(corrupt, "r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 0xFF]))
    target = _fresh(tmp_path_factory, exported.owner)
    result = target.cli("bundle", "import", str(corrupt), check=False)
    assert result.returncode == 1
    assert f"lfs/{oid}" in result.stderr and "corrupt" in result.stderr
    assert _repo_count(target) == 0
    assert not list((target.data_dir / "tmp").glob("bundle-*"))
    assert not [p for p in target.data_dir.rglob("*") if p.name.startswith(oid)]


@pytest.mark.once
def test_interrupted_import_resumes(
    exported: Exported, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A copy of the bundle cut short (the transfer stopped) is refused as truncated; the
    members verified so far stay staged, and the import of the whole file skips them."""
    with tarfile.open(exported.file) as tar:
        members = tar.getmembers()
    cut = members[2].offset_data + 10  # manifest and the first member whole, then a cut
    short = tmp_path_factory.mktemp("bundle-short") / "short.nbbundle"
    with open(exported.file, "rb") as src, open(short, "wb") as dst:
        dst.write(src.read(cut))
    target = _fresh(tmp_path_factory, exported.owner)
    first = target.cli("bundle", "import", str(short), check=False)
    assert first.returncode == 1 and "truncated" in first.stderr, first.stderr
    assert _repo_count(target) == 0
    journal = next((target.data_dir / "tmp").glob("bundle-*/journal.log")).read_text()
    assert f"verified {members[1].name}" in journal
    second = target.cli("bundle", "import", str(exported.file))
    summary = json.loads(second.stdout)
    assert summary["members_skipped"] == 1
    assert _repo_count(target) == 3
    assert not list((target.data_dir / "tmp").glob("bundle-*"))
    rows = db_rows(
        target,
        "SELECT r.name, r.private FROM repos_repository r ORDER BY r.name",
    )
    assert [(name, bool(private)) for name, private in rows] == [
        ("model", False),
        ("secret", True),
        ("tables", False),
    ]
    # Conversions are not carried as rows: the imported branch recomputed them.
    converted = db_rows(
        target,
        "SELECT COUNT(*) FROM datasets_conversion c JOIN repos_repository r"
        " ON r.id = c.repository_id WHERE r.name = %s AND c.status = 'done'",
        ("tables",),
    )
    assert converted[0][0] >= 1


@pytest.mark.once
def test_import_killed_while_restoring_resumes(
    exported: Exported, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A real kill in phase 2: ``git`` is wrapped so that fetching the second repository's
    bundle SIGKILLs the import (no cleanup runs). The first repository is complete, the second
    created but empty; the same command again finishes both, reads no member again, and does
    not refuse the repository it created itself."""
    wrapper = tmp_path_factory.mktemp("killing-git")
    real_git = shutil.which("git")
    (wrapper / "git").write_text(
        "#!/bin/sh\n"
        'case "$*" in *fetch*repos/1/git.bundle*) kill -9 $PPID; exit 1;; esac\n'
        f'exec {real_git} "$@"\n'
    )
    (wrapper / "git").chmod(0o755)
    target = _fresh(tmp_path_factory, exported.owner)
    killed = subprocess.run(
        [*NBOPEN, "bundle", "import", str(exported.file)],
        env={**target.env, "PATH": f"{wrapper}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    journal = next((target.data_dir / "tmp").glob("bundle-*/journal.log")).read_text()
    assert "done 0" in journal and "created 1 " in journal and "done 1" not in journal
    assert _repo_count(target) == 2
    summary = json.loads(target.cli("bundle", "import", str(exported.file)).stdout)
    assert summary["members_skipped"] == len(exported.manifest["members"])  # type: ignore[arg-type]
    assert _repo_count(target) == 3
    repo_id = db_rows(target, "SELECT id FROM repos_repository WHERE name = %s", ("tables",))
    heads = git(
        "for-each-ref",
        "--format=%(refname) %(objectname)",
        "refs/heads",
        "refs/tags",
        cwd=git_path(target, int(repo_id[0][0])),
    ).stdout
    expected = exported.refs[f"{exported.owner}/tables"]
    assert dict(line.split(" ") for line in heads.splitlines()) == expected

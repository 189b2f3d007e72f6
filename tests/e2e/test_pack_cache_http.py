"""The pack cache behind smart HTTP: ``nbopen serve`` runs upload-pack with the hook, so a
second identical clone is served from the cache and a push still reaches the next clone."""

from __future__ import annotations

from pathlib import Path

from nbopen.repos.git import pack_cache
from tests.support.client import api_create_repo, authed, git
from tests.support.live import LiveServer


def test_http_clones_share_one_pack_and_see_pushes(live: LiveServer, tmp_path: Path) -> None:
    token = live.create_user("packcacher")
    api_create_repo(live, token, "starter-kit")
    work = tmp_path / "work"
    git("init", "-q", "-b", "main", str(work))
    for i in range(5):
        (work / f"task{i}.py").write_text(f"print({i})\n" * 100)
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", f"task {i}", cwd=work)
    git("push", "-q", authed(live, token, "/packcacher/starter-kit.git"), "main", cwd=work)
    url = f"{live.url}/packcacher/starter-kit.git"
    stats_dir = live.data_dir / "packcache"

    def stats() -> dict[str, int]:
        return pack_cache.read_stats(stats_dir)

    before = stats()
    first = tmp_path / "first"
    git("clone", "-q", url, str(first))
    git("clone", "-q", url, str(tmp_path / "second"))
    after = stats()
    assert after.get("miss", 0) - before.get("miss", 0) == 1, (before, after)
    assert after.get("hit", 0) - before.get("hit", 0) == 1, (before, after)
    head = git("rev-parse", "HEAD", cwd=work).stdout
    assert git("rev-parse", "HEAD", cwd=tmp_path / "second").stdout == head
    git("fsck", "--full", cwd=tmp_path / "second")

    (work / "solution.py").write_text("print('new')\n")
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "after the clones", cwd=work)
    git("push", "-q", authed(live, token, "/packcacher/starter-kit.git"), "main", cwd=work)
    third = tmp_path / "third"
    git("clone", "-q", url, str(third))
    assert (third / "solution.py").read_text() == "print('new')\n"
    assert stats().get("miss", 0) - after.get("miss", 0) == 1

"""The conversion job through the services (no HTTP): scheduling, re-runs, crash recovery."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from nbopen.access.policy import Principal
from nbopen.accounts.services import user_create
from nbopen.datasets import services
from nbopen.datasets.models import Conversion, SplitResult
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_create


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def dataset(transactional_db: None, tmp_path: Path) -> Repository:
    user = user_create(username="jobber", email="jobber@example.org", password="pw-Secret-123")
    repo = repo_create(
        actor=Principal(user=user), owner=None, name="jobs", type=Repository.Type.DATASET
    )
    work = tmp_path / "work"
    _git("init", "-q", "-b", "main", str(work), cwd=tmp_path)
    (work / "train.csv").write_text("a,b\n1,宁波\n2,舟山\n", encoding="utf-8")
    (work / "test.csv").write_text("a,b\n3,杭州\n", encoding="utf-8")
    _git("add", "-A", cwd=work)
    _git("commit", "-qm", "data", cwd=work)
    _git("push", "-q", str(repo.git_path), "main", cwd=work)
    return repo


def test_conversion_runs_once_and_recovers_after_a_crash(dataset: Repository) -> None:
    conversion = services.current_conversion(dataset)
    assert conversion is not None
    conversion.refresh_from_db()
    assert conversion.status == Conversion.Status.DONE, conversion.error
    splits = {s.split: s.num_rows for s in conversion.splits.all()}
    assert splits == {"train": 2, "test": 1}
    assert services.status(dataset) == {
        "state": "done",
        "progress": 1.0,
        "errors": [],
        "version": "1.0.0",
        "revision": conversion.revision,
    }
    # Looking again does not convert again.
    finished = conversion.finished_at
    services.run_conversion(conversion.pk)
    conversion.refresh_from_db()
    assert conversion.finished_at == finished
    # A job whose process died mid-way (no heartbeat for a long time) is picked up again.
    SplitResult.objects.filter(conversion=conversion).delete()
    Conversion.objects.filter(pk=conversion.pk).update(
        status=Conversion.Status.RUNNING,
        heartbeat_at=timezone.now() - timedelta(hours=1),
        finished_at=None,
    )
    services.current_conversion(dataset)
    conversion.refresh_from_db()
    assert conversion.status == Conversion.Status.DONE
    assert conversion.splits.filter(status=SplitResult.Status.DONE).count() == 2
    # A recent heartbeat means someone is working on it: left alone.
    Conversion.objects.filter(pk=conversion.pk).update(
        status=Conversion.Status.RUNNING, heartbeat_at=timezone.now()
    )
    services.current_conversion(dataset)
    conversion.refresh_from_db()
    assert conversion.status == Conversion.Status.RUNNING
    # ... unless the server starts again: with the in-process queue, the job it was
    # running died with the previous process (issue 20 item 10, the crash test).
    assert services.release_interrupted() == 1
    services.current_conversion(dataset)
    conversion.refresh_from_db()
    assert conversion.status == Conversion.Status.DONE
    # Addressed by revision (the viewer's compare), a stale job is picked up too.
    Conversion.objects.filter(pk=conversion.pk).update(status=Conversion.Status.RUNNING)
    services.release_interrupted()
    assert services.conversion_at(dataset, conversion.revision) is not None
    conversion.refresh_from_db()
    assert conversion.status == Conversion.Status.DONE


def test_missing_lfs_object_is_a_clear_split_error(dataset: Repository, tmp_path: Path) -> None:
    work = tmp_path / "work"
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{'ab' * 32}\nsize 12345\n"
    for name in ("train.csv", "test.csv"):
        (work / name).unlink()
    (work / "table.parquet").write_text(pointer)
    _git("add", "-A", cwd=work)
    _git("commit", "-qm", "pointer only", cwd=work)
    _git("push", "-q", str(dataset.git_path), "main", cwd=work)
    conversion = services.current_conversion(dataset)
    assert conversion is not None
    conversion.refresh_from_db()
    assert conversion.status == Conversion.Status.FAILED
    assert conversion.error == "LFS content missing for table.parquet"
    assert services.status(dataset)["errors"] == [
        {"config": "default", "split": "train", "error": "LFS content missing for table.parquet"}
    ]

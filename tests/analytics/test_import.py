"""GH Archive import edge cases: hostile files, the ledger, registry validation."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from nbopen.analytics import services
from nbopen.analytics.models import ImportedFile, RegistryEntry
from nbopen.core.errors import InvalidName, NotFound
from tests.analytics.gharchive_factory import Account, Archive, Repo, at

pytestmark = pytest.mark.django_db

CITY = Repo(1, "city/app")


def _hour(tmp_path: Path) -> Path:
    a = Archive()
    a.open_issue(Account(1, "alice"), CITY, at(1))
    a.push(Account(1, "alice"), Repo(2, "elsewhere/x"), at(1, 10, 5))
    (path,) = a.write_hours(tmp_path / "gha")
    return path


def _outputs(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*") if p.is_file())


def test_malformed_lines_are_skipped_and_reimport_is_idempotent(tmp_path: Path) -> None:
    services.registry_add(platform="github", login="city")
    path = _hour(tmp_path)
    with gzip.open(path, "at", encoding="utf-8") as fh:
        fh.write("{not json\n[1, 2]\n" + json.dumps({"type": "PushEvent"}) + "\n")
    base = tmp_path / "store"
    assert services.import_gharchive_file(str(path), base=str(base)) == "done"
    row = ImportedFile.objects.get(name=path.name)
    assert (row.lines, row.kept) == (5, 1)  # only the city event survives
    (output,) = _outputs(base)
    assert pq.read_table(output).num_rows == 1
    assert services.import_gharchive_file(str(path), base=str(base)) == "skipped"
    assert services.import_gharchive_file(str(path), force=True, base=str(base)) == "done"
    assert _outputs(base) == [output] and pq.read_table(output).num_rows == 1


def test_truncated_file_fails_cleanly(tmp_path: Path) -> None:
    services.registry_add(platform="github", login="city")
    good = _hour(tmp_path)
    bad = tmp_path / "2024-03-01-11.json.gz"
    bad.write_bytes(good.read_bytes()[:-20])
    base = tmp_path / "store"
    assert services.import_gharchive_file(str(bad), base=str(base)) == "failed"
    row = ImportedFile.objects.get(name=bad.name)
    assert row.status == ImportedFile.Status.FAILED and row.error
    assert _outputs(base) == []  # no partial output, no temporary files


def test_registry_shrinking_removes_old_output(tmp_path: Path) -> None:
    entry = services.registry_add(platform="github", login="city")
    path = _hour(tmp_path)
    base = tmp_path / "store"
    services.import_gharchive_file(str(path), base=str(base))
    assert len(_outputs(base)) == 1
    entry.delete()
    services.import_gharchive_file(str(path), force=True, base=str(base))
    assert _outputs(base) == []


def test_registry_validation() -> None:
    with pytest.raises(InvalidName):
        services.registry_add(platform="gitlab", login="x")
    with pytest.raises(InvalidName):
        services.registry_add(platform="github", login="a b")
    with pytest.raises(InvalidName):
        services.registry_add(platform="github", login="a/b/c")
    with pytest.raises(NotFound):
        services.registry_add(platform="github", login="ok", organization="no-such-org")
    first = services.registry_add(platform="gitee", login="NBCorp")
    again = services.registry_add(platform="gitee", login="nbcorp")
    assert first.pk == again.pk and RegistryEntry.objects.count() == 1

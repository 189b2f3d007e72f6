"""``nbopen libraries add|edit|list`` against a live server's database, seen through the API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from tests.support.live import LiveServer


def _api(url: str) -> Any:
    with urllib.request.urlopen(url) as response:
        return json.loads(response.read())


def test_operator_verbs_define_and_rename_domains(live: LiveServer) -> None:
    added = live.cli("libraries", "add", "smart-mfg-cli", "--zh", "智能制造", "--en", "Smart mfg")
    assert "created domain smart-mfg-cli" in added.stderr
    listed = json.loads(live.cli("libraries", "list", "--json").stdout)
    [row] = [d for d in listed if d["slug"] == "smart-mfg-cli"]
    assert row["name_zh"] == "智能制造"
    assert row["counts"] == {"dataset": 0, "model": 0, "code": 0, "total": 0}

    live.cli("libraries", "edit", "smart-mfg-cli", "--en", "Smart manufacturing")
    detail = _api(f"{live.url}/api/v1/libraries/smart-mfg-cli")
    assert (detail["name_zh"], detail["name_en"]) == ("智能制造", "Smart manufacturing")
    assert "smart-mfg-cli\t智能制造\tSmart manufacturing" in live.cli("libraries", "list").stdout

    again = live.cli("libraries", "add", "smart-mfg-cli", "--zh", "重复", check=False)
    assert again.returncode == 1 and "already exists" in again.stderr
    bad = live.cli("libraries", "add", "Bad Slug", "--zh", "坏", check=False)
    assert bad.returncode == 1 and "Invalid domain slug" in bad.stderr
    missing = live.cli("libraries", "edit", "no-such-domain", "--zh", "无", check=False)
    assert missing.returncode == 1 and "No domain" in missing.stderr
    try:
        urllib.request.urlopen(f"{live.url}/api/v1/libraries/no-such-domain")
    except urllib.error.HTTPError as exc:
        assert exc.code == 404
    else:
        raise AssertionError("an unknown domain must be a 404")

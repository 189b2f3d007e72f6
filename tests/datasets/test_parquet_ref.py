"""The converted Parquet is published on ``refs/convert/parquet``, as on huggingface.co:
listed by ``list_repo_refs``, downloadable at that revision, described by
``/api/datasets/{id}/parquet``, and loadable with ``datasets.load_dataset``.

Files go in through ``huggingface_hub`` (a GBK CSV with Chinese headers, a two-sheet xlsx);
expected values come from the data generated here.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from huggingface_hub import HfApi

from tests.datasets.support import fetch, git, wait_converted
from tests.support.live import LiveServer

pytestmark = pytest.mark.e2e

OWNER = "parquetref"
REF = "refs/convert/parquet"


def _gbk_csv() -> tuple[bytes, list[dict[str, Any]]]:
    rows = [{"城市": c, "吞吐量": 100 + i} for i, c in enumerate(["宁波", "舟山", "杭州", "温州"])]
    text = "城市,吞吐量\n" + "".join(f"{r['城市']},{r['吞吐量']}\n" for r in rows)
    return text.encode("gbk"), rows


def _xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "设备"
    ws.append(["编号", "名称"])
    for i in range(5):
        ws.append([i, f"机床{i}"])
    ws2 = wb.create_sheet("订单")
    ws2.append(["order_id", "qty"])
    for i in range(3):
        ws2.append([f"PO-{i}", i * 10])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _load(live: LiveServer, token: str, tmp_path: Path, repo_id: str, **kwargs: Any) -> Any:
    """load_dataset in a subprocess: ``datasets`` reads HF_ENDPOINT once, at import time."""
    script = (
        "import json, datasets\n"
        f"cache = {str(tmp_path / 'ds')!r}\n"
        f"ds = datasets.load_dataset({repo_id!r}, cache_dir=cache, **{kwargs!r})\n"
        "print(json.dumps({k: list(v) for k, v in ds.items()}, ensure_ascii=False))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        {
            "HF_ENDPOINT": live.url,
            "HF_TOKEN": token,
            "HF_HOME": str(tmp_path / "hf-home"),
            "HF_HUB_DISABLE_TELEMETRY": "1",
        }
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-5000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _api_json(live: LiveServer, url: str, token: str) -> Any:
    status, body = fetch(url, token)
    assert status == 200, f"{url}: {status} {body[:500]!r}\n{live.log()[-3000:]}"
    return json.loads(body)


def test_gbk_csv_parquet_ref_listed_downloadable_and_loadable(
    live: LiveServer, tmp_path: Path
) -> None:
    pytest.importorskip("datasets")
    token = live.create_user(OWNER)
    api = HfApi(endpoint=live.url, token=token)
    repo_id = f"{OWNER}/gbk-ports"
    api.create_repo(repo_id, repo_type="dataset")
    data, rows = _gbk_csv()
    api.upload_file(
        path_or_fileobj=data, path_in_repo="ports.csv", repo_id=repo_id, repo_type="dataset"
    )
    wait_converted(live, repo_id, token)

    refs = api.list_repo_refs(repo_id, repo_type="dataset")
    head = api.dataset_info(repo_id).sha
    assert [(r.ref, r.name) for r in refs.converts] == [(REF, "parquet")]
    files = api.list_repo_files(repo_id, repo_type="dataset", revision=REF)
    assert "default/train/0000.parquet" in files
    assert "ports.csv" not in files  # the ref holds only the conversion

    listing = _api_json(live, f"{live.url}/api/datasets/{repo_id}/parquet", token)
    assert list(listing) == ["default"] and list(listing["default"]) == ["train"]
    (url,) = listing["default"]["train"]
    assert url == f"{live.url}/api/datasets/{repo_id}/parquet/default/train/0.parquet"
    assert _api_json(live, f"{live.url}/api/datasets/{repo_id}/parquet/default/train", token) == [
        url
    ]
    status, body = fetch(url, token)  # redirects to …/resolve/refs%2Fconvert%2Fparquet/…
    assert status == 200
    assert pq.read_table(io.BytesIO(body)).to_pylist() == rows
    # hf_hub_download at that revision gives the same bytes.
    local = api.hf_hub_download(
        repo_id,
        "default/train/0000.parquet",
        repo_type="dataset",
        revision=REF,
        cache_dir=str(tmp_path / "cache"),
    )
    assert Path(local).read_bytes() == body

    # The ref is the converter's: a client cannot push to it.
    work = tmp_path / "clone"
    remote = live.url.replace("http://", f"http://user:{token}@") + f"/datasets/{repo_id}.git"
    git("clone", "-q", remote, str(work))
    git("commit", "-q", "--allow-empty", "-m", "forged", cwd=work)
    forged = subprocess.run(
        ["git", "push", "--force", remote, f"HEAD:{REF}"], cwd=work, capture_output=True, text=True
    )
    assert forged.returncode != 0 and "dataset converter" in forged.stderr, forged.stderr
    assert [r.target_commit for r in api.list_repo_refs(repo_id, repo_type="dataset").converts] == [
        refs.converts[0].target_commit
    ]

    loaded = _load(live, token, tmp_path, repo_id, revision=REF)
    assert loaded == {"train": rows}
    # The source branch is untouched by the converter.
    assert api.dataset_info(repo_id).sha == head


def test_xlsx_sheets_become_parquet_configs(live: LiveServer, tmp_path: Path) -> None:
    pytest.importorskip("datasets")
    token = live.create_user(OWNER + "x")
    api = HfApi(endpoint=live.url, token=token)
    repo_id = f"{OWNER}x/factory"
    api.create_repo(repo_id, repo_type="dataset", private=True)
    api.upload_file(
        path_or_fileobj=_xlsx(), path_in_repo="factory.xlsx", repo_id=repo_id, repo_type="dataset"
    )
    wait_converted(live, repo_id, token)
    listing = _api_json(live, f"{live.url}/api/datasets/{repo_id}/parquet", token)
    assert sorted(listing) == ["订单", "设备"]
    loaded = _load(live, token, tmp_path, repo_id, revision=REF, name="订单")
    assert loaded == {"train": [{"order_id": f"PO-{i}", "qty": i * 10} for i in range(3)]}

    # Private: the listing and the files at the ref are as hidden as the repository.
    assert fetch(f"{live.url}/api/datasets/{repo_id}/parquet")[0] == 401
    other = live.create_user("parquetnosy")
    assert fetch(f"{live.url}/api/datasets/{repo_id}/parquet", other)[0] == 404
    ref = REF.replace("/", "%2F")
    shard = f"{live.url}/datasets/{repo_id}/resolve/{ref}/订单/train/0000.parquet"
    assert fetch(urllib.parse.quote(shard, safe=":/%"), token)[0] == 200
    assert fetch(urllib.parse.quote(shard, safe=":/%"), other)[0] in {401, 404}

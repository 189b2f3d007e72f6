"""``list_models`` / ``list_datasets`` answered by the search service, driven by the real client.

Search words reach names, descriptions and README text (Chinese segmented); ``filter`` values
map onto the index's facets; ``sort`` uses the keys huggingface_hub sends; pages follow the
absolute ``Link`` header; private repositories stay invisible to others.
"""

from __future__ import annotations

import random

import pytest
from huggingface_hub import HfApi
from huggingface_hub.utils import build_hf_headers
from huggingface_hub.utils._pagination import paginate

from tests.hub.conftest import Hub
from tests.hub.test_hub_client import http

pytestmark = pytest.mark.e2e

MODEL_CARD = """---
license: {license}
language: [{language}]
library_name: {library}
pipeline_tag: {task}
hardware: [{hardware}]
tags: [{tag}]
---
# {title}

{body}
"""


def _model(hub: Hub, name: str, **card: str) -> str:
    repo_id = f"{hub.user}/{name}"
    hub.api.create_repo(repo_id)
    hub.api.upload_file(
        path_or_fileobj=MODEL_CARD.format(**card).encode(),
        path_in_repo="README.md",
        repo_id=repo_id,
    )
    return repo_id


@pytest.fixture(scope="module")
def models(hub: Hub) -> dict[str, str]:
    stem = f"srch{random.randrange(10**6)}"
    port = _model(
        hub,
        f"{stem}-port",
        license="apache-2.0",
        language="zh",
        library="transformers",
        task="text-generation",
        hardware="ascend",
        tag="harbor",
        title="港口智能调度系统",
        body="集装箱码头的泊位与岸桥调度模型。",
    )
    bearing = _model(
        hub,
        f"{stem}-bearing",
        license="mit",
        language="en",
        library="paddlepaddle",
        task="time-series-forecasting",
        hardware="kunlunxin",
        tag="factory",
        title="Bearing fault diagnosis",
        body="Vibration signals of rolling bearings; early fault warning.",
    )
    secret = f"{hub.user}/{stem}-secret"
    hub.api.create_repo(secret, private=True)
    hub.api.upload_file(
        path_or_fileobj=b"---\nlicense: cc0-1.0\n---\n"
        + b"# \xe6\xb8\xaf\xe5\x8f\xa3 secret harbor model\n",
        path_in_repo="README.md",
        repo_id=secret,
    )
    return {"stem": stem, "port": port, "bearing": bearing, "secret": secret}


def _ids(items: object) -> list[str]:
    return [m.id for m in items]  # type: ignore[attr-defined]


def test_search_reaches_readme_text_in_chinese_and_english(
    hub: Hub, models: dict[str, str]
) -> None:
    assert _ids(hub.api.list_models(search="港口调度", author=hub.user)) == [models["port"]]
    assert _ids(hub.api.list_models(search="vibration bearing", author=hub.user)) == [
        models["bearing"]
    ]
    # The last word is a prefix, as while typing; the stem matches every repository's name.
    stem = models["stem"]
    assert set(_ids(hub.api.list_models(search=stem[:-1]))) >= {models["port"], models["bearing"]}
    assert _ids(hub.api.list_models(search=f"{stem} nosuchwordanywhere")) == []


def test_filters_map_to_facets(hub: Hub, models: dict[str, str]) -> None:
    stem = models["stem"]

    def found(**kwargs: object) -> set[str]:
        return set(_ids(hub.api.list_models(search=stem, **kwargs)))

    port, bearing = models["port"], models["bearing"]
    assert found(filter="hardware:ascend") == {port}
    assert found(filter="license:mit") == {bearing}
    assert found(filter="library:paddlepaddle") == {bearing}
    assert found(filter="paddlepaddle") == {bearing}  # bare library tag, as on the Hub
    assert found(pipeline_tag="text-generation") == {port}
    assert found(filter="language:zh") == {port}
    assert found(filter="harbor") == {port}  # a plain card tag
    assert found(filter=["license:mit", "hardware:ascend"]) == set()  # all must hold
    assert found(filter=["license:mit", "factory"]) == {bearing}


def test_sorts_the_client_sends(hub: Hub, models: dict[str, str]) -> None:
    stem, port, bearing = models["stem"], models["port"], models["bearing"]
    # Created in the order port, bearing (secret is the owner's, so it is listed too).
    newest_first = _ids(hub.api.list_models(search=stem, sort="created_at"))
    assert newest_first == [models["secret"], bearing, port]
    status, _, _ = http(hub, "POST", f"/api/models/{bearing}/like", hub.token)
    assert status == 200
    assert _ids(hub.api.list_models(search=stem, sort="likes"))[0] == bearing
    assert set(_ids(hub.api.list_models(search=stem, sort="trending_score"))) == {
        port,
        bearing,
        models["secret"],
    }
    assert _ids(hub.api.list_models(search=stem, sort="last_modified", limit=1)) == [
        models["secret"]
    ]
    # Oldest first with the Hub's direction=1, over the raw API.
    pages = paginate(
        f"{hub.url}/api/models",
        params={"search": stem, "sort": "createdAt", "direction": "1", "limit": 1},
        headers=build_hf_headers(token=hub.token),
    )
    assert [p["id"] for p in pages] == [port, bearing, models["secret"]]


def test_private_repositories_stay_hidden(hub: Hub, models: dict[str, str]) -> None:
    stem = models["stem"]
    anonymous = HfApi(endpoint=hub.url, token=False)
    assert models["secret"] not in _ids(anonymous.list_models(search=stem))
    assert _ids(anonymous.list_models(search="secret harbor")) == []
    other = HfApi(endpoint=hub.url, token=hub.live.create_user(f"{hub.user}o"))
    assert models["secret"] not in _ids(other.list_models(search=stem))
    assert models["secret"] in _ids(hub.api.list_models(search="secret harbor"))


def test_bad_listing_parameters_are_400(hub: Hub) -> None:
    status, _, _ = http(hub, "GET", "/api/models?limit=x")
    assert status == 400
    many = "&".join(f"filter=t{i}" for i in range(30))
    status, _, _ = http(hub, "GET", f"/api/models?{many}")
    assert status == 400

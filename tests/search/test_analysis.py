"""The analysis pipeline and the query-language builders (no database)."""

from __future__ import annotations

from nbopen.search import backends, spelling
from nbopen.search.analysis import name_terms, query_groups, terms


def test_chinese_is_segmented_with_subwords() -> None:
    assert {"港口", "智能", "调度", "系统"} <= set(terms("港口智能调度系统"))
    assert {"集装箱", "集装", "吞吐量"} <= set(terms("集装箱吞吐量"))


def test_english_is_stemmed_and_stopwords_dropped() -> None:
    assert terms("Scheduling the containers") == ["schedul", "contain"]


def test_full_width_and_camel_case_are_normalised() -> None:
    assert terms("ＹＯＬＯｖ８") == terms("YOLOv8")
    assert name_terms("PortScheduler") == ["port", "schedul", "portscheduler"]


def test_last_word_is_a_prefix_only_while_typing() -> None:
    typing = query_groups("port sched")
    assert typing[-1].alternatives == [("sched", False), ("sched", True)]
    done = query_groups("port sched ")
    assert all(not p for g in done for _, p in g.alternatives)
    assert ("调", True) in query_groups("港口调")[-1].alternatives


def test_query_builders_quote_every_term() -> None:
    # Operators and quotes typed by users are not syntax: they never reach the engine raw.
    assert backends.fts5_expression(query_groups('port" OR sched')) == (
        '("port") AND ("sched" OR "sched"*)'
    )
    assert backends.fts5_expression(query_groups("port sched"), any_group=True) == (
        '("port") OR ("sched" OR "sched"*)'
    )
    assert backends.tsquery_expression(query_groups("港口")) == "('港口' | '港口':*)"


def test_tsvector_literal_has_weights_and_escapes() -> None:
    literal = backends.tsvector_literal([["港口", "port"], ["port"], [], ["o'hara"]])
    assert "'港口':1A" in literal
    assert "'port':2A,4B" in literal
    assert "'o''hara':7D" in literal


def test_spelling_distance_and_correction() -> None:
    assert spelling.distance("bearng", "bearing") == 1
    assert spelling.distance("materails", "materials") == 1  # transposition
    vocab = spelling.Vocabulary()
    for term, df in {"bearing": 3, "bear": 5, "container": 2, "contain": 2}.items():
        vocab.df[term] = df
        for key in spelling._keys(term):
            vocab.deletes.setdefault(key, []).append(term)
    assert spelling.correct("bearng", vocab) == "bearing"
    assert spelling.correct("contaner", vocab) == "container"
    assert spelling.correct("bearing", vocab) is None  # known words are left alone
    assert spelling.correct("xyzw", vocab) is None

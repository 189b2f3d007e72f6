"""Text analysis shared by indexing and querying: one pipeline, so both sides agree.

Chinese has no spaces, so CJK runs are segmented with jieba (its dictionary ships inside the
package; no network). ``cut_for_search`` also emits the dictionary sub-words of long words,
which is what lets the query 港口调度 meet the document 港口智能调度系统. jieba's HMM guesser
is off: it invents words depending on the surrounding text, and a query rarely has the same
surroundings as the document it should find. Latin runs are lower-cased and Snowball-stemmed
(English), so "scheduling" finds "schedule". The output is plain space-separated terms that
SQLite FTS5 and PostgreSQL tsvector both store without further parsing.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import jieba
import snowballstemmer
from pypinyin import lazy_pinyin

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN_RE = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>[0-9a-z]+)")
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_CJK_RE = re.compile(rf"[{_CJK}]")

EN_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "it",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "with",
    ]
)
ZH_STOP = frozenset(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "是",
        "在",
        "等",
        "或",
        "并",
        "对",
        "将",
        "把",
        "被",
        "之",
        "其",
        "一个",
        "以及",
        "进行",
    ]
)
# A term longer than this is noise (hashes, base64) and would only bloat the index.
MAX_TERM = 40

_jieba_lock = threading.Lock()
_jieba_ready = False
_stemmer = snowballstemmer.stemmer("english")
_stem_lock = threading.Lock()


def _fresh_locks_after_fork() -> None:
    """A forked child gets these locks in whatever state a parent thread left them."""
    global _jieba_lock, _stem_lock
    _jieba_lock = threading.Lock()
    _stem_lock = threading.Lock()


os.register_at_fork(after_in_child=_fresh_locks_after_fork)


def _ensure_jieba() -> None:
    """Load jieba's dictionary once (about a second) and keep it quiet in logs."""
    global _jieba_ready
    if _jieba_ready:
        return
    with _jieba_lock:
        if not _jieba_ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba_ready = True


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """English Snowball stem; digits and mixed alphanumerics are left alone."""
    if not word.isalpha() or len(word) < 4:
        return word
    with _stem_lock:  # the Snowball stemmer object keeps state between calls
        return str(_stemmer.stemWord(word))


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), camelCase split, lower case."""
    text = unicodedata.normalize("NFKC", text)
    text = _CAMEL_RE.sub(" ", text)
    return text.lower()


@lru_cache(maxsize=50_000)
def _segment(run: str) -> tuple[str, ...]:
    _ensure_jieba()
    out = []
    for word in jieba.cut_for_search(run, HMM=False):
        if word and word not in ZH_STOP:
            out.append(word)
    return tuple(out)


def terms(text: str) -> list[str]:
    """The index terms of ``text``, in order (repeats kept: term frequency matters)."""
    out: list[str] = []
    for match in _RUN_RE.finditer(normalize(text)):
        if match.group("cjk"):
            out.extend(_segment(match.group("cjk")))
        else:
            word = match.group("word")
            if word in EN_STOP or len(word) > MAX_TERM:
                continue
            out.append(stem(word))
    return out


@lru_cache(maxsize=50_000)
def _pinyin(word: str) -> str:
    return "".join(lazy_pinyin(word))


def pinyin_terms(text: str) -> list[str]:
    """Toneless pinyin of each Chinese word of ``text``: 港口调度 → ``gangkou``, ``diaodu``.

    Chinese users type names in pinyin (Gitee finds 港口 for ``gangkou``), so the index also
    holds each segmented word's pinyin, stemmed as queries are (``query_groups`` stems a
    Latin word). One term per word, not per syllable: ``gang`` alone would match 钢, 港, 岗.
    """
    out: list[str] = []
    for match in _RUN_RE.finditer(normalize(text)):
        if match.group("cjk"):
            for word in _segment(match.group("cjk")):
                spelled = _pinyin(word)
                if spelled.isascii() and spelled.isalpha() and len(spelled) <= MAX_TERM:
                    out.append(stem(spelled))
    return out


def surface_words(text: str) -> set[str]:
    """Unstemmed Latin words, for the spelling dictionary only.

    Typos are corrected against what people write ("bearng" → "bearing"), not against stems
    ("bear"), which are often too far from the misspelling to be found.
    """
    out = set()
    for match in _RUN_RE.finditer(normalize(text)):
        word = match.group("word")
        if word and word.isalpha() and 4 <= len(word) <= MAX_TERM and word not in EN_STOP:
            out.add(word)
    return out


def name_terms(name: str) -> list[str]:
    """Terms of an identifier such as ``PortScheduler-v2``: its parts and the joined whole.

    The joined form lets a user typing ``portsch`` match by prefix.
    """
    parts = terms(name)
    joined = "".join(m.group(0) for m in _RUN_RE.finditer(normalize(name)))
    if joined and joined not in parts and len(joined) <= MAX_TERM:
        parts.append(joined)
    return parts


def is_cjk(term: str) -> bool:
    return bool(_CJK_RE.search(term))


@dataclass
class Group:
    """One query position: the document must contain at least one alternative.

    An alternative is ``(term, prefix)``; a prefix alternative matches any term starting
    with it.
    """

    alternatives: list[tuple[str, bool]] = field(default_factory=list)
    surface: str = ""  # the word as typed (lower case), for spelling correction

    def add(self, term: str, prefix: bool = False) -> None:
        if term and (term, prefix) not in self.alternatives:
            self.alternatives.append((term, prefix))


def query_groups(q: str) -> list[Group]:
    """Analyse a query. The last word is also a prefix unless the user typed a space after it.

    Latin prefixes use the raw (unstemmed) word: "transfo" must match the stem "transform".
    """
    norm = normalize(q)
    matches = list(_RUN_RE.finditer(norm))
    typing = bool(matches) and matches[-1].end() == len(norm)
    groups: list[Group] = []
    for i, match in enumerate(matches):
        last = typing and i == len(matches) - 1
        if match.group("cjk"):
            words = list(_segment(match.group("cjk")))
            for j, word in enumerate(words):
                group = Group()
                group.add(word)
                if last and j == len(words) - 1:
                    group.add(word, prefix=True)
                groups.append(group)
        else:
            word = match.group("word")
            if len(word) > MAX_TERM or (word in EN_STOP and not last):
                continue
            group = Group(surface=word)
            if word not in EN_STOP:
                group.add(stem(word))
            if last and len(word) >= 2:
                group.add(word, prefix=True)
            if group.alternatives:
                groups.append(group)
    return _dedupe(groups)


def _dedupe(groups: list[Group]) -> list[Group]:
    seen: set[tuple[tuple[str, bool], ...]] = set()
    out = []
    for group in groups:
        key = tuple(group.alternatives)
        if key not in seen:
            seen.add(key)
            out.append(group)
    return out

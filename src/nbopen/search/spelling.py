"""Typo tolerance: correct unknown Latin query terms against the indexed vocabulary.

A symmetric-delete lookup (the SymSpell idea): every vocabulary term is filed under itself
and each string made by deleting one of its letters; a query term looks up the same keys,
which finds candidates within one or two edits without scanning the vocabulary. Candidates
are confirmed with a true Damerau–Levenshtein distance and the most frequent one wins.
The dictionary is the ``SearchTerm`` table, cached per process for a short while and
refreshed in the background when it ages.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field

from django.db import connections

from nbopen.config.env import CONFIG
from nbopen.search.models import SearchTerm

CACHE_SECONDS = 30.0
MIN_LENGTH = 4  # shorter words have too many one-edit neighbours to guess from
MAX_SPELLING_TERMS = 100_000


@dataclass
class Vocabulary:
    df: dict[str, int] = field(default_factory=dict)
    deletes: dict[str, list[str]] = field(default_factory=dict)
    loaded_at: float = 0.0

    def __contains__(self, term: str) -> bool:
        return term in self.df


def _keys(term: str) -> set[str]:
    return {term} | {term[:i] + term[i + 1 :] for i in range(len(term))}


def _query_keys(term: str) -> set[str]:
    """Query side goes one deletion further for long words: two missing letters are common."""
    keys = _keys(term)
    if len(term) >= 7:
        keys |= {k[:i] + k[i + 1 :] for k in list(keys) for i in range(len(k))}
    return keys


def _build() -> Vocabulary:
    """The most frequent Latin words (bounded, so memory stays flat on a large index)."""
    vocab = Vocabulary(loaded_at=time.monotonic())
    rows = (
        SearchTerm.objects.filter(df__gt=0, term__regex=r"^[a-z]+$")
        .order_by("-df")
        .values_list("term", "df")[:MAX_SPELLING_TERMS]
    )
    for term, df in rows:
        vocab.df[term] = df
        if len(term) >= MIN_LENGTH - 1:
            for key in _keys(term):
                vocab.deletes.setdefault(key, []).append(term)
    return vocab


def known(terms: list[str]) -> set[str]:
    """Which of ``terms`` occur in the index (asked of the database: always current)."""
    if not terms:
        return set()
    return set(SearchTerm.objects.filter(term__in=terms, df__gt=0).values_list("term", flat=True))


def has_prefix(prefix: str) -> bool:
    """Whether some indexed term starts with ``prefix`` (a word still being typed)."""
    # A key range, not LIKE: SQLite's LIKE is case-insensitive and cannot use the index.
    upper = prefix + "\U0010ffff"
    return SearchTerm.objects.filter(term__gte=prefix, term__lt=upper, df__gt=0).exists()


_lock = threading.Lock()
_cached: Vocabulary | None = None
_refreshing = False


def _after_fork_in_child() -> None:
    """A refresh thread of the parent does not exist in a forked child: without this reset
    the child would wait for it forever and keep a stale dictionary."""
    global _lock, _refreshing
    _lock = threading.Lock()
    _refreshing = False


os.register_at_fork(after_in_child=_after_fork_in_child)


def _refresh_in_background() -> None:
    """Rebuild the stale dictionary on a thread; queries keep the old one meanwhile.

    Building reads every Latin term (a regex over the whole vocabulary: hundreds of
    milliseconds at 100,000 repositories), which must not land on one unlucky query.
    """
    global _cached, _refreshing
    try:
        fresh = _build()
        with _lock:
            _cached = fresh
    except Exception:  # a failed refresh keeps the old dictionary; the next query retries
        logging.getLogger(__name__).exception("spelling dictionary refresh failed")
    finally:
        with _lock:
            _refreshing = False
        connections.close_all()


def vocabulary() -> Vocabulary:
    """The cached dictionary: built inline when there is none (or tasks run inline), else
    refreshed in the background once it is older than ``CACHE_SECONDS``."""
    global _cached, _refreshing
    with _lock:
        current = _cached
        if current is not None and time.monotonic() - current.loaded_at <= CACHE_SECONDS:
            return current
        if current is not None and CONFIG.task_backend != "sync":
            if not _refreshing:
                _refreshing = True
                threading.Thread(
                    target=_refresh_in_background, name="nbopen-spelling", daemon=True
                ).start()
            return current
        _cached = _build()
        return _cached


def invalidate() -> None:
    """Called after this process changed the index, so its next query sees the new terms."""
    global _cached
    with _lock:
        _cached = None


def distance(a: str, b: str) -> int:
    """Optimal-string-alignment Damerau–Levenshtein distance."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def correct(term: str, vocab: Vocabulary | None = None) -> str | None:
    """The likeliest intended vocabulary term for an unknown ``term``, or None."""
    if len(term) < MIN_LENGTH or not (term.isascii() and term.isalpha()):
        return None
    vocab = vocab or vocabulary()
    if term in vocab:
        return None
    limit = 1 if len(term) <= 5 else 2
    best: tuple[int, int, str] | None = None
    for key in _query_keys(term):
        for candidate in vocab.deletes.get(key, ()):
            d = distance(term, candidate)
            if d > limit:
                continue
            rank = (-d, vocab.df[candidate], candidate)
            if best is None or rank > best:
                best = rank
    return best[2] if best else None

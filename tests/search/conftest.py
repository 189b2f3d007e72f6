"""The fixture corpus, built once per module through the services with tasks run inline."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from nbopen.search import indexer
from tests.search import corpus as corpus_mod


@pytest.fixture(scope="module")
def corpus(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock():
        built = corpus_mod.build()
        try:
            yield built
        finally:
            corpus_mod.destroy()
            indexer.reindex_all()

"""Owner and repository name rules: one rule set for every front door."""

from __future__ import annotations

import pytest

from nbopen.core.errors import InvalidName
from nbopen.core.names import (
    MAX_LENGTH,
    is_well_formed,
    validate_owner_name,
    validate_repo_name,
)

VALID = ["a", "A1", "my-model", "my_model", "v1.2", "Qwen2.5-7B", "x" * MAX_LENGTH, "9lives"]
INVALID_EVERYWHERE = [
    "",
    ".",
    "..",
    "../x",
    "a/b",
    "/abs",
    "a\\b",
    "a\x00b",
    "x" * (MAX_LENGTH + 1),
    "x" * 200,
    "name.git",
    "NAME.GIT",
    ".hidden",
    "-dash",
    "_under",
    "a..b",
    "a--b",
    "with space",
    "tab\t",
    "trailing\n",
    "ｍｏｄｅｌ",  # fullwidth
    "mоdel",  # Cyrillic o
    "modél",
    "名字",
    "a:b",
    "a%2fb",
    None,
    5,
    b"bytes",
]


@pytest.mark.parametrize("name", VALID)
def test_valid_names(name: str) -> None:
    assert validate_repo_name(name) == name
    assert validate_owner_name(name) == name


@pytest.mark.parametrize("name", INVALID_EVERYWHERE, ids=repr)
def test_invalid_names(name: object) -> None:
    with pytest.raises(InvalidName):
        validate_repo_name(name)
    with pytest.raises(InvalidName):
        validate_owner_name(name)


@pytest.mark.parametrize("name", ["api", "API", "datasets", "settings", "login", "admin", "static"])
def test_reserved_owner_names(name: str) -> None:
    with pytest.raises(InvalidName, match="reserved"):
        validate_owner_name(name)


@pytest.mark.parametrize("name", ["settings", "Settings", "new"])
def test_reserved_repo_names(name: str) -> None:
    with pytest.raises(InvalidName, match="reserved"):
        validate_repo_name(name)


def test_reserved_owner_name_is_a_fine_repo_name() -> None:
    assert validate_repo_name("api") == "api"


@pytest.mark.parametrize("name", ["a\x00", "\x00", "x" * 97, "ｍｏｄｅｌ", "a/b", "", "..x/"])
def test_lookups_short_circuit_impossible_names(name: str) -> None:
    assert not is_well_formed(name)


@pytest.mark.django_db
def test_lookups_of_impossible_names_do_not_query(
    django_assert_num_queries: object,
) -> None:
    from nbopen.accounts.services import user_get
    from nbopen.core.errors import NotFound
    from nbopen.orgs.services import org_get
    from nbopen.repos.services import namespace_get, repo_find

    with django_assert_num_queries(0):  # type: ignore[operator]
        assert repo_find("a\x00", "b") is None
        assert repo_find("a", "b\x00") is None
        for lookup in (user_get, org_get, namespace_get):
            with pytest.raises(NotFound):
                lookup("x\x00")

"""Upstream hubs as the operator configures them: the CLI verbs, the encrypted token that is
never shown again, allow/deny lists, and who may make the server fetch from them."""

from __future__ import annotations

import dataclasses
import json

import pytest

from nbopen.access import policy
from nbopen.access.policy import Principal
from nbopen.accounts.services import user_create
from nbopen.cli import mirror as mirror_cli
from nbopen.cli.main import _parser
from nbopen.config.env import CONFIG
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound
from nbopen.mirrors import secrets, upstreams
from nbopen.mirrors.models import Upstream
from nbopen.orgs.models import Membership, Organization
from nbopen.orgs.services import org_create

pytestmark = pytest.mark.django_db


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert mirror_cli.run(_parser().parse_args(["mirror", "upstream", *argv])) == 0
    out = capsys.readouterr().out
    return json.loads(out) if out.strip() else None


def test_cli_add_list_remove_never_shows_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    added = _cli(
        capsys, "add", "hf", "https://hf.example/", "--token", "hf_SECRET", "--deny", "evil"
    )
    assert added == {
        "name": "hf",
        "url": "https://hf.example",
        "kind": "hf",
        "position": 0,
        "has_token": True,
        "allow": [],
        "deny": ["evil"],
        "organization": None,
    }
    _cli(capsys, "add", "ms", "https://ms.example", "--kind", "modelscope")
    listed = _cli(capsys, "list")
    assert [u["name"] for u in listed] == ["hf", "ms"]  # type: ignore[attr-defined]
    assert "hf_SECRET" not in json.dumps(listed)
    stored = Upstream.objects.get(name="hf")
    assert "hf_SECRET" not in stored.token_encrypted
    assert upstreams.token_of(stored) == "hf_SECRET"
    # The upstream's name is its mirror namespace: an organization nobody is a member of.
    org = Organization.objects.get(name="hf")
    assert not Membership.objects.filter(organization=org).exists()
    _cli(capsys, "remove", "ms")
    assert [u.name for u in upstreams.upstream_list()] == ["hf"]


def test_bad_input_is_refused() -> None:
    with pytest.raises(InvalidInput):
        upstreams.upstream_add(name="up1", url="file:///etc/passwd")
    with pytest.raises(InvalidInput):
        upstreams.upstream_add(name="up1", url="https://x.example", allow=["a/b/c"])
    upstreams.upstream_add(name="up1", url="https://x.example")
    with pytest.raises(AlreadyExists):
        upstreams.upstream_add(name="UP1", url="https://y.example")


def test_token_needs_the_same_secret_key() -> None:
    stored = secrets.encrypt("tok", secret_key="one")
    assert secrets.decrypt(stored, secret_key="one") == "tok"
    with pytest.raises(secrets.TokenUnreadable):
        secrets.decrypt(stored, secret_key="two")


@pytest.mark.parametrize(
    ("allow", "deny", "repo_id", "admitted"),
    [
        ([], [], "any/thing", True),
        ([], ["bad"], "Bad/model", False),
        ([], ["good/secret-*"], "good/secret-model", False),
        ([], ["good/secret-*"], "good/public", True),
        (["meta-llama", "qwen/qwen2-*"], [], "Qwen/Qwen2-7B", True),
        (["meta-llama", "qwen/qwen2-*"], [], "qwen/other", False),
        (["meta-llama"], ["meta-llama/private"], "meta-llama/private", False),
    ],
)
def test_allow_and_deny(allow: list[str], deny: list[str], repo_id: str, admitted: bool) -> None:
    upstream = Upstream(name="u", url="https://u.example", allow=allow, deny=deny)
    assert upstreams.admits(upstream, repo_id) is admitted


def test_who_may_trigger_upstream_fetches(monkeypatch: pytest.MonkeyPatch) -> None:
    alice = user_create(username="malice", email="malice@example.org", password="pw-123456789")
    bob = user_create(username="mbob", email="mbob@example.org", password="pw-123456789")
    org_create(name="Labs", kind="enterprise", owner=alice)
    expected = {
        "signed-in": (False, True, True),
        "anonymous": (True, True, True),
        "off": (False, False, False),
        "orgs:labs,other": (False, True, False),
    }
    for rule, answers in expected.items():
        monkeypatch.setattr(policy, "CONFIG", dataclasses.replace(CONFIG, mirror_users=rule))
        got = tuple(
            policy.may_fetch_upstream(p)
            for p in (Principal.anonymous(), Principal(user=alice), Principal(user=bob))
        )
        assert got == answers, rule


def test_an_upstream_token_may_be_configured_for_an_organization(
    capsys: pytest.CaptureFixture[str],
) -> None:
    org_create(name="team", kind=Organization.Kind.COMMUNITY, owner=None)
    with pytest.raises(InvalidInput):
        upstreams.upstream_add(name="a", url="https://a.example", organization="team")
    with pytest.raises(NotFound):
        upstreams.upstream_add(name="b", url="https://b.example", token="t", organization="nope")
    added = _cli(capsys, "add", "c", "https://c.example", "--token", "tok-SECRET", "--org", "TEAM")
    assert isinstance(added, dict) and added["organization"] == "team"
    assert "tok-SECRET" not in json.dumps(added)

"""Who may turn "block pushes that contain secrets" on, and the gate in the write service
(a browser upload here; the Hub commit and git push channels are in tests/hub)."""

from __future__ import annotations

import pytest

from nbopen.access.policy import Principal
from nbopen.accounts.models import Namespace, User
from nbopen.accounts.services import user_create
from nbopen.core.errors import PermissionDenied
from nbopen.orgs.services import member_set, org_create
from nbopen.repos.services import repo_create
from nbopen.repos.uploads import Upload, upload_files
from nbopen.scanning import services
from nbopen.scanning.gate import SecretsRefused

pytestmark = pytest.mark.django_db

KEY_FILE = b'import os\n\nKEY = "AKIAZ3MSJV4WWNKWW5FG"\n'


def _user(name: str) -> User:
    return user_create(username=name, email=f"{name}@example.org", password="test-password-1")


def test_who_may_set_the_policy() -> None:
    owner, admin, writer = _user("sowner"), _user("sadmin"), _user("swriter")
    org = org_create(name="sorg", kind="enterprise", owner=owner)
    member_set(organization=org, user=admin, role="admin", actor=owner)
    member_set(organization=org, user=writer, role="write", actor=owner)
    org_ns = Namespace.objects.get(organization=org)
    with pytest.raises(PermissionDenied):
        services.set_block_secrets(principal=Principal(user=writer), namespace=org_ns, block=True)
    with pytest.raises(PermissionDenied):  # someone else's account
        services.set_block_secrets(
            principal=Principal(user=admin), namespace=Namespace.objects.get(user=owner), block=True
        )
    services.set_block_secrets(principal=Principal(user=admin), namespace=org_ns, block=True)
    assert services.blocks_secrets(org_ns)
    mine = Namespace.objects.get(user=writer)
    services.set_block_secrets(principal=Principal(user=writer), namespace=mine, block=True)
    assert services.blocks_secrets(mine) and not services.blocks_secrets(
        Namespace.objects.get(user=owner)
    )


def test_a_users_own_setting_refuses_a_browser_upload() -> None:
    user = _user("supload")
    who = Principal(user=user)
    repo = repo_create(actor=who, owner=None, name="keys", empty=False)
    upload = [Upload("conf/settings.py", data=KEY_FILE)]
    upload_files(actor=who, repo=repo, branch="main", uploads=upload, message="off: accepted")
    services.set_block_secrets(
        principal=who, namespace=Namespace.objects.get(user=user), block=True
    )
    with pytest.raises(SecretsRefused) as refused:
        upload_files(
            actor=who,
            repo=repo,
            branch="main",
            uploads=[Upload("conf/other.py", data=KEY_FILE)],
            message="on: refused",
        )
    assert refused.value.where == ["conf/other.py:3 (AWS Access Key)"]
    assert "AKIA" not in str(refused.value)
    # A commit without secrets goes through.
    upload_files(
        actor=who,
        repo=repo,
        branch="main",
        uploads=[Upload("ok.txt", data=b"fine\n")],
        message="ok",
    )

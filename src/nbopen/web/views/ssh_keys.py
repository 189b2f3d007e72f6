"""``/settings/keys``: the signed-in user's SSH keys for git over SSH.

The same service as Gitea's API (:mod:`nbopen.accounts.sshkeys`); this page only parses the
form and shows the list with fingerprints and last use, so a user can tell which machine's
key to remove.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from nbopen.accounts import sshkeys
from nbopen.accounts.models import User
from nbopen.config.env import CONFIG
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound
from nbopen.web.views.base import page


class SSHKeyForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=100, required=False)
    key = forms.CharField(
        label=gettext_lazy("Public key"),
        max_length=16384,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "ssh-ed25519 AAAA… you@laptop"}),
        help_text=gettext_lazy("The contents of ~/.ssh/id_ed25519.pub (never the private key)."),
    )


def ssh_clone_example(username: str) -> str | None:
    """What a user types to clone over SSH here, or None when SSH is off."""
    if not CONFIG.ssh_port:
        return None
    host = CONFIG.ssh_public_host or CONFIG.public_url.split("://", 1)[-1].split("/")[0]
    host = host.split("]")[0] + "]" if host.startswith("[") else host.rsplit(":", 1)[0]
    if CONFIG.ssh_port == 22:
        return f"git clone git@{host}:{username}/REPO.git"
    return f"git clone ssh://git@{host}:{CONFIG.ssh_port}/{username}/REPO.git"


@login_required
@require_http_methods(["GET", "POST"])
def keys(request: HttpRequest) -> HttpResponse:
    """List, add (POST) the signed-in user's SSH keys."""
    assert isinstance(request.user, User)
    form = SSHKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sshkeys.ssh_key_add(
                user=request.user, title=form.cleaned_data["title"], key=form.cleaned_data["key"]
            )
        except AlreadyExists:
            form.add_error("key", _("This SSH key is already in use."))
        except InvalidInput:
            form.add_error("key", _("This is not a valid SSH public key."))
        else:
            messages.success(request, _("The SSH key was added."))
            return redirect("/settings/keys")
    return page(
        request,
        "web/ssh_keys.html",
        {
            "form": form,
            "keys": sshkeys.ssh_keys_of(request.user),
            "clone_example": ssh_clone_example(request.user.username),
            "section": "keys",
        },
    )


@login_required
@require_POST
def key_delete(request: HttpRequest, key_id: int) -> HttpResponse:
    assert isinstance(request.user, User)
    try:
        sshkeys.ssh_key_delete(user=request.user, key_id=key_id)
    except NotFound:
        messages.error(request, _("No such SSH key."))
    else:
        messages.success(request, _("The SSH key was removed."))
    return redirect("/settings/keys")

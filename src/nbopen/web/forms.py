"""Form definitions. Validation that is a business rule lives in the services; forms only
shape input (the service's DomainError message is shown next to the form)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from nbopen.web.templatetags.nbopen_web import KIND_LABELS, TYPE_LABELS


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=96)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)


class SignupForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=96)
    email = forms.EmailField(label=_("Email"))
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput, help_text=_("At least 8 characters.")
    )


class OrgForm(forms.Form):
    name = forms.CharField(label=_("Organization name"), max_length=96)
    display_name = forms.CharField(label=_("Display name"), max_length=128, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=list(KIND_LABELS.items()))
    region = forms.CharField(label=_("Region"), max_length=64, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)


LICENSES = [
    ("", _("None")),
    ("apache-2.0", "Apache-2.0"),
    ("mit", "MIT"),
    ("bsd-3-clause", "BSD-3-Clause"),
    ("gpl-3.0", "GPL-3.0"),
    ("mulanpsl-2.0", "MulanPSL-2.0"),
    ("cc-by-4.0", "CC-BY-4.0"),
    ("cc-by-sa-4.0", "CC-BY-SA-4.0"),
    ("cc0-1.0", "CC0-1.0"),
    ("other", _("Other")),
]


class RepoForm(forms.Form):
    owner = forms.ChoiceField(label=_("Owner"))
    name = forms.CharField(label=_("Repository name"), max_length=96)
    type = forms.ChoiceField(
        label=_("Type"),
        choices=list(TYPE_LABELS.items()),
        widget=forms.RadioSelect,
        initial="model",
    )
    description = forms.CharField(label=_("Description"), max_length=500, required=False)
    private = forms.BooleanField(label=_("Private"), required=False)
    license = forms.ChoiceField(label=_("Licence"), choices=LICENSES, required=False)
    readme = forms.BooleanField(label=_("Initialize with a README"), required=False, initial=True)
    domain = forms.ChoiceField(
        label=_("Domain"),
        required=False,
        help_text=_("The vertical data library it belongs to; written into the README card."),
    )


class ForkForm(forms.Form):
    owner = forms.ChoiceField(label=_("Owner"))
    name = forms.CharField(label=_("Repository name"), max_length=96)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=[("read", _("read: clone and download")), ("write", _("write: also push"))],
        initial="read",
    )
    expires_days = forms.IntegerField(
        label=_("Expires after (days)"), min_value=1, max_value=3650, required=False
    )


class RepoSettingsForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=500, required=False)
    private = forms.BooleanField(label=_("Private"), required=False)


class DeleteForm(forms.Form):
    confirm = forms.CharField(label=_("Type the full repository name to confirm"), max_length=200)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class UploadForm(forms.Form):
    directory = forms.CharField(label=_("Into folder"), max_length=1000, required=False)
    message = forms.CharField(label=_("Commit message"), max_length=1000, required=False)


class DomainForm(forms.Form):
    slug = forms.CharField(
        label=_("Identifier"),
        max_length=64,
        help_text=_(
            "Lower-case letters, digits and '-', e.g. port-logistics; it cannot be changed later."
        ),
    )
    name_zh = forms.CharField(label=_("Chinese name"), max_length=64)
    name_en = forms.CharField(label=_("English name"), max_length=96, required=False)
    description_zh = forms.CharField(
        label=_("Chinese description"), widget=forms.Textarea, required=False
    )
    description_en = forms.CharField(
        label=_("English description"), widget=forms.Textarea, required=False
    )


class CommitForm(forms.Form):
    """The commit box under every browser edit: message, and where the commit goes.

    ``base`` is the commit the page showed; the service commits only if the branch is still
    there (compare-and-swap), so a concurrent change is reported instead of overwritten."""

    summary = forms.CharField(label=_("Commit message"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Extended description"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    target = forms.ChoiceField(widget=forms.RadioSelect, initial="current")
    new_branch = forms.CharField(label=_("New branch name"), max_length=200, required=False)
    base = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def __init__(
        self, *args: object, branch: str = "", default_message: str = "", **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        target = self.fields["target"]
        assert isinstance(target, forms.ChoiceField)
        target.choices = [
            ("current", _("Commit directly to the %(branch)s branch") % {"branch": branch}),
            ("new", _("Create a new branch for this commit")),
        ]
        self.fields["summary"].widget.attrs["placeholder"] = default_message

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("target") == "new" and not str(data.get("new_branch") or "").strip():
            self.add_error("new_branch", _("Name the new branch."))
        return data


class NewFileForm(CommitForm):
    path = forms.CharField(label=_("File path"), max_length=4096)
    content = forms.CharField(
        label=_("Content"),
        required=False,
        strip=False,
        max_length=1024 * 1024,
        widget=forms.Textarea(attrs={"rows": 20, "spellcheck": "false"}),
    )


class EditFileForm(NewFileForm):
    blob = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)


class RenameForm(CommitForm):
    path = forms.CharField(label=_("New path"), max_length=4096)


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=128, required=False)
    bio = forms.CharField(
        label=_("Bio"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    affiliation = forms.CharField(label=_("Company or school"), max_length=128, required=False)
    location = forms.CharField(label=_("Location"), max_length=128, required=False)
    website = forms.CharField(label=_("Website"), max_length=300, required=False)
    public_email = forms.CharField(label=_("Public email"), max_length=254, required=False)


class AvatarForm(forms.Form):
    avatar = forms.FileField(
        label=_("Avatar"),
        help_text=_("PNG, JPEG, GIF or WebP, at most 1 MiB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}
        ),
    )


class EmailForm(forms.Form):
    email = forms.CharField(label=_("Email"), max_length=254)
    current_password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput)


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    def __init__(self, *args: object, time_zones: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        language = self.fields["language"]
        zone = self.fields["time_zone"]
        assert isinstance(language, forms.ChoiceField) and isinstance(zone, forms.ChoiceField)
        language.choices = [("", _("Follow the browser")), *settings.LANGUAGES]
        default = _("Site default (%(zone)s)") % {"zone": settings.TIME_ZONE}
        zone.choices = [("", default), *((z, z) for z in time_zones)]


class PinsForm(forms.Form):
    repositories = forms.TypedMultipleChoiceField(
        label=_("Pinned repositories"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

"""Profile services and the contribution read models, through the services (no HTTP).

The privacy matrix is the point: a private organization repository the viewer cannot read is
absent from the organizations' list and count, from the pins and from the calendar's counts.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, timedelta

import pytest
from django.utils import timezone

from nbopen.access.policy import Principal
from nbopen.accounts import profile
from nbopen.accounts.models import User
from nbopen.collab import contributions
from nbopen.core import events
from nbopen.core.errors import InvalidInput
from nbopen.orgs.services import org_create
from nbopen.repos.collaborators import collaborator_set
from tests.search.helpers import make_repo, make_user

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
UTC = zoneinfo.ZoneInfo("UTC")


def _world() -> dict[str, object]:
    worker, outsider, boss = (make_user(n) for n in ("cw-worker", "cw-outsider", "cw-boss"))
    org = org_create(name="cw-org", kind="enterprise", owner=boss)
    own = make_repo(worker, "cw-worker", "own")
    public = make_repo(boss, "cw-org", "open-line")
    secret = make_repo(boss, "cw-org", "secret-line", private=True)
    # The worker pushes to both organization repositories (a collaborator, not a member).
    for repo in (public, secret):
        collaborator_set(repo=repo, user=worker, role="write", actor=Principal(user=boss))
        events.record("repo.push", actor=worker, repository=repo, payload={"commits": 4})
    return {
        "worker": worker,
        "outsider": outsider,
        "boss": boss,
        "org": org,
        "own": own,
        "public": public,
        "secret": secret,
    }


def test_organization_repositories_and_calendar_follow_the_policy() -> None:
    w = _world()
    worker = w["worker"]
    assert isinstance(worker, User)
    as_worker = Principal(user=worker)
    as_outsider = Principal(user=w["outsider"])  # type: ignore[arg-type]
    anonymous = Principal.anonymous()

    def names(viewer: Principal) -> set[str]:
        return {r.name for r in contributions.organization_repositories(viewer, worker.pk)}

    assert names(as_worker) == {"open-line", "secret-line"}
    assert names(as_outsider) == names(anonymous) == {"open-line"}
    assert contributions.organization_repositories(anonymous, worker.pk).count() == 1

    today = timezone.now().astimezone(UTC).date()
    mine = contributions.calendar(as_worker, worker.pk, tz=UTC)
    theirs = contributions.calendar(anonymous, worker.pk, tz=UTC)
    # own repo.create (1) + two pushes of 4 commits; the outsider misses the private push.
    assert mine.total == 1 + 4 + 4
    assert theirs.total == 1 + 4
    days = [d for week in theirs.weeks for d in week if d is not None]
    assert days[-1].day == today and days[0].day.weekday() == 6  # Sunday first
    assert len(theirs.weeks) in (52, 53) and days[-1].count == 5 and days[-1].level == 2


def test_calendar_days_are_the_readers_days() -> None:
    user = make_user("cw-late")
    make_repo(user, "cw-late", "night")  # repo.create now
    created = timezone.now()
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11
        tz = zoneinfo.ZoneInfo(zone)
        cal = contributions.calendar(Principal.anonymous(), user.pk, tz=tz)
        counted = {d.day: d.count for week in cal.weeks for d in week if d and d.count}
        assert counted == {created.astimezone(tz).date(): 1}


def test_pins_only_what_the_user_works_on_and_viewers_see_only_readable_ones() -> None:
    w = _world()
    worker, own, public, secret = w["worker"], w["own"], w["public"], w["secret"]
    stranger_repo = make_repo(w["outsider"], "cw-outsider", "theirs")  # type: ignore[arg-type]
    assert isinstance(worker, User)
    ids = [secret.pk, own.pk, public.pk]  # type: ignore[attr-defined]
    profile.pins_set(user=worker, repository_ids=ids)
    with pytest.raises(InvalidInput):
        profile.pins_set(user=worker, repository_ids=[stranger_repo.pk])
    with pytest.raises(InvalidInput):
        profile.pins_set(user=worker, repository_ids=list(range(1, 9)))
    worker.refresh_from_db()
    assert worker.pinned_repository_ids == ids
    seen_by_worker = contributions.pinned(Principal(user=worker), ids)
    assert [r.name for r in seen_by_worker] == ["secret-line", "own", "open-line"]
    assert [r.name for r in contributions.pinned(Principal.anonymous(), ids)] == [
        "own",
        "open-line",
    ]


def test_avatar_is_a_sniffed_raster_image_never_svg() -> None:
    user = make_user("cw-face")
    with pytest.raises(InvalidInput):
        profile.avatar_set(user=user, data=SVG)
    with pytest.raises(InvalidInput):
        profile.avatar_set(user=user, data=b"<html><script>1</script>" + PNG)
    with pytest.raises(InvalidInput):
        profile.avatar_set(user=user, data=PNG + b"\x00" * profile.MAX_AVATAR_BYTES)
    profile.avatar_set(user=user, data=PNG)
    opened = profile.avatar_open(User.objects.get(pk=user.pk))
    assert opened is not None
    stream, media_type = opened
    with stream:
        assert stream.read() == PNG and media_type == "image/png"


def test_password_email_and_preferences_need_what_they_should() -> None:
    user = make_user("cw-pw")
    with pytest.raises(InvalidInput):
        profile.password_change(user=user, current_password="nope", new_password="N3w-pass-ok!")
    with pytest.raises(InvalidInput):  # Django's validators: too common
        profile.password_change(
            user=user, current_password="test-password-1", new_password="password"
        )
    profile.password_change(
        user=user, current_password="test-password-1", new_password="N3w-pass-ok!"
    )
    user.refresh_from_db()
    assert user.password.startswith("argon2") and user.check_password("N3w-pass-ok!")
    with pytest.raises(InvalidInput):
        profile.email_change(user=user, email="x@example.org", current_password="test-password-1")
    profile.email_change(user=user, email="new@example.org", current_password="N3w-pass-ok!")
    with pytest.raises(InvalidInput):
        profile.preferences_set(user=user, language="fr", time_zone="")
    with pytest.raises(InvalidInput):
        profile.preferences_set(user=user, language="en", time_zone="Mars/Olympus")
    profile.preferences_set(user=user, language="en", time_zone="Europe/Berlin")
    assert (user.language, user.time_zone) == ("en", "Europe/Berlin")


def test_calendar_window_is_fifty_two_weeks() -> None:
    cal = contributions.calendar(
        Principal.anonymous(), 0, tz=UTC, today=date(2026, 12, 5)
    )  # a Saturday
    assert cal.last - cal.first == timedelta(days=52 * 7 + 6)


def test_calendar_svg_labels_never_overlap_and_titles_are_translated() -> None:
    import re
    from itertools import pairwise

    from django.utils import translation

    from nbopen.web.contrib_calendar import CELL, GAP, calendar_svg

    for today in (date(2026, 12, 5), date(2026, 3, 1), date(2027, 1, 31)):
        cal = contributions.calendar(Principal.anonymous(), 0, tz=UTC, today=today)
        with translation.override("zh-hans"):
            svg = str(calendar_svg(cal))
        xs = [int(x) for x in re.findall(r'<text x="(\d+)" y="10">', svg)]
        assert len(xs) >= 11
        assert all(b - a >= 3 * (CELL + GAP) for a, b in pairwise(xs))
        assert svg.count("<rect") == (cal.last - cal.first).days + 1
        assert "贡献" in svg and "contribution" not in svg

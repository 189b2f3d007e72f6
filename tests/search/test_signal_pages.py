"""The follow / watch / like forms and the discovery pages, through Django's test client:
CSRF, sign-in redirects, privacy of the buttons, facets and feeds in the HTML."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from nbopen.collab.models import Follow, Like, Watch
from nbopen.orgs.services import org_create
from tests.search.corpus import push_readme
from tests.search.helpers import make_repo, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    with django_capture_on_commit_callbacks(execute=True):
        owner, fan = make_user("sp-owner"), make_user("sp-fan")
        org_create(name="sp-lab", kind="institute", owner=owner)
        pub = make_repo(owner, "sp-owner", "tide-model", description="潮汐 预测 tide")
        secret = make_repo(owner, "sp-lab", "tide-secret", private=True, description="潮汐 机密")
        push_readme(pub, owner, "---\nlicense: mit\npipeline_tag: time-series\n---\n# tide\n")
        push_readme(secret, owner, "---\nlicense: mit\npipeline_tag: time-series\n---\n# s\n")
    return {"owner": owner, "fan": fan}


def signed_in(user: Any, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def test_forms_need_csrf(site: dict[str, Any]) -> None:
    browser = signed_in(site["fan"], csrf=True)
    assert browser.post("/sp-owner/follow", {"action": "follow"}).status_code == 403
    assert browser.post("/sp-owner/tide-model/like", {"action": "like"}).status_code == 403
    assert not Follow.objects.exists() and not Like.objects.exists()
    browser.get("/sp-owner")
    token = browser.cookies["csrftoken"].value
    response = browser.post("/sp-owner/follow", {"action": "follow", "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == "/sp-owner"
    assert Follow.objects.filter(follower=site["fan"]).count() == 1


def test_buttons_toggle_and_count(site: dict[str, Any]) -> None:
    fan = signed_in(site["fan"])
    page = fan.get("/sp-owner/tide-model").content.decode()
    assert 'id="watch-count">0<' in page and 'value="watch"' in page
    back = fan.post(
        "/sp-owner/tide-model/watch", {"action": "watch", "next": "/sp-owner/tide-model"}
    )
    assert back["Location"] == "/sp-owner/tide-model"
    fan.post("/sp-owner/tide-model/like", {"action": "like"})
    page = fan.get("/sp-owner/tide-model").content.decode()
    assert 'id="watch-count">1<' in page and 'value="unwatch"' in page
    assert 'id="like-count">1<' in page and 'value="unlike"' in page
    fan.post("/sp-owner/tide-model/watch", {"action": "unwatch"})
    assert not Watch.objects.exists()
    assert fan.post("/sp-owner/tide-model/watch", {"action": "explode"}).status_code == 404
    assert fan.get("/sp-owner/tide-model/watch").status_code == 405
    # Open redirects are refused: next must stay on this site.
    off = fan.post("/sp-owner/follow", {"action": "follow", "next": "https://evil.example/"})
    assert off["Location"] == "/sp-owner"


def test_anonymous_and_outsiders(site: dict[str, Any], client: Client) -> None:
    response = client.post("/sp-owner/follow", {"action": "follow"})
    assert response.status_code == 302 and response["Location"].startswith("/login?next=/sp-owner")
    response = client.post("/sp-owner/tide-model/watch", {"action": "watch"})
    assert response["Location"].startswith("/login?next=/sp-owner/tide-model")
    fan = signed_in(site["fan"])
    assert fan.post("/sp-lab/tide-secret/watch", {"action": "watch"}).status_code == 404
    assert fan.post("/sp-lab/tide-secret/like", {"action": "like"}).status_code == 404
    assert fan.post("/nobody-at-all/follow", {"action": "follow"}).status_code == 404
    assert not Watch.objects.exists() and not Like.objects.exists()
    own = signed_in(site["owner"])
    assert 'id="follow-button"' not in own.get("/sp-owner").content.decode()  # not oneself


def test_search_page_facets_and_privacy(site: dict[str, Any], client: Client) -> None:
    html = client.get("/search", {"q": "潮汐"}).content.decode()
    assert 'data-id="sp-owner/tide-model"' in html and "tide-secret" not in html
    assert 'data-value="time-series"' in html
    owner_html = signed_in(site["owner"]).get("/search", {"q": "潮汐"}).content.decode()
    assert 'data-id="sp-lab/tide-secret"' in owner_html
    filtered = client.get("/search", {"q": "潮汐", "task": "time-series"}).content.decode()
    assert 'class="facet-value active"' in filtered
    assert client.get("/search", {"sort": "random"}).status_code == 400
    assert client.get("/models").status_code == 200
    orgs = client.get("/organizations").content.decode()
    assert 'data-id="sp-lab"' in orgs and 'data-facet="org_kind"' in orgs


def test_home_shows_trending_and_the_dashboard_feed(site: dict[str, Any]) -> None:
    fan = signed_in(site["fan"])
    fan.post("/sp-lab/follow", {"action": "follow"})
    html = fan.get("/").content.decode()
    assert 'id="trending"' in html and "sp-owner/tide-model" in html
    assert 'id="dashboard-feed"' in html and "tide-secret" not in html
    feed = html.split('id="dashboard-feed"')[1].split('id="trending"')[0]
    assert 'href="/sp-owner"' in feed and 'href="/sp-lab"' in feed  # the org's creation
    owner_html = signed_in(site["owner"]).get("/sp-lab").content.decode()
    assert "sp-lab/tide-secret" in owner_html  # members see their org's private activity
    assert "sp-fan" in owner_html  # and who follows it


def test_follower_and_following_lists_on_profiles(site: dict[str, Any], client: Client) -> None:
    fan = signed_in(site["fan"])
    fan.post("/sp-lab/follow", {"action": "follow"})
    fan.post("/sp-owner/follow", {"action": "follow"})
    following = client.get("/sp-fan", {"tab": "following"}).content.decode()
    people = following.split('class="member-list people-list"')[1].split("</ul>")[0]
    assert 'href="/sp-lab"' in people and 'href="/sp-owner"' in people
    followers = client.get("/sp-lab", {"tab": "followers"}).content.decode()
    assert 'href="/sp-fan"' in followers.split('people-list"')[1].split("</ul>")[0]
    assert 'id="follower-count"><b>1</b>' in followers
    assert "people-list" not in client.get("/sp-lab").content.decode()

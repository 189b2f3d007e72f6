"""Insights dashboards in the browser, from real pushes, downloads and an imported GH Archive
hour: charts are drawn (painted canvas, non-empty series), exports match the JSON API, the
registry page works for site staff only, and private repositories of several owners never
reach public figures.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import subprocess
import urllib.error
import urllib.request
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.analytics.gharchive_factory import Account, Archive, Repo
from tests.support.live import LiveServer
from tests.web.conftest import Recorder, log_in, new_context

pytestmark = pytest.mark.e2e

PRIVATE = ("ins-corp/secret-engine", "ins-uni/hidden-lab", "insowner/diary-ins")
PRIVATE_NAMES = ("secret-engine", "hidden-lab", "diary-ins")


def _git(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)


def _get(live: LiveServer, path: str, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(live.url + path, headers=headers)) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _json(live: LiveServer, path: str, token: str | None = None) -> Any:
    status, body = _get(live, path, token)
    assert status == 200, (path, status, body[:300])
    return json.loads(body)


def _create(
    live: LiveServer,
    token: str,
    full: str,
    *,
    kind: str = "code",
    private: bool = False,
    org: bool = True,
) -> None:
    owner, name = full.split("/")
    body: dict[str, Any] = {"name": name, "type": kind, "private": private}
    if org:
        body["organization"] = owner
    request = urllib.request.Request(
        live.url + "/api/repos/create",
        method="POST",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200


def _push(
    live: LiveServer,
    token: str,
    full: str,
    commits: list[dict[str, str]],
    work: Path,
    *,
    prefix: str = "",
) -> None:
    """Clone (or init), add one commit per dict of files, push main."""
    url = live.url.replace("http://", f"http://u:{token}@") + f"/{prefix}{full}.git"
    subprocess.run(["git", "clone", "-q", url, str(work)], check=False, capture_output=True)
    if not (work / ".git").exists():
        _git("init", "-q", "-b", "main", str(work))
    for number, files in enumerate(commits):
        for name, text in files.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_text(text)
        _git("add", ".", cwd=work)
        _git("commit", "-qm", f"change {number}", cwd=work)
    _git("push", "-q", url, "HEAD:main", cwd=work)


def _archive(folder: Path) -> list[Path]:
    """Issues, pull requests and comments of the registered GitHub org ``ins-gh-corp``, this
    month and last, so activity and OpenRank have values and trends."""
    now = datetime.now(UTC)
    months = [(now.year, now.month)]
    months.insert(0, (now.year - 1, 12) if now.month == 1 else (now.year, now.month - 1))
    org = Account(77001, "ins-gh-corp")
    engine = Repo(77101, "ins-gh-corp/engine", org=org)
    alice, bob, carol = (
        Account(77201, "ins-alice"),
        Account(77202, "ins-bob"),
        Account(77203, "ins-carol"),
    )
    a = Archive()
    for year, month in months:

        def t(hour: int, y: int = year, m: int = month) -> datetime:
            return datetime(y, m, 1, hour, 0)

        issue = a.open_issue(alice, engine, t(1))
        a.comment(bob, engine, issue, t(2))
        a.comment(carol, engine, issue, t(3))
        a.close_issue(alice, engine, issue, t(4))
        pull = a.open_pull(carol, engine, t(5))
        a.review_comment(alice, engine, pull, t(6))
        a.merge_pull(alice, engine, pull, t(7))
        a.push(alice, engine, t(8), commits=2)
    return a.write_hours(folder)


@pytest.fixture(scope="module")
def city(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Two organizations (an enterprise and a university), public and private repositories
    of three owners, a cross-organization push (产学研 edge), a download, GH Archive data."""
    work = tmp_path_factory.mktemp("insights")
    tokens = {
        "owner": live.create_user("insowner"),
        "unidev": live.create_user("insunidev"),
        "outsider": live.create_user("insoutsider"),
        "admin": live.create_user("insadmin", admin=True),
    }
    live.cli("org", "create", "ins-uni", "--kind", "university", "--owner", "insunidev")
    live.cli("org", "create", "ins-corp", "--kind", "enterprise", "--owner", "insowner")
    live.cli("org", "add-member", "ins-corp", "insunidev", "--role", "write")
    owner, unidev = tokens["owner"], tokens["unidev"]
    _create(live, owner, "ins-corp/engine")
    _create(live, owner, "ins-corp/secret-engine", private=True)
    _create(live, unidev, "ins-uni/lab-model", kind="model")
    _create(live, unidev, "ins-uni/hidden-lab", private=True)
    _create(live, owner, "insowner/diary-ins", private=True, org=False)
    code = "def run(x):\n    # twice\n    return 2 * x\n"
    _push(
        live,
        owner,
        "ins-corp/engine",
        [{"engine.py": code}, {"util.py": "A = 1\n"}],
        work / "engine",
    )
    _push(live, unidev, "ins-corp/engine", [{"lab.py": "B = 2\n"}], work / "engine-uni")
    _push(live, owner, "ins-corp/secret-engine", [{"s.py": "S = 1\n"}], work / "secret")
    card = "---\nlicense: mit\ndomain: healthcare\n---\n# Lab model\n"
    _push(
        live,
        unidev,
        "ins-uni/lab-model",
        [{"README.md": card, "config.json": "{}\n"}],
        work / "lab",
    )
    _push(live, unidev, "ins-uni/hidden-lab", [{"h.py": "H = 1\n"}], work / "hidden")
    _push(live, owner, "insowner/diary-ins", [{"d.py": "D = 1\n"}], work / "diary")
    _json(live, "/api/models/ins-uni/lab-model")  # syncs the card (domain) to the database
    status, _ = _get(live, "/ins-uni/lab-model/resolve/main/config.json")
    assert status == 200  # counts one download
    live.cli(
        "analytics",
        "registry",
        "add",
        "--platform",
        "github",
        "--login",
        "ins-gh-corp",
        "--organization",
        "ins-corp",
    )
    hours = _archive(work / "gha")
    live.cli("analytics", "import-gharchive", *map(str, hours))
    live.cli("analytics", "compute")
    return tokens


def _zip_tables(body: bytes) -> dict[str, list[list[str]]]:
    """The CSV export's zip: table name → rows (header first); every file has a BOM."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        for name in archive.namelist():
            raw = archive.read(name)
            assert raw.startswith(b"\xef\xbb\xbf"), name
            table = Path(name).stem
            out[table] = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    return out


def _painted(page: Page, chart_id: str) -> int:
    """Non-transparent pixels on the chart's canvas (an empty canvas has none)."""
    return int(
        page.eval_on_selector(
            f".chart[data-chart='{chart_id}'] canvas",
            """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                      let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; }
                      return n; }""",
        )
    )


def _series_values(page: Page, chart_id: str) -> list[Any]:
    option = json.loads(page.inner_text(f"script#{chart_id}"))
    values: list[Any] = []
    for series in option["series"]:
        values += series.get("data", [])
    return values


def _check_charts(page: Page, ids: list[str]) -> None:
    for chart_id in ids:
        page.wait_for_selector(
            f".chart[data-chart='{chart_id}'][data-rendered=true]", timeout=20_000
        )
        values = _series_values(page, chart_id)
        numbers = [v["value"] if isinstance(v, dict) else v for v in values]
        assert any(n for n in numbers), (chart_id, values)
        assert _painted(page, chart_id) > 500, chart_id


def test_city_dashboard_renders_and_exports(
    page: Page, live: LiveServer, city: dict[str, str]
) -> None:
    base = live.url
    page.goto(f"{base}/insights")
    _check_charts(
        page,
        [
            "city_activity",
            "city_developers",
            "city_kinds",
            "city_domains",
            "city_top_orgs",
            "city_network",
        ],
    )
    text = page.inner_text("main")
    assert "活跃开发者" in text  # Chinese by default
    for name in PRIVATE_NAMES:
        assert name not in page.content()
    # Every figure links to its method.
    hrefs = page.eval_on_selector_all(".method-link", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs and all(h.startswith("/insights/methods#") for h in hrefs)
    page.click(".method-link >> nth=0")
    page.wait_for_url(f"{base}/insights/methods#*")
    assert page.is_visible("#activity") and page.is_visible("#cocomo")
    assert "0.5252" in page.inner_text("#activity")

    # JSON and CSV exports carry the API's numbers.
    api = _json(live, "/api/v1/analytics/city")
    exported = _json(live, "/insights?format=json")
    assert exported["month"] == api["month"]
    assert exported["metrics"] == api["metrics"]
    for metric, values in api["trend"].items():
        assert exported["trend"][metric] == values
    for kind, item in api["kinds"].items():
        assert exported["kinds"][kind]["organizations"] == item["organizations"]
        assert exported["kinds"][kind]["metrics"] == item["metrics"]
    assert exported["top_organizations"] == api["top_organizations"]
    status, body = _get(live, "/insights?format=csv")
    assert status == 200
    tables = _zip_tables(body)
    summary = dict(tables["summary"][1:])
    assert summary["dashboard"] == "city"
    metrics = dict(tables["metrics"][1:])
    for metric, value in api["metrics"].items():
        assert float(metrics[metric]) == pytest.approx(value)
    assert float(metrics["active_developers"]) >= 2
    # Proper tables with headers: a month per row for the trend, one row per domain.
    assert tables["trend"][0][0] == "month" and "activity" in tables["trend"][0]
    assert tables["domains"][0] == ["domain", "repositories", "activity"]
    assert any(r[:2] == ["healthcare", "1"] for r in tables["domains"][1:])
    # One table alone, UTF-8 with a BOM (Excel then reads Chinese correctly).
    status, single = _get(live, "/insights?format=csv&table=domains")
    assert status == 200 and single.startswith(b"\xef\xbb\xbf")
    assert next(csv.reader(io.StringIO(single.decode("utf-8-sig")))) == tables["domains"][0]
    assert _get(live, "/insights?format=csv&table=nope")[0] == 404
    body = b"".join(
        zipfile.ZipFile(io.BytesIO(body)).read(n)
        for n in zipfile.ZipFile(io.BytesIO(body)).namelist()
    )
    domains = {d["domain"]: d for d in exported["domains"]}
    assert domains["healthcare"]["repositories"] == 1
    edges = {(e["source"], e["target"]): e for e in exported["collaboration"]}
    assert edges[("ins-uni", "ins-corp")]["industry_academia"] is True
    for blob in (json.dumps(exported), body.decode("utf-8-sig")):
        for name in PRIVATE_NAMES:
            assert name not in blob
    # Value: engine's rebuild cost is in the report; private repositories are not.
    value_api = _json(live, "/api/v1/analytics/value")
    assert exported["value"]["rebuild_cost_cny"] == value_api["rebuild_cost_cny"]

    # The printable report and the PDF.
    page.goto(f"{base}/insights?format=print")
    assert page.is_visible(".print-head")
    # Report time in the viewer's zone: the site's (Asia/Shanghai) by default, a tz cookie's
    # when the browser sets one; the label names the zone it is in.
    shanghai = page.inner_text("#report-time")
    assert "Asia/Shanghai (UTC+08:00)" in shanghai
    page.context.add_cookies([{"name": "tz", "value": "UTC", "url": base}])
    page.reload()
    utc = page.inner_text("#report-time")
    assert "UTC (UTC+00:00)" in utc
    hour = datetime.now(UTC).strftime("%H:")
    assert utc.split(" ")[1].startswith(hour) or datetime.now(UTC).minute == 0
    # The cost assumptions are in the page's language.
    assert "各仓库按其源代码总行数作为一个模块计算成本" in page.inner_text("#value-assumptions")
    status, pdf = _get(live, "/insights?format=pdf")
    assert status == 200 and pdf.startswith(b"%PDF")
    # A4 (595 × 842 points), not Letter (612 × 792).
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes and all(round(float(w)) == 595 and round(float(h)) == 842 for w, h in boxes)
    assert pdf.count(b"/Subtype /Image") >= 4  # the charts' canvases were drawn and printed
    # Chinese text is printed with a Chinese font (without one chromium draws empty boxes).
    assert re.search(rb"/BaseFont /[A-Z]{6}\+WenQuanYi", pdf), re.findall(rb"/BaseFont /\S+", pdf)
    assert _get(live, "/insights?format=xml")[0] == 404
    assert _get(live, "/insights?month=2024-13")[0] == 404


def test_city_report_in_english_with_one_table_exports(
    browser: Browser, live: LiveServer, city: dict[str, str], requests_seen: Recorder
) -> None:
    context = new_context(browser, requests_seen, locale="en-US")
    try:
        page = context.new_page()
        page.goto(f"{live.url}/insights")
        assumptions = page.inner_text("#value-assumptions")
        assert "each repository is costed as one module" in assumptions
        assert "Labour cost per person-month (CNY)" in assumptions
        assert "成本" not in assumptions
        assert page.inner_text("#export-csv") == "CSV (zip)"
        page.click("#export-tables summary")
        link = page.locator("#export-tables a", has_text="domains.csv")
        with page.expect_download() as info:
            link.click()
        download = info.value
        assert download.suggested_filename.endswith("-domains.csv")
        text = Path(download.path()).read_bytes()
        assert text.startswith(b"\xef\xbb\xbf")
        assert next(csv.reader(io.StringIO(text.decode("utf-8-sig")))) == [
            "domain",
            "repositories",
            "activity",
        ]
        page.goto(f"{live.url}/insights?format=print")
        assert "Asia/Shanghai (UTC+08:00)" in page.inner_text("#report-time")
    finally:
        context.close()


def test_network_page_highlights_industry_academia(
    page: Page, live: LiveServer, city: dict[str, str]
) -> None:
    page.goto(f"{live.url}/insights/network")
    _check_charts(page, ["network_graph"])
    option = json.loads(page.inner_text("script#network_graph"))
    links = option["series"][0]["links"]
    iar = [x for x in links if (x["source"], x["target"]) == ("ins-uni", "ins-corp")]
    assert iar and iar[0]["lineStyle"]["color"] == "#c7000b"
    assert page.locator("#network-edges tr.iar").count() >= 1


def test_org_dashboard_privacy_and_export(
    page: Page,
    browser: Browser,
    live: LiveServer,
    city: dict[str, str],
    requests_seen: Recorder,
) -> None:
    base = live.url
    # Outsider (anonymous here): public figures only.
    page.goto(f"{base}/ins-corp/insights")
    _check_charts(page, ["org_influence", "org_health", "org_talent", "org_partners"])
    assert "secret-engine" not in page.content()
    public = _json(live, "/ins-corp/insights?format=json")
    api_public = _json(live, "/api/v1/analytics/orgs/ins-corp", city["outsider"])
    assert public["scope"] == api_public["scope"] == "public"
    assert public["metrics"] == api_public["metrics"]
    # engine: two pushes, plus one on the registered GitHub org's repository this month; the
    # private repository's push is left out.
    assert public["metrics"]["pushes"] == 3
    hosted = [r["repository"] for r in public["repositories"] if r["platform"] == "nbopen"]
    assert hosted == ["ins-corp/engine"]
    # The registered GitHub organization's repository, with OpenDigger's activity computed
    # by hand: alice opened an issue and left a review comment, bob commented, carol
    # commented and opened a pull request that was merged.
    (github,) = [r for r in public["repositories"] if r["platform"] == "github"]
    assert github["repository"] == "ins-gh-corp/engine"
    expected = math.sqrt(2.2235 + 0.7427) + math.sqrt(0.5252) + math.sqrt(0.5252 + 4.0679 + 2.0339)
    assert github["activity"] == pytest.approx(expected, abs=0.01)
    assert sum(public["talent"]["new_contributors"].values()) >= 1
    assert public["metrics"]["openrank"] > 0  # from the registered GitHub organization

    # A member sees the private repository and the members' figures.
    member_ctx = new_context(browser, requests_seen)
    try:
        member = member_ctx.new_page()
        log_in(member, base, "insowner", "pw-insowner-Secret9")
        member.goto(f"{base}/ins-corp/insights")
        _check_charts(member, ["org_influence"])
        assert "secret-engine" in member.inner_text("#org-repos")
        response = member.goto(f"{base}/ins-corp/insights?format=json")
        assert response is not None
        mine = json.loads(response.text())
        api_members = _json(live, "/api/v1/analytics/orgs/ins-corp", city["owner"])
        assert mine["scope"] == api_members["scope"] == "members"
        assert mine["metrics"] == api_members["metrics"]
        assert mine["metrics"]["pushes"] == 4
        download = member.request.get(f"{base}/ins-corp/insights?format=csv")
        assert download.status == 200
        assert download.headers["content-disposition"].startswith("attachment")
        assert download.headers["content-type"] == "application/zip"
        rows = dict(_zip_tables(download.body())["metrics"][1:])
        assert float(rows["pushes"]) == 4

        # The private repository's own dashboard: its readers only.
        member.goto(f"{base}/ins-corp/secret-engine/insights")
        assert member.inner_text("#repo-private-note")
    finally:
        member_ctx.close()
    for full in PRIVATE:
        assert _get(live, f"/{full}/insights")[0] == 404
        assert _get(live, f"/{full}/insights?format=json", city["outsider"])[0] == 404
    # The university's private repository is not in the enterprise's members view either.
    assert "hidden-lab" not in json.dumps(
        _json(live, "/ins-corp/insights?format=json", city["owner"])
    )


def test_repo_dashboard_counts_downloads_and_commits(
    page: Page, live: LiveServer, city: dict[str, str]
) -> None:
    base = live.url
    page.goto(f"{base}/ins-uni/lab-model/insights")
    assert page.inner_text("#stat-downloads").startswith("1")
    _check_charts(page, ["repo_usage"])
    data = _json(live, "/ins-uni/lab-model/insights?format=json")
    api = _json(live, "/api/v1/analytics/repos/ins-uni/lab-model")
    assert data["metrics"] == api["metrics"]
    assert data["metrics"]["downloads"] == 1
    engine = _json(live, "/api/v1/analytics/repos/ins-corp/engine")
    assert engine["metrics"]["commits"] == 3  # two commits, then one from the university
    page.goto(f"{base}/ins-corp/engine/insights")
    _check_charts(page, ["repo_usage", "repo_languages"])
    assert page.locator(".repo-tabs a.active").inner_text() in {"洞察", "Insights"}
    owner_view = _json(live, "/ins-corp/secret-engine/insights?format=json", city["owner"])
    assert owner_view["metrics"]["pushes"] == 1 and owner_view["private"] is True


def test_registry_page_is_for_site_staff(
    page: Page,
    browser: Browser,
    live: LiveServer,
    city: dict[str, str],
    requests_seen: Recorder,
) -> None:
    base = live.url
    assert page.goto(f"{base}/insights/registry") is not None
    assert "/login" in page.url
    log_in(page, base, "insoutsider", "pw-insoutsider-Secret9")
    response = page.goto(f"{base}/insights/registry")
    assert response is not None and response.status == 404
    staff_ctx = new_context(browser, requests_seen)
    try:
        staff = staff_ctx.new_page()
        log_in(staff, base, "insadmin", "pw-insadmin-Secret9")
        staff.goto(f"{base}/insights/registry")
        assert "ins-gh-corp" in staff.inner_text("#registry-entries")
        staff.select_option("#registry-platform", "gitee")
        staff.fill("#registry-login", "ins-gitee-lab/vision")
        staff.fill("#registry-organization", "ins-uni")
        staff.click("#registry-form button[type=submit]")
        staff.wait_for_url(f"{base}/insights/registry")
        assert "ins-gitee-lab/vision" in staff.inner_text("#registry-entries")
        staff.fill("#registry-login", "someone")
        staff.fill("#registry-organization", "no-such-org-ins")
        staff.click("#registry-form button[type=submit]")
        assert staff.is_visible("#registry-error")
    finally:
        staff_ctx.close()
    listed = live.cli("analytics", "registry", "list").stdout
    assert "ins-gitee-lab/vision" in listed and "no-such-org-ins" not in listed

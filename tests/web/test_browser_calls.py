"""Open calls in the browser, in Chinese: an enterprise publishes a call (an operator approves
it), two labs apply, the enterprise names a reviewer and a scoring form, the reviewer (a
member of one lab) sees only the other lab's application and scores it, and the enterprise
records its decision with reasons."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.support.live import LiveServer
from tests.web.conftest import Recorder, log_in, new_context


def _login(browser: Browser, recorder: Recorder, base: str, name: str) -> Page:
    page = new_context(browser, recorder).new_page()
    log_in(page, base, name, password=f"pw-{name}-Secret9")
    return page


def _step(page: Page, base: str, call: str, to: str) -> None:
    page.goto(f"{base}{call}")
    page.select_option("#to", to)
    page.click("#transition button[type=submit]")
    page.wait_for_url(f"{base}{call}")


def test_publish_apply_and_review_in_chinese(
    browser: Browser, live: LiveServer, requests_seen: Recorder
) -> None:
    base = live.url
    for name in ("cboss", "clab", "cgen", "creviewer"):
        live.create_user(name)
    live.create_user("cop", admin=True)
    live.cli("org", "create", "c-port", "--kind", "enterprise", "--owner", "cboss")
    live.cli("org", "create", "c-lab", "--kind", "university", "--owner", "clab")
    live.cli("org", "create", "c-gen", "--kind", "university", "--owner", "cgen")
    live.cli("org", "add-member", "c-gen", "creviewer", "--role", "write")
    pages = []
    try:
        boss = _login(browser, requests_seen, base, "cboss")
        pages.append(boss)
        boss.goto(f"{base}/calls")
        assert boss.inner_text("#new-call") == "发布榜单"
        boss.click("#new-call")
        boss.select_option("#organization", "c-port")
        boss.fill("#title", "集装箱码头泊位智能调度")
        boss.fill("#description", "降低船舶在港等待时间")
        boss.fill("#tags", "港口，调度")
        boss.fill("#budget", "800000")
        boss.click("#call-new button[type=submit]")
        boss.wait_for_url(f"{base}/calls/*")
        call = boss.url.removeprefix(base)
        assert boss.inner_text("#call-state") == "草稿"
        _step(boss, base, call, "review")
        assert boss.inner_text("#call-state") == "审核中"

        operator = _login(browser, requests_seen, base, "cop")
        pages.append(operator)
        _step(operator, base, call, "published")
        _step(boss, base, call, "applications")
        assert boss.inner_text("#call-state") == "揭榜中"
        assert "cop" in boss.inner_text("#timeline")

        for name, org, text in (
            ("clab", "c-lab", "强化学习泊位分配方案"),
            ("cgen", "c-gen", "通用调度平台方案"),
        ):
            lab = _login(browser, requests_seen, base, name)
            pages.append(lab)
            lab.goto(f"{base}{call}")
            lab.select_option("#organization", org)
            lab.fill("#proposal", text)
            lab.click("#apply button[type=submit]")
            lab.wait_for_url(f"{base}{call}")
            assert text in lab.inner_text("#applications")

        boss.goto(f"{base}{call}")
        assert boss.inner_text("#panel") == "评审组"
        boss.fill("#reviewer-name", "creviewer")
        boss.click("#reviewer-add button[type=submit]")
        boss.wait_for_url(f"{base}{call}*")
        boss.fill("#criteria", "技术方案: 2\n团队能力: 1")
        boss.click("#panel-form button[type=submit]")
        boss.wait_for_url(f"{base}{call}*")
        assert "creviewer" in boss.inner_text("#reviewers")
        assert "同一单位" in boss.inner_text("#conflicts")  # creviewer is in c-gen

        reviewer = _login(browser, requests_seen, base, "creviewer")
        pages.append(reviewer)
        reviewer.goto(f"{base}{call}")
        listed = reviewer.inner_text("#applications")
        assert "强化学习泊位分配方案" in listed and "通用调度平台方案" not in listed
        form = reviewer.locator(".review-form")
        assert form.count() == 1
        assert form.locator("button").inner_text() == "提交评审"
        inputs = form.locator("input[type=number]")
        inputs.nth(0).fill("5")
        inputs.nth(1).fill("3")
        form.locator("textarea").fill("方案扎实，可落地")
        form.locator("button").click()
        reviewer.wait_for_load_state()

        boss.goto(f"{base}{call}")
        card = boss.locator(".application", has_text="强化学习泊位分配方案")
        assert "creviewer" in card.locator(".reviews").inner_text()
        assert card.locator(".mean-score").inner_text() == "4.33"  # (2·5 + 1·3) / 3
        card.locator("select[name=status]").select_option("accepted")
        card.locator("input[name=reasons]").fill("评分最高")
        card.locator(".decision-form button").click()
        boss.wait_for_load_state()
        card = boss.locator(".application", has_text="强化学习泊位分配方案")
        assert card.locator(".application-status").inner_text() == "已采纳"
        assert "评分最高" in card.inner_text()

        # The applicant sees the decision and its reasons, not the reviewer or the scores.
        lab = pages[2]
        lab.goto(f"{base}{call}")
        mine = lab.inner_text("#applications")
        assert "评分最高" in mine and "creviewer" not in mine and "方案扎实" not in mine
    finally:
        for p in pages:
            p.context.close()

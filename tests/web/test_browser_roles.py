"""Each role's main path in a real headless Chromium, against the web app, the review workflow and a
worker: the team submits; a reviewer lands on "My reviews", claims from the queue, sees why approval
is not possible yet, escalates with a reason; the GCU head reads that reason where they act and
returns the product; the team reads the return reason on its page and resubmits; version 2's review
page shows why version 1 went back; the findings are dismissed and the product approved; the Deputy
Prosecutor explores the dashboard.

Every page visited is checked at 1366 px and at 390 px (no sideways scrolling), with axe-core (the
copy packaged in axe-playwright-python; nothing fetched) for serious or critical violations, and
saved as a screenshot under test-artifacts/web/roles/."""

import asyncio
import re

import pytest

from store.accounts import DEMO_ACCOUNTS, demo_password
from tests.web.flow import (
    new_product_id,
    review_system,
    s1_revised,
    s1_text,
    wait_for_state,
)
from tests.web.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, free_port
from web.server import serve

SHOTS = ARTIFACTS / "roles"
USERNAME_OF = {staff: user for user, staff, _what in DEMO_ACCOUNTS if staff}

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")


class PageChecks:
    """Screenshot, axe and the 390 px check for every page a test visits."""

    def __init__(self):
        from axe_playwright_python.async_playwright import Axe

        self.axe = Axe()
        self.problems: list[str] = []
        self.seen = 0

    async def __call__(self, page, name: str) -> None:
        self.seen += 1
        await page.wait_for_load_state()
        await page.screenshot(path=str(SHOTS / f"{self.seen:02d}-{name}.png"), full_page=True)
        results = await self.axe.run(page)
        for v in results.response["violations"]:
            if v["impact"] in ("serious", "critical"):
                targets = [n["target"] for n in v["nodes"][:3]]
                self.problems.append(f"{name}: axe {v['impact']} {v['id']} ({v['help']}) at {targets}")
        width = page.viewport_size["width"]
        await page.set_viewport_size({"width": 390, "height": 844})
        scroll = await page.evaluate("document.documentElement.scrollWidth")
        if scroll > 390:
            wide = await page.evaluate("""() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > 391).slice(0, 4)
                .map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className)""")
            self.problems.append(f"{name}: {scroll} px wide at 390 px ({wide})")
        header = await page.evaluate("document.querySelector('header.top').getBoundingClientRect().height")
        if header > 120:
            self.problems.append(f"{name}: the header takes {header:.0f} px at 390 px")
        await page.screenshot(path=str(SHOTS / f"{self.seen:02d}-{name}-390.png"), full_page=True)
        await page.set_viewport_size({"width": width, "height": 900})


async def test_each_role_walks_its_main_path_with_reasons_where_the_next_person_acts(tmp_path, temporal_env):
    from playwright.async_api import async_playwright, expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    pid = new_product_id()
    v1, v2 = tmp_path / f"{pid}.md", tmp_path / "v2" / f"{pid}.md"
    v2.parent.mkdir()
    v1.write_text(s1_text(pid), encoding="utf-8")
    v2.write_text(s1_revised(pid), encoding="utf-8")
    escalation = "The plan names a survivor as interpreter; the GCU head should decide."
    return_reason = "Add the gender analysis and the GCU consultation points; replace the term 'bush wives'."

    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        from service.demo_history import seed_history

        await asyncio.to_thread(seed_history, db_engine=engine, settings=settings)  # the dashboard has a year to show
        port = free_port()
        stop, started = asyncio.Event(), asyncio.Event()
        server = asyncio.create_task(
            serve(
                settings, stop, host="127.0.0.1", port=port, db_engine=engine, temporal_client=client, started=started
            )
        )
        await asyncio.wait_for(started.wait(), 10)
        base = f"http://127.0.0.1:{port}"
        check = PageChecks()
        try:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)

                async def person(username: str):
                    context = await browser.new_context(viewport={"width": 1366, "height": 900})
                    page = await context.new_page()
                    await page.goto(f"{base}/login")
                    await check(page, "login")
                    await page.get_by_label("Username").fill(username)
                    await page.get_by_label("Password").fill(demo_password(username))
                    await page.get_by_role("button", name="Sign in").click()
                    await page.wait_for_load_state()
                    return page

                # The team submits.
                team = await person("heron.lead")
                await check(team, "team-page")
                await team.get_by_role("link", name="Submit a product").click()
                await team.get_by_label("Product file (.md, .docx or .pdf)").set_input_files(str(v1))
                await check(team, "submit-form")
                # The post's own navigation ends before the page is reloaded (a reload while it is
                # under way found the page detached).
                async with team.expect_navigation():
                    await team.get_by_role("button", name="Submit for pre-check").click()
                await wait_for_state(engine, pid, "queued")
                await team.reload()
                await check(team, "product-queued")

                # A reviewer lands on "My reviews", claims the product from the list, opens it.
                reviewer = await person("gcu.albrecht")
                await expect(reviewer).to_have_url(f"{base}/my-reviews")
                await expect(reviewer.locator("#waiting")).to_contain_text(pid)
                await check(reviewer, "my-reviews-empty")
                await reviewer.goto(f"{base}/queue")
                await check(reviewer, "queue")
                await reviewer.get_by_role("button", name=f"Claim {pid}").click()
                await expect(reviewer.locator("#flash")).to_have_text(f"Claimed {pid}: it is in your reviews.")
                await reviewer.goto(f"{base}/my-reviews")
                await expect(reviewer.locator("#my-reviews")).to_contain_text(pid)
                await expect(reviewer.locator("#my-reviews")).to_contain_text("Albrecht")
                await check(reviewer, "my-reviews")
                await reviewer.get_by_role("link", name=pid).first.click()

                # Approval is not possible yet, and the page says why before anything is posted.
                await expect(reviewer.locator("#approve")).to_be_disabled()
                await expect(reviewer.locator("#approve-blocked")).to_contain_text(
                    "blocking or major findings not dismissed"
                )
                await expect(reviewer.locator("#progress")).to_have_text(re.compile(r"^0 of \d+ findings handled$"))
                # A finding's location links to its passage, which is highlighted.
                where = reviewer.locator("#finding-LANG-03 a.where")
                await expect(where).to_have_text(re.compile(r"^Line \d+$"))
                await where.click()
                target = await reviewer.evaluate("location.hash")
                await expect(reviewer.locator(f"{target}.flagged")).to_be_visible()
                await expect(reviewer.locator(f"{target} .blk-body")).to_contain_text("bush")
                # Internal names stay out of sight.
                side = await reviewer.locator(".side").inner_text()
                assert "P_LANG03" not in side and "field:" not in side and "section:" not in side
                # A comment on that passage is shown in place.
                block = reviewer.locator(target)
                await block.get_by_text("Comment on this passage").click()
                await block.get_by_role("textbox").fill("Is this a quote from the witness?")
                await block.get_by_role("button", name="Add comment").click()
                await expect(reviewer.locator("#flash")).to_have_text("Comment added.")
                await expect(reviewer.locator(f"{target} .thread")).to_contain_text("Is this a quote from the witness?")
                await check(reviewer, "review-page")
                await reviewer.get_by_role("link", name="Raw source").click()
                await expect(reviewer.locator("ol.doc")).to_contain_text("product:")
                await check(reviewer, "review-source")
                await reviewer.go_back()

                # The decision forms are reachable from the keyboard alone, in reading order.
                await reviewer.locator("body").focus()
                reached = []
                for _ in range(40):
                    await reviewer.keyboard.press("Tab")
                    reached.append(await reviewer.evaluate("document.activeElement.id"))
                    if reached[-1] == "escalate-reason":
                        break
                assert reached[0] == "" and "return-reason" in reached and reached[-1] == "escalate-reason", reached
                assert await reviewer.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
                # The reviewer escalates with a reason.
                await reviewer.get_by_label("Why the GCU head should decide").fill(escalation)
                await reviewer.get_by_role("button", name="Escalate").click()
                await expect(reviewer.locator("#flash")).to_have_text("Escalated to the GCU head.")
                await wait_for_state(engine, pid, "escalated")

                # The GCU head reads the escalation reason where they act, and returns the product.
                head = await person("gcu.head")
                await head.goto(f"{base}/products/{pid}/review")
                await expect(head.locator("#escalation-reason-panel")).to_contain_text(escalation)
                await check(head, "head-escalated-review")
                await head.get_by_label("What the team must change").fill(return_reason)
                await head.get_by_role("button", name="Return for revision").click()
                await expect(head.locator("#flash")).to_have_text("Returned to the team.")
                await wait_for_state(engine, pid, "returned")
                await expect(head.locator("#next-step")).to_contain_text("waiting for a revised version")
                await head.goto(f"{base}/queue")
                await expect(head.locator("#bulk-assign")).to_be_visible()
                await check(head, "head-queue")

                # The team reads why on its product page, and resubmits.
                await team.goto(f"{base}/products/{pid}")
                await expect(team.locator("#return-reason-panel")).to_contain_text(return_reason)
                await expect(team.locator("#resubmit-by")).to_be_visible()
                await check(team, "team-product-returned")
                await team.goto(f"{base}/team")
                await expect(team.locator(f'tr[data-product="{pid}"] td.due')).to_contain_text("Resubmit by")
                await check(team, "team-page-returned")
                await team.goto(f"{base}/products/{pid}")
                await team.get_by_role("link", name="Resubmit a revised version").click()
                await team.get_by_label("Revised file (.md, .docx or .pdf)").set_input_files(str(v2))
                await check(team, "resubmit-form")
                await team.get_by_role("button", name="Resubmit").click()
                await expect(team.locator("#flash")).to_contain_text("Version 2 submitted")
                review = await wait_for_state(engine, pid, "in_review", "queued")
                await team.goto(f"{base}/products/{pid}/diff")
                await expect(team.locator("#resolved")).to_contain_text("LANG-03")
                await expect(team.locator("#side-by-side ins").first).to_be_visible()
                await check(team, "diff")

                # Whoever decides version 2 sees why version 1 went back, dismisses what remains, approves.
                if review.state == "queued":
                    await reviewer.goto(f"{base}/products/{pid}/review")
                    await reviewer.get_by_role("button", name="Claim this review").click()
                    review = await wait_for_state(engine, pid, "in_review")
                decider = head if USERNAME_OF[review.assignee_id] == "gcu.head" else reviewer
                await decider.goto(f"{base}/products/{pid}/review")
                await expect(decider.locator("#previous-return-panel")).to_contain_text(return_reason)
                rules = [
                    i.removeprefix("finding-")
                    for i in await decider.locator(".finding.state-open").evaluate_all("items => items.map(i => i.id)")
                ]
                for rule in rules:
                    form = decider.locator(f"#finding-{rule}")
                    if await form.get_by_role("button", name="Dismiss").count():
                        await decider.get_by_label(f"Reason for dismissing {rule}").fill(
                            "Agreed with the GCU in the annex."
                        )
                        await form.get_by_role("button", name="Dismiss").click()
                        await expect(decider.locator("#flash")).to_have_text(f"Finding {rule} dismissed.")
                await expect(decider.locator("#approve")).to_be_enabled()
                await check(decider, "review-ready")
                await decider.locator("#approve").click()
                await expect(decider.locator("#flash")).to_have_text("Approved.")
                await wait_for_state(engine, pid, "approved")

                # The team's page: no due date once approved; the resubmit form is refused.
                await team.goto(f"{base}/team")
                await expect(team.locator(f'tr[data-product="{pid}"] td.due')).to_have_text("—")
                response = await team.goto(f"{base}/products/{pid}/resubmit")
                assert response.status == 409

                # The Deputy Prosecutor explores the dashboard: period, charts, a figure's list.
                dp = await person("dp.marsh")
                await expect(dp.locator("#quarter")).to_be_visible()
                await expect(dp.locator("svg.chart").first).to_be_visible()
                await check(dp, "dashboard")
                await dp.locator('tr[data-team="T-HERON"] td.approved a').click()
                await expect(dp.locator("#product-list")).to_contain_text(pid)
                await check(dp, "dashboard-list")
                await dp.goto(f"{base}/products/{pid}/audit")
                await expect(dp.locator("table")).to_contain_text(return_reason)
                await check(dp, "history")
                await dp.goto(f"{base}/notifications")
                await check(dp, "notifications")
                await dp.goto(f"{base}/certifications")
                await check(dp, "certifications")
                await browser.close()
        finally:
            stop.set()
            await server
    assert not check.problems, "\n".join(check.problems)

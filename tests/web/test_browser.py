"""A real headless Chromium (Debian's `chromium`, driven by Playwright's Python package) against the
web app served by uvicorn, the review workflow and a worker: the team submits, a reviewer claims and
returns with a reason, the team resubmits, the reviewer approves, and the Deputy Prosecutor's
dashboard shows the approval. Screenshots of the main pages go to test-artifacts/."""

import asyncio
import re
import socket
from pathlib import Path

import pytest

from store.accounts import demo_password
from tests.web.flow import new_product_id, review_system, s1_revised, s1_text, wait_for_state
from web.server import serve

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (apt-get install chromium chromium-driver)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_a_product_goes_from_submission_to_approval_in_the_browser(tmp_path, temporal_env):
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pid = new_product_id()
    v1, v2 = tmp_path / f"{pid}.md", tmp_path / "v2" / f"{pid}.md"
    v2.parent.mkdir()
    v1.write_text(s1_text(pid), encoding="utf-8")
    v2.write_text(s1_revised(pid), encoding="utf-8")

    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        port = free_port()
        stop, started = asyncio.Event(), asyncio.Event()
        server = asyncio.create_task(
            serve(
                settings, stop, host="127.0.0.1", port=port, db_engine=engine, temporal_client=client, started=started
            )
        )
        await asyncio.wait_for(started.wait(), 10)
        base = f"http://127.0.0.1:{port}"
        console_errors: list[str] = []
        try:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)

                async def person(username: str):
                    context = await browser.new_context(viewport={"width": 1366, "height": 900})
                    page = await context.new_page()
                    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
                    await page.goto(f"{base}/login")
                    await page.get_by_label("Username").fill(username)
                    await page.get_by_label("Password").fill(demo_password(username))
                    await page.get_by_role("button", name="Sign in").click()
                    await page.wait_for_load_state()
                    return page

                async def shot(page, name: str) -> None:
                    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

                # Before: the Deputy Prosecutor's dashboard shows no approval for Heron.
                dp = await person("dp.marsh")
                await expect(dp.locator('tr[data-team="T-HERON"] td.approved')).to_have_text("0")
                await expect(dp.locator("#kpi-12")).to_be_visible()

                # The team submits.
                team = await person("heron.lead")
                await expect(team.get_by_role("heading", name="Your team's products")).to_be_visible()
                await team.get_by_role("link", name="Submit a product").click()
                await team.get_by_label("Product file (.md, .docx or .pdf)").set_input_files(str(v1))
                await shot(team, "01-submit-form")
                await team.get_by_role("button", name="Submit for pre-check").click()
                await expect(team.locator("#flash")).to_contain_text(f"Submitted {pid}")
                await wait_for_state(engine, pid, "queued")
                await expect(team.locator("#state-badge")).to_have_attribute("data-state", "queued", timeout=10_000)
                await expect(team.locator("#sev-major")).to_be_visible()
                await shot(team, "02-product-findings")

                # A reviewer finds it in the queue, claims it and returns it with a reason.
                reviewer = await person("gcu.albrecht")
                await expect(reviewer.get_by_role("heading", name="My reviews")).to_be_visible()  # the landing page
                await reviewer.goto(f"{base}/queue")
                await reviewer.get_by_label("State", exact=True).select_option("queued")
                await expect(reviewer.locator("#queue-table")).to_contain_text(pid)  # htmx swapped the table in
                await shot(reviewer, "03-queue")
                await reviewer.get_by_role("link", name=pid).click()
                await reviewer.get_by_role("button", name="Claim this review").click()
                await expect(reviewer.locator("#flash")).to_have_text("Claimed: the review is yours.")
                # Open major findings: the page says so before anything is posted.
                await expect(reviewer.locator("#approve")).to_be_disabled()
                await expect(reviewer.locator("#approve-blocked")).to_contain_text(
                    re.compile(r"\d+ blocking or major findings not dismissed")
                )
                await reviewer.get_by_label("What the team must change").fill(
                    "Add the GCU milestone and replace the term 'bush wives'."
                )
                await shot(reviewer, "04-review-page")
                await reviewer.get_by_role("button", name="Return for revision").click()
                await expect(reviewer.locator("#flash")).to_have_text("Returned to the team.")
                await wait_for_state(engine, pid, "returned")

                # The team resubmits and sees what the new version resolved.
                await team.goto(f"{base}/products/{pid}")
                await team.get_by_role("link", name="Resubmit a revised version").click()
                await team.get_by_label("Revised file (.md, .docx or .pdf)").set_input_files(str(v2))
                await team.get_by_role("button", name="Resubmit").click()
                await expect(team.locator("#flash")).to_contain_text("Version 2 submitted")
                await wait_for_state(engine, pid, "in_review")
                await team.goto(f"{base}/products/{pid}/diff")
                await expect(team.locator("#resolved")).to_contain_text("LANG-03")
                await shot(team, "05-diff")

                # The reviewer dismisses the remaining findings with reasons and approves.
                await reviewer.goto(f"{base}/products/{pid}/review")
                for rule_id in ("SGBC-IP-01", "GEN-IP-05", "GEN-IP-06", "STAFF-03"):
                    await reviewer.get_by_label(f"Reason for dismissing {rule_id}").fill(
                        "Agreed with the GCU in the annex."
                    )
                    await reviewer.locator(f"#finding-{rule_id}").get_by_role("button", name="Dismiss").click()
                    await expect(reviewer.locator("#flash")).to_have_text(f"Finding {rule_id} dismissed.")
                await reviewer.locator("#approve").click()
                await expect(reviewer.locator("#flash")).to_have_text("Approved.")
                await wait_for_state(engine, pid, "approved")

                # The Deputy Prosecutor's dashboard counts the approval for Heron.
                await dp.reload()
                await expect(dp.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
                await expect(dp.locator('tr[data-team="T-HERON"] td.approved')).to_have_text("1")
                await shot(dp, "06-dashboard")
                await dp.goto(f"{base}/products/{pid}/audit")
                await expect(dp.locator("table")).to_contain_text("Add the GCU milestone")
                await shot(dp, "07-audit")
                await browser.close()
        finally:
            stop.set()
            await server
    # The strict CSP blocked nothing the pages need (htmx and app.js load from /static).
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors

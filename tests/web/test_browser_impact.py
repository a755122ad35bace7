"""The rule-pack impact page in a real headless Chromium (uvicorn, a dev server, a worker): the GCU
head starts a run, the run's page polls its progress and reloads itself with the stored report, at
1300 px and 390 px wide without a horizontal scroll bar. Screenshots go to test-artifacts/web/."""

import asyncio

import pytest
from playwright.async_api import async_playwright, expect

from store.accounts import demo_password
from tests.web.flow import new_product_id, review_system, s1_text, wait_for_state
from tests.web.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, free_port
from web.server import serve

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")


async def test_the_gcu_head_runs_the_impact_of_a_pack_and_the_page_shows_the_report(tmp_path, temporal_env):
    from service import reviews

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with review_system(tmp_path, temporal_env) as (settings, engine, client):
        pid = new_product_id()
        source = tmp_path / f"{pid}.md"
        source.write_text(s1_text(pid), encoding="utf-8")
        await reviews.submit(db_engine=engine, client=client, settings=settings, path=source, actor_id="HE-01")
        await wait_for_state(engine, pid, "queued")
        port = free_port()
        stop, started = asyncio.Event(), asyncio.Event()
        server = asyncio.create_task(
            serve(
                settings, stop, host="127.0.0.1", port=port, db_engine=engine, temporal_client=client, started=started
            )
        )
        await asyncio.wait_for(started.wait(), 10)
        base = f"http://127.0.0.1:{port}"
        try:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
                context = await browser.new_context(viewport={"width": 1300, "height": 900})
                page = await context.new_page()
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                await page.goto(f"{base}/login")
                await page.get_by_label("Username").fill("gcu.head")
                await page.get_by_label("Password").fill(demo_password("gcu.head"))
                await page.get_by_role("button", name="Sign in").click()
                await page.wait_for_load_state()

                await page.goto(f"{base}/rules/impact")
                await page.get_by_label("Candidate pack").select_option("1.0.0")
                await page.screenshot(path=str(ARTIFACTS / "impact-01-form-1300.png"), full_page=True)
                await page.get_by_role("button", name="Check every stored product").click()
                await expect(page.locator("#flash")).to_contain_text("Checking every stored product with pack 1.0.0")
                # The page polls and reloads itself once the worker has stored the report.
                await expect(page.locator("#run-state")).to_have_attribute("data-state", "done", timeout=30_000)
                await expect(page.locator("#summary-h")).to_have_text("Pack 1.0.0 (contract 1.0) against 2.0.0")
                await page.screenshot(path=str(ARTIFACTS / "impact-02-report-1300.png"), full_page=True)

                await page.set_viewport_size({"width": 390, "height": 844})
                for name, url in (("report", page.url), ("form", f"{base}/rules/impact")):
                    await page.goto(url)
                    await page.screenshot(path=str(ARTIFACTS / f"impact-03-{name}-390.png"), full_page=True)
                    width = await page.evaluate("document.documentElement.scrollWidth")
                    assert width <= 390, f"{name}: {width}px wide at 390px"
                assert not errors, errors
                await browser.close()
        finally:
            stop.set()
            await server

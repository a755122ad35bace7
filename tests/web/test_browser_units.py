"""A GCU reviewer's and an SPU officer's worklist and queue in a real headless Chromium, at 1300 and
390 px: each sees its unit's reviews and counts (issue 16), nothing scrolls sideways, axe-core finds
no serious or critical violation, and each page is saved as a screenshot under
test-artifacts/web/units/."""

import asyncio
import re

import pytest

from models.enums import ReviewState
from settings import Settings
from store.accounts import demo_password
from store.db import make_engine
from tests.dbutil import fresh_database
from tests.web.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, free_port
from tests.web.test_queue_counts_by_unit import GCU_TYPES, REVIEWS, SPU_TYPES, seed_units
from web.server import serve

SHOTS = ARTIFACTS / "units"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")


def _queued(types: set[str]) -> int:
    return sum(c for k, _t, s, c in REVIEWS if k in types and s == ReviewState.QUEUED)


async def test_each_unit_sees_its_own_worklist_and_queue_at_both_widths(tmp_path):
    from axe_playwright_python.async_playwright import Axe
    from playwright.async_api import async_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    axe = Axe()
    problems: list[str] = []
    with fresh_database("sqlite", tmp_path) as url:
        settings = Settings(
            environment="development", database_url=url, var_dir=tmp_path, secret_key="browser-units-secret-key-x"
        )
        engine = make_engine(url)
        seed_units(engine)
        stop, started = asyncio.Event(), asyncio.Event()
        port = free_port()
        server = asyncio.create_task(
            serve(settings, stop, host="127.0.0.1", port=port, db_engine=engine, started=started)
        )
        try:
            await asyncio.wait_for(started.wait(), 30)
            base = f"http://127.0.0.1:{port}"
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                for username, types in (("gcu.albrecht", GCU_TYPES), ("spu.esquerra", SPU_TYPES)):
                    context = await browser.new_context(viewport={"width": 1300, "height": 900})
                    page = await context.new_page()
                    await page.goto(base + "/login")
                    await page.fill("#username", username)
                    await page.fill("#password", demo_password(username))
                    await page.click("button[type=submit]")
                    await page.wait_for_load_state()
                    for path in ("/my-reviews", "/queue"):
                        for width in (1300, 390):
                            name = f"{username}-{path.strip('/')}-{width}"
                            await page.set_viewport_size({"width": width, "height": 900})
                            await page.goto(base + path)
                            await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
                            text = await page.inner_text("main")
                            listed = set(re.findall(r"CNT-([A-Z]+)-\d+", text))
                            if not listed or not listed <= types:
                                problems.append(f"{name}: lists {sorted(listed)}, not only {sorted(types)}")
                            queued = await page.inner_text("a[href$='state=queued']")
                            if not queued.strip().endswith(str(_queued(types))):
                                problems.append(f"{name}: queued count {queued!r}, expected {_queued(types)}")
                            scroll = await page.evaluate("document.documentElement.scrollWidth")
                            if scroll > width:
                                problems.append(f"{name}: {scroll} px wide")
                            results = await axe.run(page)
                            for v in results.response["violations"]:
                                if v["impact"] in ("serious", "critical"):
                                    problems.append(f"{name}: axe {v['impact']} {v['id']}")
                    await context.close()
                await browser.close()
        finally:
            stop.set()
            await server
            engine.dispose()
    assert problems == []

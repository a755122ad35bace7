"""The codec endpoint as the Temporal Web UI reaches it: from a page of another origin on the same
host, in a real Chromium, with the web app's session cookie ("include cross-origin credentials").
The cookie is SameSite=Lax, so it goes along only when the UI and the web app share a site: a UI
opened as http://localhost:... while the web app is signed in as http://127.0.0.1:... gets a 401,
which is why `make run` prints 127.0.0.1 addresses for both (README)."""

import asyncio
import json
from pathlib import Path

import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from service.data_converter import data_converter_for
from store.accounts import demo_password
from tests.web.conftest import _NoTemporal, make_settings
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, free_port
from web.server import serve

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")

FETCH = """async ([url, body]) => {
  const response = await fetch(url, {method: "POST", credentials: "include", body,
                                     headers: {"content-type": "application/json", "x-namespace": "default"}});
  return {status: response.status, body: await response.text()};
}"""


async def _ui_origin(port: int) -> asyncio.AbstractServer:
    """Stands in for the Temporal Web UI: a blank page on another port of the same host."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        page = b"<!doctype html><title>Temporal UI</title>"
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
            + f"Content-Length: {len(page)}\r\n\r\n".encode()
            + page
        )
        await writer.drain()
        writer.close()

    return await asyncio.start_server(answer, "127.0.0.1", port)


async def test_the_ui_origin_reads_payloads_with_the_signed_in_session(web_db, tmp_path: Path):
    from playwright.async_api import async_playwright

    _settings, engine = web_db
    web_port, ui_port = free_port(), free_port()
    settings = make_settings(
        tmp_path,
        database_url=_settings.database_url,
        codec_cors_origins=[f"http://127.0.0.1:{ui_port}", f"http://localhost:{ui_port}"],
    )
    [sealed] = await data_converter_for(settings).payload_codec.encode(
        [Payload(metadata={"encoding": b"json/plain"}, data=b'"Interview outline W-17"')]
    )
    body = json.dumps(json_format.MessageToDict(Payloads(payloads=[sealed])))
    codec = f"http://127.0.0.1:{web_port}/codec/decode"

    stop, started = asyncio.Event(), asyncio.Event()
    server = asyncio.create_task(
        serve(
            settings,
            stop,
            host="127.0.0.1",
            port=web_port,
            db_engine=engine,
            temporal_client=_NoTemporal(),
            started=started,
        )
    )
    ui = await _ui_origin(ui_port)
    try:
        await asyncio.wait_for(started.wait(), 30)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            context = await browser.new_context()
            page = await context.new_page()

            await page.goto(f"http://127.0.0.1:{ui_port}/")
            anonymous = await page.evaluate(FETCH, [codec, body])
            assert anonymous["status"] == 401

            await page.goto(f"http://127.0.0.1:{web_port}/login")
            await page.get_by_label("Username").fill("gcu.head")
            await page.get_by_label("Password").fill(demo_password("gcu.head"))
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_load_state()

            await page.goto(f"http://127.0.0.1:{ui_port}/")
            signed_in = await page.evaluate(FETCH, [codec, body])
            assert signed_in["status"] == 200, signed_in
            [opened] = json_format.Parse(signed_in["body"], Payloads()).payloads
            assert opened.data == b'"Interview outline W-17"'

            # Another site (localhost is not 127.0.0.1): the Lax session cookie stays home.
            await page.goto(f"http://localhost:{ui_port}/")
            cross_site = await page.evaluate(FETCH, [codec, body])
            assert cross_site["status"] == 401
            await browser.close()
    finally:
        ui.close()
        stop.set()
        await server

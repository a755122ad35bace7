"""`gcu-review up` starts the Temporal dev server with its Web UI pointed at the web app's codec
endpoint, so the UI can show the sealed payloads to those allowed to read them."""

import time

import httpx

from service.devserver import start_dev_server, stop_dev_server
from tests.faults.harness import free_port as _free_port


def test_the_dev_server_ui_uses_the_web_apps_codec_endpoint(tmp_path):
    ui_port = _free_port()
    server = start_dev_server(
        db_file=tmp_path / "temporal.db",
        port=_free_port(),
        ui_port=ui_port,
        log_file=tmp_path / "temporal.log",
        codec_endpoint="http://127.0.0.1:8000/codec",
    )
    try:
        settings = None
        for _ in range(100):  # the UI comes up shortly after the frontend port opens
            try:
                settings = httpx.get(f"http://127.0.0.1:{ui_port}/api/v1/settings", timeout=2).json()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert settings is not None, "the Web UI did not answer"
        assert settings["Codec"]["Endpoint"] == "http://127.0.0.1:8000/codec"
    finally:
        stop_dev_server(server)

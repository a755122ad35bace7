"""Slow reads (the dashboard, the certification register) run on threads of their own, at most
WEB_HEAVY_THREADS at a time per process, so that two dashboards loading at once cannot take every
route thread (WEB_THREADS) while reviewers wait for the queue (the probe: 15.4 s for /api/queue).
A slow read beyond that waits its turn without holding a thread or a database connection."""

from collections.abc import Callable
from typing import TypeVar

import anyio
from fastapi import Request

T = TypeVar("T")


def heavy_limiter(request: Request) -> anyio.CapacityLimiter:
    state = request.app.state
    if getattr(state, "heavy_reads", None) is None:
        state.heavy_reads = anyio.CapacityLimiter(state.settings.web_heavy_threads)
    return state.heavy_reads


async def run_heavy(request: Request, read: Callable[..., T], *args) -> T:
    return await anyio.to_thread.run_sync(read, *args, limiter=heavy_limiter(request))

"""Every request says through what it came, for the audit trail: /api is the JSON API, the rest
the web pages (service/channel.py)."""

from starlette.types import ASGIApp, Receive, Scope, Send

from models.enums import AuditChannel
from service.channel import set_channel


class ChannelMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # The route and its threads run in copies of this task's context, so they see it.
            set_channel(AuditChannel.API if scope["path"].startswith("/api") else AuditChannel.WEB)
        await self.app(scope, receive, send)

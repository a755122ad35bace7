"""Through what the current action came (web pages, the JSON API, the operator CLI, or the system),
so the audit trail can say so. Set once at the edge (the web app per request by path, the CLI per
command) and read where the acting person is resolved (service/actors.py), instead of being passed
through every service function."""

from contextvars import ContextVar

from models.enums import AuditChannel

_current: ContextVar[AuditChannel] = ContextVar("audit_channel", default=AuditChannel.SYSTEM)


def current_channel() -> AuditChannel:
    return _current.get()


def set_channel(channel: AuditChannel) -> None:
    _current.set(channel)

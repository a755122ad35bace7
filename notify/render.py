"""Email bodies from Jinja2 templates (notify/templates): one text and one HTML template per
NotificationKind, both extending a base, plus the summary email. Links point at the web app
(settings.app_base_url)."""

from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape
from pydantic import BaseModel

from models.enums import NotificationKind
from models.summary_tables import ComplianceSummaryPublic
from models.tables import Notification, utcnow
from settings import Settings

TEMPLATES = Path(__file__).resolve().parent / "templates"


class EmailContent(BaseModel):
    subject: str
    text: str
    html: str
    link: str


class Attachment(BaseModel):
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


def make_environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


class EmailRenderer:
    def __init__(self, settings: Settings, env: Environment | None = None):
        self.settings = settings
        self.env = env or make_environment()
        self.base_url = settings.app_base_url.rstrip("/")

    def link_for(self, notification: Notification) -> str:
        if notification.kind == NotificationKind.CERTIFICATE_EXPIRY:
            return f"{self.base_url}/certifications"
        if notification.product_id:
            return f"{self.base_url}/products/{notification.product_id}"
        return f"{self.base_url}/notifications"

    def _pair(self, name: str, context: dict) -> tuple[str, str]:
        text = self.env.get_template(f"{name}.txt").render(**context)
        html = self.env.get_template(f"{name}.html").render(**context)
        return text, html

    def notification(self, notification: Notification, recipient_name: str) -> EmailContent:
        link = self.link_for(notification)
        context = dict(
            recipient_name=recipient_name,
            subject=notification.subject,
            body=notification.body.strip(),
            link=link,
            notifications_link=f"{self.base_url}/notifications",
        )
        try:
            text, html = self._pair(notification.kind, context)
        except TemplateNotFound:
            text, html = self._pair("generic", context)  # a kind added later still reaches people
        return EmailContent(subject=f"[GCU review] {notification.subject}", text=text, html=html, link=link)

    def summary(self, summary: ComplianceSummaryPublic, recipient_name: str) -> EmailContent:
        period = f"{summary.period_start.isoformat()} to {summary.period_end.isoformat()}"
        link = f"{self.base_url}/dashboard"
        subject = f"[GCU review] Compliance summary {period}"
        text, html = self._pair(
            "summary", dict(recipient_name=recipient_name, period=period, s=summary, link=link, subject=subject)
        )
        return EmailContent(subject=subject, text=text, html=html, link=link)


def message_id_for(key: str, settings: Settings) -> str:
    """Stable per outbox key: should a message ever be re-sent by hand, mail clients see one message."""
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "gcu-review.invalid"
    return f"<{key.replace(':', '.')}@{domain}>"


def build_message(
    content: EmailContent,
    *,
    settings: Settings,
    to_address: str,
    to_name: str | None,
    message_id: str,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = content.subject
    message["From"] = settings.mail_from
    message["To"] = formataddr((to_name or "", to_address)) if to_name else str(Address(addr_spec=to_address))
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to notifications
    message.set_content(content.text)
    message.add_alternative(content.html, subtype="html")
    for a in attachments:
        message.add_attachment(a.content, maintype=a.maintype, subtype=a.subtype, filename=a.filename)
    return message

"""SMTP delivery (smtplib): implicit TLS, STARTTLS or plain, optional login, one connection reused
for a batch. Every failure is classified, because the outbox's once-only promise depends on it:

- MailNotSent: the server certainly did not accept the message (no connection, refused login,
  refused sender/recipient/data). `permanent` for 5xx replies, else it may be retried.
- MailOutcomeUnknown: the connection broke while the message was being handed over, so the server
  may or may not have accepted it. The outbox never sends such a message again automatically.
"""

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from settings import Settings


class MailNotSent(Exception):
    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


class MailOutcomeUnknown(Exception):
    pass


def _permanent(code: int | None) -> bool:
    return code is not None and 500 <= code < 600


class MailConnection:
    """A lazily opened SMTP connection; after any failure it is closed and reopened on next use."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        try:
            smtp: smtplib.SMTP
            if s.smtp_ssl:
                smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=context)
            else:
                smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
                if s.smtp_starttls:
                    smtp.starttls(context=context)
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password.get_secret_value())
        except smtplib.SMTPAuthenticationError as exc:
            raise MailNotSent(f"SMTP login refused: {exc.smtp_code} {exc.smtp_error!r}", permanent=False) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise MailNotSent(f"SMTP server {s.smtp_host}: {exc}", permanent=False) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailNotSent(
                f"cannot connect to SMTP server {s.smtp_host}:{s.smtp_port}: {exc}", permanent=False
            ) from exc
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._open()
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            self.close()
            raise MailNotSent(f"recipient refused: {exc.recipients}", permanent=all(map(_permanent, codes))) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            # A reply to MAIL FROM or DATA: the server answered and did not take the message.
            self.close()
            raise MailNotSent(
                f"SMTP refused: {exc.smtp_code} {exc.smtp_error!r}", permanent=_permanent(exc.smtp_code)
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise MailOutcomeUnknown(f"connection lost while sending: {exc!r}") from exc

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


class Mailer:
    def __init__(self, settings: Settings):
        self.settings = settings

    @property
    def configured(self) -> bool:
        return bool(self.settings.smtp_host)

    @contextmanager
    def connection(self) -> Iterator[MailConnection]:
        if not self.configured:
            raise RuntimeError("SMTP is not configured (SMTP_HOST is empty)")
        conn = MailConnection(self.settings)
        try:
            yield conn
        finally:
            conn.close()

"""The one place for configuration: environment variables (prefix-free, as documented in the README)
with defaults that run the development system on SQLite and a local Temporal dev server."""

import math
import zlib
from collections import Counter
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.messages import SlaPolicy

PROJECT_ROOT = Path(__file__).resolve().parent
DEV_SECRET = "dev-insecure-secret-change-me"
# Seals Temporal payloads in development and tests only (published here, so it protects nothing):
# every process of a development system shares it, and the recorded histories are sealed with it.
DEV_PAYLOAD_KEYS = "dev-insecure:XkGFGXXpxou0pZSUu/ZRTZfGv2C/QAa++tDC3hmbu54="


SECRET_FIELDS = frozenset({"secret_key", "temporal_api_key", "oidc_client_secret", "smtp_password", "audit_hmac_keys"})
# A production SECRET_KEY signs every session: at least this long, and at least this many bits by
# estimated_bits (secrets.token_urlsafe(48) scores about 340, token_hex(16) 100 or more, a repeated word 40).
SECRET_KEY_MIN_LENGTH = 32
SECRET_KEY_MIN_BITS = 90
SECRET_KEY_HOW_TO = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"


def estimated_bits(secret: str) -> float:
    """Length times the Shannon entropy of the key's own characters, scaled down by how well the key
    compresses: a short key, a small alphabet or a repeated word score low, a random key scores close
    to its true strength. A heuristic against mistakes, not a proof of randomness."""
    if not secret:
        return 0.0
    counts = Counter(secret)
    per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    compressed = len(raw.compress(secret.encode()) + raw.flush())
    return per_char * len(secret) * min(1.0, compressed / len(secret.encode()))


def _mask_url_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


class ConfigurationError(Exception):
    """Settings that cannot start the system, named by environment variable and reason only: never
    a value, since a value may be a secret. Not a ValueError on purpose: pydantic would wrap that in a
    ValidationError that carries every setting given as its input."""


class Settings(BaseSettings):
    # hide_input_in_errors: a refused setting's error must not echo the values it was given (the
    # input of a model-level check is every setting, secrets included). env_ignore_empty: an empty
    # variable means the default, as docker-compose.yml passes every setting as `${NAME:-}`.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True, env_ignore_empty=True
    )

    environment: str = Field("development", description="development | test | production")
    var_dir: Path = PROJECT_ROOT / "var"
    database_url: str = ""  # default: SQLite file under var/
    secret_key: SecretStr = SecretStr(DEV_SECRET)

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None
    temporal_api_key: SecretStr | None = None
    task_queue: str = "gcu-review"
    # AES-256 keys of the Temporal payload codec (service/payload_codec.py), `KEY_ID:BASE64,...`:
    # the first seals new payloads, the others are retired keys that still open old ones
    # (docs/production.md). Unset: the development key, refused outside development and tests.
    temporal_payload_keys: SecretStr | None = None
    # Origins of the Temporal Web UI allowed to call the codec endpoint /codec (with credentials).
    codec_cors_origins: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:8233", "http://localhost:8233"])

    # The audit chain (store/audit_keys.py): HMAC keys as KEY_ID:KEY pairs separated by commas, never
    # stored in the database; new events are sealed with AUDIT_HMAC_KEY_ID (default: the last listed).
    # Empty: one key derived from SECRET_KEY. Checkpoints of the chain's head are recorded in Temporal
    # every AUDIT_ANCHOR_MINUTES (workflows/audit_anchor.py), where `audit verify` compares them.
    audit_hmac_keys: SecretStr = SecretStr("")
    audit_hmac_key_id: str = ""
    audit_anchor_minutes: int = Field(15, ge=1, le=1440)
    # Reviews whose workflow ended abnormally (terminated, timed out, failed) are looked for every
    # REVIEW_ENDINGS_MINUTES (workflows/review_endings.py): the ending is recorded and the GCU head told.
    review_endings_minutes: int = Field(5, ge=1, le=1440)

    # Documents (stored in the database, served only through access-checked routes)
    max_upload_bytes: int = 25 * 1024 * 1024

    # Review SLA (working days exclude Saturday, Sunday and REVIEW_HOLIDAYS)
    review_sla_working_days: int = 10
    review_reminder_before_hours: int = 48
    review_escalate_after_due_hours: int = 0
    review_dp_escalation_after_hours: int = 120
    resubmission_days: int = 30
    resubmission_reminder_before_hours: int = 168
    review_holidays: list[date] = Field(default_factory=list)
    # The office's time zone (IANA name, e.g. Europe/Amsterdam): working days and holidays are its
    # calendar days. Frozen into each review at submission, like the other SLA settings.
    office_time_zone: str = "UTC"

    rules_pack_dir: Path | None = None  # default: rules/packs (a folder of packs, or one pack)
    # The pack new pre-checks use ("1.0", "2.0.0"...); default: the highest version in the folder.
    rules_pack_version: str | None = None
    # Processes of each worker that run the rules on a submitted document (0: in the worker's own
    # process). A large document's pre-check holds the interpreter for seconds: in a process of its
    # own it does not hold up the quick recordings of reviewers' actions (docs/review-lifecycle.md,
    # "Heavy pre-checks"). Default: 1 outside development and tests (a spawned process, ~100 MB),
    # 0 in development and tests (no process to start).
    precheck_processes: int = Field(
        default_factory=lambda data: 0 if data.get("environment", "development") in ("development", "test") else 1,
        ge=0,
        le=32,
    )

    # Web application (issue 5): pages and /api
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    # Processes serving the web app (`gcu-review web`): one process renders one page at a time per
    # CPU it can use, so a busy queue wants about one per core (bench/web_bench.py --web-workers).
    web_workers: int = Field(default=1, ge=1, le=64)
    # Threads per web process that run the routes' database reads and templates. Python runs one
    # at a time, so more threads only fight over the interpreter lock: at 40 (the default of the
    # server library) a page under load cost twice its CPU, and 2 served the loaded queue faster
    # than 4 with a shorter tail on both databases (bench/web_bench.py --web-threads). Requests
    # beyond these wait their turn; the reviewer actions are async and hold no thread.
    web_threads: int = Field(default=2, ge=1, le=256)
    # Threads per web process for the slow reads (dashboards, the certification register), apart from
    # WEB_THREADS: however many are asked for at once, quick pages keep their threads (web/heavy.py).
    web_heavy_threads: int = Field(default=1, ge=1, le=64)
    session_cookie_name: str = "gcu_session"
    session_max_age_hours: int = 8
    # None: Secure cookies everywhere except in development.
    session_cookie_secure: bool | None = None
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    # Failed sign-ins from one address (any usernames) within the window, before it is refused too.
    login_max_address_failures: int = Field(default=20, ge=1)
    login_address_window_minutes: int = Field(default=15, ge=1)
    # A browser session unused this long ends (the absolute limit is session_max_age_hours).
    session_idle_minutes: int = Field(default=30, ge=1)
    # The sign-in event log is kept this long, then pruned by `gcu-review retention purge`.
    sign_in_log_days: int = Field(default=400, ge=30)
    # API tokens expire after this many days unless made with another validity (at most 366).
    api_token_days: int = Field(default=90, ge=1, le=366)
    # Reverse proxies (addresses or networks) whose X-Forwarded-For is believed: sign-in limits per
    # address must count the person's address, not the proxy's.
    trusted_proxies: list[str] = Field(default_factory=list)
    # Optional OIDC sign-in (an organisation's identity provider); off while oidc_discovery_url is empty.
    oidc_discovery_url: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr = SecretStr("")
    oidc_scope: str = "openid email profile"
    # The ID-token claim matched against an account's username, then against the register's staff email.
    oidc_username_claim: str = "email"
    oidc_button_label: str = "Sign in with your organisation account"

    # Data retention (docs/production.md): days after an approval or withdrawal before the product
    # file contents are purged (`gcu-review retention purge`), each replaced by its SHA-256, which
    # stays with the metadata, findings, decisions and the audit trail. 0 keeps everything forever.
    retention_days_closed_reviews: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _defaults_and_secrets(self) -> "Settings":
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'gcu-review.db'}"
        try:
            ZoneInfo(self.office_time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"OFFICE_TIME_ZONE {self.office_time_zone!r} is not a time zone name (e.g. Europe/Amsterdam)"
            ) from exc
        if self.environment not in ("development", "test"):
            key = self.secret_key.get_secret_value()
            if key == DEV_SECRET:
                raise ConfigurationError(
                    "SECRET_KEY must be set to a non-default value outside development "
                    f"(ENVIRONMENT={self.environment}); {SECRET_KEY_HOW_TO}"
                )
            if len(key) < SECRET_KEY_MIN_LENGTH or estimated_bits(key) < SECRET_KEY_MIN_BITS:
                raise ConfigurationError(
                    f"SECRET_KEY is too weak outside development (ENVIRONMENT={self.environment}): it needs at "
                    f"least {SECRET_KEY_MIN_LENGTH} random characters; {SECRET_KEY_HOW_TO}"
                )
        from service.payload_codec import PayloadKeyError, parse_keyring

        # A malformed key stops the start here; the published development key never serves outside development.
        try:
            keys = (
                parse_keyring(self.temporal_payload_keys.get_secret_value()).keys if self.temporal_payload_keys else {}
            )
        except PayloadKeyError as exc:  # its message names the entry and the problem, never the key
            raise ConfigurationError(str(exc)) from None
        if self.environment not in ("development", "test") and (
            not keys or set(keys.values()) & set(parse_keyring(DEV_PAYLOAD_KEYS).keys.values())
        ):
            raise ConfigurationError(
                f"TEMPORAL_PAYLOAD_KEYS must be set to this deployment's own keys outside development "
                f"(ENVIRONMENT={self.environment}); see docs/production.md"
            )
        return self

    def payload_keys(self) -> str:
        return self.temporal_payload_keys.get_secret_value() if self.temporal_payload_keys else DEV_PAYLOAD_KEYS

    def __repr_args__(self):
        """repr()/str() of the settings never show a secret (they end up in logs and tracebacks)."""
        for name, value in super().__repr_args__():
            if name in SECRET_FIELDS and value:
                yield name, "**********"
            elif name == "database_url" and isinstance(value, str) and "@" in value:
                yield name, _mask_url_password(value)
            else:
                yield name, value

    def sla_policy(self) -> SlaPolicy:
        return SlaPolicy(
            review_working_days=self.review_sla_working_days,
            reminder_before=timedelta(hours=self.review_reminder_before_hours),
            escalate_after_due=timedelta(hours=self.review_escalate_after_due_hours),
            dp_escalation_after=timedelta(hours=self.review_dp_escalation_after_hours),
            resubmission_days=self.resubmission_days,
            resubmission_reminder_before=timedelta(hours=self.resubmission_reminder_before_hours),
            holidays=list(self.review_holidays),
            time_zone=self.office_time_zone,
        )

    # Email and compliance summaries (issue 5, notify/ and summaries/). SMTP_HOST empty: no email at
    # all, notifications stay in-app. SMTP_SSL (implicit TLS, usually port 465) wins over STARTTLS.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_timeout_seconds: float = 30.0
    mail_from: str = "GCU review <gcu-review@localhost>"
    # Notifications older than this when first picked up are not emailed (e.g. SMTP configured late).
    mail_max_age_hours: int = 72
    # Temporal Schedule `notification-outbox`: how often pending notifications are emailed.
    outbox_interval_seconds: int = 60
    # Temporal Schedule `compliance-summary` (cron, UTC) and the length of the period each run covers:
    # the `summary_period_days` days that end the day before the run.
    summary_cron: str = "0 7 * * 1"
    summary_period_days: int = 7
    # Links in emails point here (the web app's public address).
    app_base_url: str = "http://127.0.0.1:8000"


def describe_settings_errors(error: ValidationError) -> str:
    lines = []
    for item in error.errors(include_input=False, include_url=False):
        where = "_".join(str(part) for part in item["loc"]).upper()
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return "; ".join(lines)


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigurationError(describe_settings_errors(exc)) from None

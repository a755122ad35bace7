"""The audit chain's HMAC keys: held by the application (settings), never in the database.

Each key has an id, stored with every event it sealed, so keys rotate: a new AUDIT_HMAC_KEY_ID seals
new events while the old keys stay listed to verify the old ones. Without AUDIT_HMAC_KEYS the one
key is derived from SECRET_KEY (id "sk1"); a deployment that may rotate SECRET_KEY should list
explicit keys instead, since the derived key changes with it."""

import hashlib
import hmac
from dataclasses import dataclass

from settings import ConfigurationError, Settings

DERIVED_KEY_ID = "sk1"
MIN_KEY_CHARS = 32


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    current_id: str

    def __post_init__(self) -> None:
        if self.current_id not in self.keys:
            raise ConfigurationError(f"AUDIT_HMAC_KEY_ID: no key {self.current_id!r} among AUDIT_HMAC_KEYS")

    def __repr__(self) -> str:  # the keys are secrets: never in a log or a traceback
        return f"Keyring(ids={sorted(self.keys)}, current_id={self.current_id!r})"

    def seal(self, key_id: str, message: str) -> str:
        key = self.keys.get(key_id)
        if key is None:
            raise KeyError(key_id)
        return hmac.new(key, f"{key_id}\n{message}".encode(), hashlib.sha256).hexdigest()

    @classmethod
    def from_settings(cls, settings: Settings) -> "Keyring":
        listed = settings.audit_hmac_keys.get_secret_value().strip()
        if not listed:
            derived = hmac.new(
                settings.secret_key.get_secret_value().encode("utf-8"), b"gcu-review audit chain", hashlib.sha256
            ).digest()
            return cls(keys={DERIVED_KEY_ID: derived}, current_id=settings.audit_hmac_key_id or DERIVED_KEY_ID)
        keys: dict[str, bytes] = {}
        for number, item in enumerate(listed.split(","), start=1):
            key_id, sep, key = item.strip().partition(":")
            if not sep or not key_id or len(key) < MIN_KEY_CHARS:
                raise ConfigurationError(
                    f"AUDIT_HMAC_KEYS: entry {number} must be KEY_ID:KEY with a key of at least {MIN_KEY_CHARS} "
                    "random characters (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
                )
            keys[key_id] = key.encode("utf-8")
        current = settings.audit_hmac_key_id or list(keys)[-1]
        return cls(keys=keys, current_id=current)


def application_keyring() -> Keyring:
    from settings import get_settings

    return Keyring.from_settings(get_settings())

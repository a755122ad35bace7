"""Secrets of the web app: the signed session cookie value, CSRF tokens and their comparison.
Password hashing and the stored hashes of tokens are the data layer's (store/credentials.py)."""

import hmac

from itsdangerous import BadSignature, URLSafeTimedSerializer

from store.credentials import new_csrf_token  # noqa: F401 - the session's token is made with the session


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


class CookieSigner:
    """Signs the session id (and the anonymous CSRF token) with settings.secret_key; a cookie that
    was altered or is older than `max_age_seconds` reads as absent."""

    def __init__(self, secret_key: str, salt: str):
        self._serializer = URLSafeTimedSerializer(secret_key, salt=salt)

    def dumps(self, value: str) -> str:
        return self._serializer.dumps(value)

    def loads(self, signed: str | None, max_age_seconds: int) -> str | None:
        if not signed:
            return None
        try:
            value = self._serializer.loads(signed, max_age=max_age_seconds)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

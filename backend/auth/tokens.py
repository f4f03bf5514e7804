"""Our own tokens: signed short-lived access tokens and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

ACCESS_SALT = "kehou.access.v1"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=ACCESS_SALT)


def make_access_token(session_id: int, kind: str) -> str:
    return _serializer().dumps({"s": session_id, "k": kind})


def read_access_token(token: str, max_age: int) -> dict | None:
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        return None
    return data


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(value: str) -> str:
    """SHA-256 of a secret: what we store instead of the secret itself."""
    return hashlib.sha256(value.encode()).hexdigest()


def numeric_code(digits: int = 8) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(digits))


def readable_code(length: int = 10) -> str:
    # No 0/O/1/I/L: these codes are read aloud and typed by people.
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(length))

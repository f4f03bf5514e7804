"""Admin password hashing (argon2id) and the password policy."""

from __future__ import annotations

import contextlib
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from backend.auth.errors import WeakPassword

MIN_LENGTH = 10
MAX_LENGTH = 128

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; an unusable or malformed hash never matches."""
    if not password_hash or not password_hash.startswith("$argon2"):
        # Still spend the same time, so an account without a usable hash looks like any other.
        burn(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("kehou-dummy-password-0")


def burn(password: str) -> None:
    """Verify against a dummy hash: unknown usernames take as long as wrong passwords."""
    with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
        _hasher.verify(_dummy_hash(), password)


def check_strength(password: str, username: str) -> None:
    """Raise WeakPassword unless the password meets the policy."""
    weak = (
        len(password) < MIN_LENGTH
        or len(password) > MAX_LENGTH
        or not any(ch.isalpha() for ch in password)
        or not any(ch.isdigit() for ch in password)
        or password.strip().lower() == (username or "").strip().lower()
    )
    if weak:
        raise WeakPassword()

"""Accounts of the review web app (docs/review.md, "The web app"): a name, a role and an argon2
hash of the password, kept in the review store's `users` table; the password itself is never
stored. A viewer reads, a reviewer also records decisions, an approver also signs months off."""
from __future__ import annotations

import re
from functools import lru_cache

from compliance.errors import ComplianceError
from compliance.review.store import ReviewStore, now

ROLES = ("viewer", "reviewer", "approver")
# A name is written into decisions, sign-offs and the access log: one visible word.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


@lru_cache(maxsize=1)
def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


@lru_cache(maxsize=1)
def _absent_account_hash() -> str:
    """A hash to check a password against when the name is unknown, so that a wrong name takes as
    long to refuse as a wrong password and the timing does not tell which names exist."""
    return _hasher().hash("no such account")


def add_user(store: ReviewStore, name: str, role: str, password: str) -> None:
    if role not in ROLES:
        raise ComplianceError(f"unknown role {role!r}: one of {', '.join(ROLES)}", field="role")
    if not name:
        raise ComplianceError("an account needs a name", field="name")
    if not NAME.fullmatch(name):
        raise ComplianceError(f"account name {name!r}: use up to 64 letters, digits and . _ @ -, "
                              "starting with a letter or digit", field="name")
    if not password:
        raise ComplianceError("an account needs a password (on standard input)", field="password")
    if role_of(store, name) is not None:
        raise ComplianceError(f"account {name!r} exists already", field="name")
    store.write("review/users_add", [{"name": name, "role": role, "password_hash": _hasher().hash(password),
                                      "created_at": now()}])


def authenticate(store: ReviewStore, name: str, password: str) -> str | None:
    """The account's role if `password` is its password, else None."""
    from argon2.exceptions import InvalidHashError, VerificationError

    rows = store.read("review/users_get", {"name": name})
    try:
        _hasher().verify(rows[0]["password_hash"] if rows else _absent_account_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    return rows[0]["role"] if rows else None


def role_of(store: ReviewStore, name: str) -> str | None:
    rows = store.read("review/users_get", {"name": name})
    return rows[0]["role"] if rows else None


def any_users(store: ReviewStore) -> bool:
    return store.read("review/users_count")[0]["accounts"] > 0

"""Sessions, CSRF tokens and the log-on rate limit of the review app (docs/review.md, "The web app").

A session is a signed cookie (Starlette's SessionMiddleware, itsdangerous): HttpOnly, SameSite
strict, Secure when the app is served behind TLS, valid for SESSION_SECONDS after log-on. Its key
is `<home>/web-session.key`, created owner-only on first use. Every form carries the session's
CSRF token and every POST is refused without it, the log-on form included (its token comes with
the page that shows it).
"""
from __future__ import annotations

import collections
import hmac
import os
import secrets
import threading
import time
from pathlib import Path

from compliance.errors import ComplianceError

KEY_FILE = "web-session.key"
SESSION_SECONDS = 8 * 60 * 60
CSRF_FIELD = "csrf_token"
# Failed log-ons allowed per account name and client address within the window, then refused.
MAX_FAILURES = 5
FAILURE_WINDOW_SECONDS = 15 * 60


def session_key(home: Path) -> str:
    """The key that signs session cookies: made on first use, owner-only; a key file others can
    read is refused (anyone holding it could sign themselves in as any account)."""
    path = Path(home) / KEY_FILE
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            raise ComplianceError("the session key is readable by others: make it owner-only "
                                  "(chmod 600) or remove it to make a new one", path=str(path)) from None
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as key:
        key.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()


def csrf_token(session: dict) -> str:
    """The session's CSRF token, made when the session first shows a form."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def csrf_valid(session: dict, submitted: str | None) -> bool:
    expected = session.get(CSRF_FIELD)
    return bool(expected and submitted) and hmac.compare_digest(expected, submitted)


def start_session(session: dict, name: str) -> None:
    """A fresh session for the account: whatever the anonymous one held (its CSRF token) is gone."""
    session.clear()
    session.update({"user": name, "session_id": secrets.token_hex(8), "since": int(time.time())})
    csrf_token(session)


def session_user(session: dict) -> str | None:
    """The account logged on in this session, None once SESSION_SECONDS have passed."""
    if "user" not in session or time.time() - session.get("since", 0) > SESSION_SECONDS:
        return None
    return session["user"]


class LoginLimiter:
    """Failed log-ons per (account name, client address), in memory: after MAX_FAILURES within
    FAILURE_WINDOW_SECONDS further attempts are refused until the oldest failure ages out."""

    def __init__(self, max_failures: int = MAX_FAILURES, window_seconds: float = FAILURE_WINDOW_SECONDS,
                 clock=time.monotonic):
        self._max, self._window, self._clock = max_failures, window_seconds, clock
        self._failures: dict[tuple[str, str], collections.deque] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str]) -> collections.deque:
        failures = self._failures.setdefault(key, collections.deque())
        while failures and self._clock() - failures[0] > self._window:
            failures.popleft()
        if not failures:
            del self._failures[key]  # the table holds only keys with recent failures
        return failures

    def blocked(self, name: str, client: str) -> bool:
        with self._lock:
            return len(self._recent((name, client))) >= self._max

    def failed(self, name: str, client: str) -> None:
        with self._lock:
            self._failures.setdefault((name, client), collections.deque()).append(self._clock())

    def succeeded(self, name: str, client: str) -> None:
        with self._lock:
            self._failures.pop((name, client), None)

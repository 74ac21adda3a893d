"""Exceptions: tuning that never hides a flag (docs/review.md, "Exceptions").

An exception names a rule, an account (and, if given, a statement pattern), an owner, a reason and
an expiry date. A flag it matches is still raised, listed and exported; it stands as `justified`,
with the exception's id, until a person decides it otherwise. It applies to events before its
expiry date (which may be past: an arrangement that ran out is recorded as it was); an exception
expired early applies to events before the day it was expired. Acts on
exceptions are appended to the review store like decisions, never changed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from compliance.errors import ComplianceError
from compliance.review.store import ReviewStore, now


@dataclass(frozen=True)
class TuningException:
    exception_id: str  # "X" and the seq of its `add`
    seq: int
    rule_id: str
    account_id: str
    statement_pattern: str | None
    owner: str
    reason: str
    expires: str  # YYYY-MM-DD: applies to events before this day
    recorded_by: str
    recorded_at: str
    expired_by: str | None = None
    expired_at: str | None = None
    expired_note: str | None = None

    @property
    def ends_on(self) -> str:
        """The first day it no longer applies to."""
        return min(self.expires, self.expired_at[:10]) if self.expired_at else self.expires

    def in_force(self, today: str) -> bool:
        return today < self.ends_on

    def as_dict(self, today: str) -> dict:
        return {"exception_id": self.exception_id, "rule_id": self.rule_id, "account_id": self.account_id,
                "statement_pattern": self.statement_pattern, "owner": self.owner, "reason": self.reason,
                "expires": self.expires, "ends_on": self.ends_on, "recorded_by": self.recorded_by,
                "recorded_at": self.recorded_at, "expired_by": self.expired_by, "expired_at": self.expired_at,
                "expired_note": self.expired_note, "in_force": self.in_force(today)}


def exception_id(seq: int) -> str:
    return f"X{seq}"


def _today() -> str:
    return dt.datetime.now(dt.timezone.utc).date().isoformat()


def list_exceptions(store: ReviewStore) -> list[TuningException]:
    """Every exception ever added, with its early expiry if any, oldest first."""
    found: dict[int, TuningException] = {}
    for act in store.read("review/exception_acts"):
        if act["action"] == "add":
            found[act["seq"]] = TuningException(
                exception_id(act["seq"]), act["seq"], act["rule_id"], act["account_id"], act["statement_pattern"],
                act["owner"], act["reason"], act["expires"], act["recorded_by"], act["recorded_at"])
        elif act["exception_seq"] in found:
            earlier = found[act["exception_seq"]]
            found[act["exception_seq"]] = TuningException(
                **{**earlier.__dict__, "expired_by": act["recorded_by"], "expired_at": act["recorded_at"],
                   "expired_note": act["reason"]})
    return list(found.values())


def _find(store: ReviewStore, wanted: str) -> TuningException:
    for exception in list_exceptions(store):
        if exception.exception_id == wanted.strip().upper():
            return exception
    raise ComplianceError(f"unknown exception {wanted!r}", field="exception_id")


def add_exception(store: ReviewStore, *, rule_id: str, account_id: str, owner: str, reason: str,
                  expires: str, by: str, statement_pattern: str | None = None,
                  known_rules: set[str] | None = None) -> TuningException:
    """Record a new exception; one-line error (nothing written) for a bad one."""
    if known_rules is not None and rule_id not in known_rules:
        raise ComplianceError(f"unknown rule {rule_id!r}", field="rule")
    for field, value in (("account", account_id), ("owner", owner), ("reason", reason), ("by", by)):
        if not (value or "").strip():
            raise ComplianceError(f"an exception needs --{field}", field=field)
    try:
        day = dt.date.fromisoformat(expires)
    except (TypeError, ValueError):
        raise ComplianceError(f"expiry must be a date YYYY-MM-DD, got {expires!r}", field="expires") from None
    store.write("review/append_exception", [{
        "action": "add", "exception_seq": None, "rule_id": rule_id, "account_id": account_id.strip(),
        "statement_pattern": statement_pattern or None, "owner": owner.strip(), "reason": reason.strip(),
        "expires": day.isoformat(), "recorded_by": by.strip(), "recorded_at": now()}])
    return list_exceptions(store)[-1]


def expire_exception(store: ReviewStore, wanted: str, *, by: str, note: str) -> TuningException:
    """End an exception today: it stops applying to events from today on."""
    exception = _find(store, wanted)
    if not by.strip():
        raise ComplianceError("expiring an exception needs the name of who does it (--by)", field="by")
    if not note.strip():
        raise ComplianceError("expiring an exception needs a note saying why", field="note")
    if not exception.in_force(_today()):
        raise ComplianceError(f"exception {exception.exception_id} already stopped applying on {exception.ends_on}",
                              field="exception_id")
    store.write("review/append_exception", [{
        "action": "expire", "exception_seq": exception.seq, "rule_id": None, "account_id": None,
        "statement_pattern": None, "owner": None, "reason": note.strip(), "expires": None,
        "recorded_by": by.strip(), "recorded_at": now()}])
    return _find(store, exception.exception_id)

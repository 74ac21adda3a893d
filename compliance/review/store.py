"""The review store: an append-only history of decisions on flags (docs/review.md).

A decision is a review (one of DISPOSITIONS, with a note, the reviewer and the time) or a reopen,
which sends the flag back to the queue. Nothing is updated in place: a flag's state is its latest
decision, and every earlier one, with its reason, stays in its history. Each decision also records
the rule version and a hash of the evidence it was made on, so a re-run that changes either shows
the flag as changed since review.

The embedded store is SQLite in WAL mode (`<home>/reviews.sqlite`): a reviewer writes while readers
read, and a DAG run's DuckDB lock does not touch it. For several reviewers on several machines,
PostgreSQL by `COMPLIANCE_REVIEWS_DSN`. Either way triggers refuse UPDATE and DELETE.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from compliance.errors import ComplianceError

DISPOSITIONS = ("confirmed", "justified", "false_positive", "data_error", "duplicate")
# Dispositions whose reason must be written down: an act allowed after all is allowed because of
# something the data does not hold (a paper warrant, say).
NOTE_REQUIRED = ("justified",)
STORE_FILE = "reviews.sqlite"
# A writer that finds the file locked by another writer waits this long (seconds) before failing.
BUSY_SECONDS = 30


@dataclass(frozen=True)
class Decision:
    flag_id: str
    month: str
    action: str  # "review" or "reopen"
    disposition: str | None
    duplicate_of: str | None
    note: str
    reviewer: str
    recorded_at: str  # ISO 8601 UTC
    rule_id: str
    rule_version: str
    evidence_sha256: str


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_decision(disposition: str | None, note: str, reviewer: str, duplicate_of: str | None) -> None:
    """A one-line error for a decision that must not be recorded (nothing is written then)."""
    if not reviewer.strip():
        raise ComplianceError("a decision needs the reviewer's name (--by)", field="by")
    if reviewer.strip().lower().startswith("exception "):
        # The name that marks a flag justified by an exception (sql/review/flag_states.sql).
        raise ComplianceError("a reviewer's name cannot begin with 'exception '", field="by")
    if disposition is None:
        if not note.strip():
            raise ComplianceError("a reopen needs a note saying why", field="note")
        return
    if disposition not in DISPOSITIONS:
        raise ComplianceError(f"unknown disposition {disposition!r}: one of {', '.join(DISPOSITIONS)}",
                              field="disposition")
    if disposition in NOTE_REQUIRED and not note.strip():
        raise ComplianceError(f"a {disposition} disposition needs a note giving the reason", field="note")
    if disposition == "duplicate" and not duplicate_of:
        raise ComplianceError("a duplicate names the flag it duplicates (--duplicate-of)", field="duplicate_of")
    if disposition != "duplicate" and duplicate_of:
        raise ComplianceError("--duplicate-of goes with the duplicate disposition only", field="duplicate_of")


def store_path(home: Path) -> Path:
    return Path(home) / STORE_FILE


def exists(home: Path) -> bool:
    """Whether the home has a review store, for readers that must not create one."""
    return bool(os.environ.get("COMPLIANCE_REVIEWS_DSN") or os.environ.get("COMPLIANCE_REVIEWS_FILE")
                or store_path(home).is_file())


# The type of `seq`, the order of decisions, in each dialect (sql/review/create_decisions.sql).
SEQUENCE_COLUMN = {"sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",
                   "postgres": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"}


# The store's tables, each created by `sql/review/create_<name>.sql` (docs/review.md).
TABLES = ("decisions", "signoffs", "exceptions", "users")


def schema(dialect: str) -> str:
    from compliance import queries

    tables = [queries.text(f"review/create_{name}").replace("SEQUENCE_COLUMN", SEQUENCE_COLUMN[dialect])
              for name in TABLES]
    return "\n".join(tables) + "\n" + queries.text(f"review/{dialect}_setup")


_NAMED = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


class ReviewStore:
    """Decisions on flags, appended in transactions. Open with `open_store`. The same named SQL
    runs on SQLite and on PostgreSQL (`:name` parameters, written `%(name)s` for psycopg)."""

    def __init__(self, connection, dialect: str):
        self._con, self._dialect = connection, dialect

    def _sql(self, name: str) -> str:
        from compliance import queries

        text = queries.text(name)
        return _NAMED.sub(r"%(\1)s", text) if self._dialect == "postgres" else text

    def append(self, decisions: Iterable[Decision]) -> int:
        """Record the decisions in one transaction (all or none); return how many."""
        return self.write("review/append_decision", [asdict(d) for d in decisions])

    def write(self, name: str, rows: list[dict]) -> int:
        """Run the named statement once per row, all in one transaction (all or none)."""
        # Commits, or rolls back on an error (psycopg's connection block would also close it).
        with self._con.transaction() if self._dialect == "postgres" else self._con:
            self._con.cursor().executemany(self._sql(name), rows)
        return len(rows)

    def read(self, name: str, params: dict | None = None) -> list[dict]:
        """Rows of the named query as dicts."""
        cursor = self._con.cursor()
        cursor.execute(self._sql(name), params or {})
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
        if self._dialect == "postgres":
            self._con.rollback()  # end the read's transaction: a long-lived app holds no snapshot
        return rows

    def history(self, flag_id: str) -> list[Decision]:
        return self._decisions("review/flag_history", {"flag_id": flag_id})

    def latest(self, month: str) -> dict[str, Decision]:
        """Each flag of the month that has a decision, with its latest one."""
        return {d.flag_id: d for d in self._decisions("review/month_latest", {"month": month})}

    def _decisions(self, name: str, params: dict) -> list[Decision]:
        return [Decision(**row) for row in self.read(name, params)]


@contextlib.contextmanager
def open_store(home: Path, path: Path | None = None) -> Iterator[ReviewStore]:
    """The review store: PostgreSQL when COMPLIANCE_REVIEWS_DSN names one, otherwise the SQLite
    file at `path`, $COMPLIANCE_REVIEWS_FILE or `<home>/reviews.sqlite` (created owner-only)."""
    dsn = os.environ.get("COMPLIANCE_REVIEWS_DSN")
    if dsn and path is None:
        with _postgres(dsn) as store:
            yield store
        return
    path = Path(path or os.environ.get("COMPLIANCE_REVIEWS_FILE") or store_path(home))
    created = not path.exists()
    try:
        connection = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level="DEFERRED")
    except sqlite3.Error as exc:
        raise ComplianceError(f"cannot open the review store: {exc}", path=str(path)) from None
    try:
        if created:
            path.chmod(0o600)  # decisions name flags, and so people
        connection.executescript(schema("sqlite"))
        yield ReviewStore(connection, "sqlite")
    except sqlite3.Error as exc:
        raise ComplianceError(f"review store: {exc}", path=str(path)) from None
    finally:
        connection.close()


@contextlib.contextmanager
def _postgres(dsn: str) -> Iterator[ReviewStore]:
    import psycopg

    try:
        connection = psycopg.connect(dsn, connect_timeout=BUSY_SECONDS)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ComplianceError(f"cannot open the review store at COMPLIANCE_REVIEWS_DSN: {first}",
                              field="COMPLIANCE_REVIEWS_DSN") from None
    try:
        with connection.transaction():
            # Several processes may open a new store at once: one creates it, the others wait.
            connection.execute("SELECT pg_advisory_xact_lock(hashtext('compliance review store'))")
            connection.execute(schema("postgres"))
        yield ReviewStore(connection, "postgres")
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ComplianceError(f"review store: {first}", field="COMPLIANCE_REVIEWS_DSN") from None
    finally:
        connection.close()

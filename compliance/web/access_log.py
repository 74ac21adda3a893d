"""The review app's own access log: canonical `access_events` rows (docs/data-contract.md) with
source `review_app`, so that who opened which flag, and so which person's records, is audited as
any other access is: `compliance ingest <home>/review-app/landing` loads it.

One CSV file per UTC day, `<home>/review-app/landing/access_events/review_app-YYYY-MM-DD.csv`,
header once, rows appended, owner-only. Rows are numbered by `sequence_no` without gaps across
files and processes (a lock file holds the last number), so a deleted row shows as a gap.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import io
import os
import threading
import uuid
from pathlib import Path

from compliance.config import owner_only
from compliance.contract import ACCESS_EVENT_COLUMNS

SOURCE = "review_app"
# What the app's reads and writes are for, in the purpose_code column the rules read.
PURPOSE = "ig_review"
# Attempted account names of failed log-ons are the caller's text: kept, but bounded.
NAME_CHARACTERS = 200


def landing_dir(home: Path) -> Path:
    return Path(home) / "review-app" / "landing"


def day_file(home: Path, day: dt.date) -> Path:
    return landing_dir(home) / "access_events" / f"{SOURCE}-{day.isoformat()}.csv"


class AccessLog:
    """Appends one row per act: `record(account, client, action, source_action, ...)`."""

    def __init__(self, home: Path):
        self._home = Path(home)
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def _numbered(self):
        """The next sequence number, held under an exclusive lock of the log until the row is written."""
        with owner_only():
            folder = landing_dir(self._home).parent
            folder.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(folder / "access-log.sequence", os.O_RDWR | os.O_CREAT, 0o600)
        with self._lock, os.fdopen(descriptor, "r+", encoding="ascii") as counter:
            fcntl.flock(counter, fcntl.LOCK_EX)
            number = int(counter.read().strip() or 0) + 1
            yield number
            counter.seek(0)
            counter.truncate()
            counter.write(str(number))

    def record(self, *, account: str, client: str | None, action: str, source_action: str,
               outcome: str = "success", person_id: str | None = None, flag_ids: tuple[str, ...] = (),
               search_terms: str = "", result_count: int | None = None, session_id: str = "") -> None:
        """`action` is the contract's vocabulary (`view`, `search`, `insert`, `login`, ...);
        `source_action` the app's own word for it (`open_flag`, `review`, ...)."""
        at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        with self._numbered() as number:
            row = {"event_id": f"{SOURCE}-{uuid.uuid4().hex}", "event_ts": at.isoformat(),
                   "account_id": account[:NAME_CHARACTERS] or "-", "client_addr": client or "",
                   "action": action, "subject_person_id": person_id or "", "search_terms": search_terms,
                   "case_number": "", "purpose_code": PURPOSE,
                   "result_count": "" if result_count is None else result_count, "outcome": outcome,
                   "sequence_no": number, "source": SOURCE, "source_action": source_action,
                   "statement": "", "objects": ";".join(f"flag:{f}" for f in flag_ids),
                   "session_id": session_id}
            self._append(day_file(self._home, at.date()), row)

    @staticmethod
    def _append(path: Path, row: dict) -> None:
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=ACCESS_EVENT_COLUMNS, lineterminator="\n")
        with owner_only():
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8", newline="") as log:
            if log.tell() == 0:
                writer.writeheader()
            writer.writerow(row)
            log.write(text.getvalue())
            log.flush()
            os.fsync(log.fileno())

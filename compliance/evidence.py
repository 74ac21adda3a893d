"""The evidence chain: an append-only hash chain over what the reports rest on (docs/evidence.md).

Each loaded batch, each month's flag set and each report version becomes one record of
`evidence_chain`: its content as canonical JSON, that JSON's sha256 (`record_digest`) and a hash over
its place in the chain that includes the hash of the record before it. `kind` is free text, so a
new kind of record (reviews) joins the chain by calling `append`, without a migration.

A record is appended only when its content differs from the latest record of the same kind and
key, so an identical re-run adds nothing (docs/architecture.md, "Idempotency"). Appends run inside
the writer's transaction, so a record and what it records are committed together or not at all.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import duckdb

from compliance import queries

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class Link:
    """One record of the chain."""

    seq: int
    kind: str
    record_key: str
    record: dict
    record_digest: str
    previous_hash: str
    hash: str
    recorded_at: str

    @classmethod
    def from_row(cls, row: dict) -> "Link":
        return cls(row["seq"], row["kind"], row["record_key"], json.loads(row["record"]),
                   row["record_digest"], row["previous_hash"], row["hash"], row["recorded_at"])

    def anchor(self) -> dict:
        """What a report manifest keeps of this record, to find it again unchanged."""
        return {"seq": self.seq, "hash": self.hash, "record_digest": self.record_digest}

    def name(self) -> str:
        return f"evidence chain seq {self.seq} ({self.kind} {self.record_key})"


def canonical(value) -> str:
    """The one text of a JSON-ready value that its digest is taken over."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def link_hash(seq: int, kind: str, record_key: str, record_digest: str, previous_hash: str,
              recorded_at: str) -> str:
    return sha256_text(canonical([seq, kind, record_key, record_digest, previous_hash, recorded_at]))


def _one(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> Link | None:
    found = queries.rows(con, name, params)
    return Link.from_row(found[0]) if found else None


def head(con: duckdb.DuckDBPyConnection) -> Link | None:
    return _one(con, "evidence/head")


def latest(con: duckdb.DuckDBPyConnection, kind: str, record_key: str) -> Link | None:
    return _one(con, "evidence/latest", {"kind": kind, "record_key": record_key})


def append(con: duckdb.DuckDBPyConnection, kind: str, record_key: str, record: dict) -> Link:
    """Record `record` as the chain's next link, unless the latest link of `kind` and `record_key`
    already holds the same content; the link that holds it."""
    text = canonical(record)
    digest = sha256_text(text)
    current = latest(con, kind, record_key)
    if current is not None and current.record_digest == digest:
        return current
    last = head(con)
    seq = last.seq + 1 if last else 1
    previous_hash = last.hash if last else GENESIS_HASH
    recorded_at = queries.plain(dt.datetime.now(dt.timezone.utc))
    hash_ = link_hash(seq, kind, record_key, digest, previous_hash, recorded_at)
    queries.execute(con, "evidence/append", {
        "seq": seq, "kind": kind, "record_key": record_key, "record": text, "record_digest": digest,
        "previous_hash": previous_hash, "hash": hash_, "recorded_at": recorded_at})
    return Link(seq, kind, record_key, json.loads(text), digest, previous_hash, hash_, recorded_at)


def batch_record(con: duckdb.DuckDBPyConnection, batch_id: str) -> dict:
    [row] = queries.rows(con, "evidence/batch", {"batch_id": batch_id})
    return row


def record_batch(con: duckdb.DuckDBPyConnection, batch_id: str) -> Link:
    """Chain the row of `batches` just written for a loaded file."""
    return append(con, "batch", batch_id, batch_record(con, batch_id))


def flags_record(con: duckdb.DuckDBPyConnection, month: str) -> dict:
    """The month's flag set as one order-free digest (the one the reports' fingerprint uses)."""
    [row] = queries.rows(con, "reports/flags_digest", {"month": month})
    return {"month": month, "flags": row["flags"], "digest": row["digest"]}


def record_flags(con: duckdb.DuckDBPyConnection, month: str) -> Link:
    """Chain the month's flags as they stand after an evaluation replaced them."""
    return append(con, "flags", month, flags_record(con, month))


def links(con: duckdb.DuckDBPyConnection) -> list[Link]:
    return [Link.from_row(row) for row in queries.rows(con, "evidence/records")]


def broken_links(chain: list[Link]) -> list[str]:
    """One line per record whose content, hash or link to the record before no longer holds."""
    problems = []
    expected_seq, previous_hash = 1, GENESIS_HASH
    for link in chain:
        if link.seq != expected_seq:
            missing = (f"record {expected_seq}" if link.seq == expected_seq + 1
                       else f"records {expected_seq} to {link.seq - 1}")
            problems.append(f"evidence chain: {missing} deleted")
        if sha256_text(canonical(link.record)) != link.record_digest:
            problems.append(f"{link.name()}: record altered (its content no longer matches its digest)")
        if link.hash != link_hash(link.seq, link.kind, link.record_key, link.record_digest,
                                  link.previous_hash, link.recorded_at):
            problems.append(f"{link.name()}: altered (its hash no longer matches its fields)")
        if link.previous_hash != previous_hash and link.seq == expected_seq:
            problems.append(f"{link.name()}: does not follow the record before it (the chain was "
                            "rewritten or a record replaced)")
        expected_seq, previous_hash = link.seq + 1, link.hash
    return problems

"""The evidence chain (compliance/evidence.py): batches on load, a month's flag set on evaluation,
each record linked to the one before, appended only when its content changed, and any alteration
of a record, a link or the order named."""
from __future__ import annotations

import pytest

from compliance import evidence, warehouse
from compliance.errors import ComplianceError
from compliance.policy.pack import load_pack
from compliance.rules.catalog import load_rules
from compliance.rules.engine import evaluate_month, load_sample
from compliance.sources.formats import ingest
from support import DETAINER_HEADER, PACK_TZ, write

ICE = {"account_id": "ice1", "agency": "ICE ERO Philadelphia", "agency_kind": "federal_immigration",
       "access_start": "2010-01-01", "access_end": None}


def access_event(event_id: str, ts: str) -> dict:
    return {"event_id": event_id, "event_ts": ts, "account_id": "ice1", "client_addr": "10.9.0.1",
            "action": "search", "subject_person_id": None, "search_terms": "x", "case_number": "X",
            "purpose_code": "C", "result_count": 1, "outcome": "success", "sequence_no": 1}


@pytest.fixture
def con():
    connection = warehouse.memory()
    yield connection
    connection.close()


def chain(con) -> list[tuple]:
    return [(link.seq, link.kind, link.record_key) for link in evidence.links(con)]


def test_a_loaded_file_is_chained_once_and_a_replaced_file_again(con, tmp_path):
    path = write(tmp_path / "detainers" / "d.csv",
                 DETAINER_HEADER + "\nD1,P1,B1,2016-03-04T10:00:00-05:00,I-247D,,declined,,,\n")
    first = ingest(con, path, "canonical", PACK_TZ)
    assert ingest(con, path, "canonical", PACK_TZ).status == "unchanged"
    assert chain(con) == [(1, "batch", first.batch_id)]
    [link] = evidence.links(con)
    assert link.record == evidence.batch_record(con, first.batch_id)
    assert (link.record["path"], link.record["rows_loaded"]) == (str(path.resolve()), 1)

    write(path, DETAINER_HEADER + "\nD1,P1,B1,2016-03-04T10:00:00-05:00,I-247D,,held,,,\n")
    second = ingest(con, path, "canonical", PACK_TZ)
    assert second.status == "replaced"
    # The replaced batch is gone from `batches`; the chain keeps both.
    assert chain(con) == [(1, "batch", first.batch_id), (2, "batch", second.batch_id)]
    assert evidence.broken_links(evidence.links(con)) == []


def test_a_refused_file_leaves_no_record(con, tmp_path):
    path = write(tmp_path / "detainers" / "d.csv", "detainer_id\nD1\n")
    with pytest.raises(ComplianceError):
        ingest(con, path, "canonical", PACK_TZ)
    assert chain(con) == []


def test_an_evaluation_chains_the_months_flag_set_only_when_it_changed(con):
    pack = load_pack()
    rules = [r for r in load_rules() if r.category == "access_outside_agreement"]
    load_sample(con, {"accounts": [ICE], "access_events": [access_event("AE1", "2018-09-10T12:00:00-04:00")]})
    evaluate_month(con, pack, "2018-09", rules)
    evaluate_month(con, pack, "2018-09", rules)
    assert chain(con) == [(1, "flags", "2018-09")]
    [link] = evidence.links(con)
    assert link.record == {"month": "2018-09", "flags": 1, "digest": evidence.flags_record(con, "2018-09")["digest"]}

    load_sample(con, {"access_events": [access_event("AE2", "2018-09-11T12:00:00-04:00")]})
    evaluate_month(con, pack, "2018-09", rules)
    assert chain(con) == [(1, "flags", "2018-09"), (2, "flags", "2018-09")]
    assert evidence.links(con)[1].record["flags"] == 2
    assert evidence.links(con)[1].previous_hash == link.hash


def test_a_new_kind_of_record_joins_the_chain_without_a_migration(con):
    first = evidence.append(con, "flags", "2018-09", {"month": "2018-09", "flags": 0, "digest": "x"})
    review = evidence.append(con, "review", "flag-0042", {"flag_id": "0042", "decision": "confirmed",
                                                          "reviewer": "ig-staff-7"})
    assert (review.seq, review.previous_hash) == (2, first.hash)
    assert evidence.append(con, "review", "flag-0042", {"flag_id": "0042", "decision": "confirmed",
                                                        "reviewer": "ig-staff-7"}) == review
    assert evidence.broken_links(evidence.links(con)) == []


@pytest.fixture
def three_links(con):
    for month in ("2018-07", "2018-08", "2018-09"):
        evidence.append(con, "flags", month, {"month": month, "flags": 1, "digest": month})
    assert evidence.broken_links(evidence.links(con)) == []
    return con


def test_an_edited_record_is_named(three_links):
    three_links.execute("""UPDATE evidence_chain SET record = '{"digest":"2018-08","flags":0,"month":"2018-08"}'
                           WHERE seq = 2""")
    assert evidence.broken_links(evidence.links(three_links)) == [
        "evidence chain seq 2 (flags 2018-08): record altered (its content no longer matches its digest)"]


def test_a_record_edited_with_its_digest_recomputed_is_named(three_links):
    record = {"digest": "2018-08", "flags": 0, "month": "2018-08"}
    text = evidence.canonical(record)
    three_links.execute("UPDATE evidence_chain SET record = ?, record_digest = ? WHERE seq = 2",
                        [text, evidence.sha256_text(text)])
    assert evidence.broken_links(evidence.links(three_links)) == [
        "evidence chain seq 2 (flags 2018-08): altered (its hash no longer matches its fields)"]


def test_a_deleted_record_is_named(three_links):
    three_links.execute("DELETE FROM evidence_chain WHERE seq = 2")
    assert evidence.broken_links(evidence.links(three_links)) == ["evidence chain: record 2 deleted"]


def test_a_rewritten_record_that_hashes_correctly_breaks_the_next_link(three_links):
    # Rewriting a record in full (content, digest and hash) still changes the hash the next one carries.
    [(recorded_at,)] = three_links.execute("SELECT recorded_at FROM evidence_chain WHERE seq = 2").fetchall()
    from compliance.queries import plain

    [previous] = [link.hash for link in evidence.links(three_links) if link.seq == 1]
    text = evidence.canonical({"digest": "2018-08", "flags": 0, "month": "2018-08"})
    digest = evidence.sha256_text(text)
    new_hash = evidence.link_hash(2, "flags", "2018-08", digest, previous, plain(recorded_at))
    three_links.execute("UPDATE evidence_chain SET record = ?, record_digest = ?, hash = ? WHERE seq = 2",
                        [text, digest, new_hash])
    assert evidence.broken_links(evidence.links(three_links)) == [
        "evidence chain seq 3 (flags 2018-09): does not follow the record before it (the chain was "
        "rewritten or a record replaced)"]


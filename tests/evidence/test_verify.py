"""`compliance verify REPORT_DIR` (compliance/reports/verify.py) on a real month: an untouched
version passes, late data and a new evaluation leave earlier versions verifiable, and each
alteration is named in one line: a deleted flag, an edited committee count, a changed landing file,
a manifest re-signed with another key, a deleted or added file, a rewritten chain."""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from compliance import pipeline
from compliance.config import warehouse_path
from compliance.reports import signing
from compliance.reports.verify import verify_version

MONTH = "2018-09"


@dataclass(frozen=True)
class Built:
    home: Path
    landing: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    """One generated month, ingested, evaluated and reported (v1), shared by the tests: each works
    on a copy of the home, and a test that changes a landing file puts it back."""
    from compliance.synth import generate

    root = tmp_path_factory.mktemp("verify")
    landing, home = root / "landing", root / "home"
    generate(landing, MONTH, MONTH, 3)
    pipeline.ingest_landing(home, landing)
    pipeline.evaluate(home, MONTH)
    assert pipeline.build_reports(home, MONTH).version == "v1"
    return Built(home, landing)


@pytest.fixture
def home(built, tmp_path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(built.home, copy, symlinks=True)
    return copy


def version(home: Path, name: str = "v1") -> Path:
    return home / "reports" / MONTH / name


def findings(home: Path, name: str = "v1", **kwargs) -> list[str]:
    return verify_version(home, version(home, name), **kwargs).findings


def sql(home: Path, statement: str, params=()) -> list[tuple]:
    con = duckdb.connect(str(warehouse_path(home)))
    try:
        return con.execute(statement, list(params)).fetchall()
    finally:
        con.close()


def test_an_untouched_version_verifies(home, compliance_cli):
    result = verify_version(home, version(home))
    assert (result.findings, result.notes) == ([], [])
    proc = compliance_cli(home, "verify", str(version(home)))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{version(home)}: intact: signature, files, evidence chain, warehouse flags and " \
                          "batches, landing files\n"


def test_a_deleted_flag_is_named(home):
    [(flag_id, rule_id, category)] = sql(home, """
        DELETE FROM flags WHERE flag_id = (SELECT min(flag_id) FROM flags WHERE month = ?)
        RETURNING flag_id, rule_id, category""", [MONTH])
    counted = json.loads((version(home) / "manifest.json").read_text())["counts_by_category"][category]
    [(seq,)] = sql(home, "SELECT max(seq) FROM evidence_chain WHERE kind = 'flags'")
    assert findings(home) == [
        f"warehouse flags {MONTH}: not the flags its last evaluation recorded at evidence chain seq {seq} "
        f"(flags {MONTH}) (changed outside the rules engine)",
        f"warehouse flags {MONTH}: flag {flag_id} ({rule_id}) deleted (in the version's export, not in the "
        "warehouse)",
        f"warehouse flags {MONTH}: {counted - 1} flags of category {category}, the version counts {counted}"]


def test_an_edited_committee_count_is_named(home):
    page = version(home) / f"committee-summary-{MONTH}.html"
    text = page.read_text(encoding="utf-8")
    shown = re.search(r'data-metric="committee.total.current">([0-9,]+)<', text).group(1)
    page.write_text(text.replace(f'data-metric="committee.total.current">{shown}<',
                                 'data-metric="committee.total.current">3<'), encoding="utf-8")
    found = findings(home)
    assert len(found) == 2
    assert re.fullmatch(rf"committee-summary-{MONTH}\.html: altered \(sha256 [0-9a-f]{{16}}…, the manifest "
                        r"lists [0-9a-f]{16}…\)", found[0])
    assert found[1] == (f"committee-summary-{MONTH}.html: figure committee.total.current shows '3', the "
                        f"manifest records '{shown}'")


def test_a_changed_landing_file_is_named(built, home):
    path = built.landing / "detainers" / f"detainers_{MONTH}.csv"
    original = path.read_bytes()
    try:
        path.write_bytes(original.replace(b"declined", b"held", 1))
        found = findings(home)
    finally:
        path.write_bytes(original)
    assert len(found) == 1
    assert re.fullmatch(rf"landing file {re.escape(str(path))}: altered since it was loaded \(sha256 now "
                        r"[0-9a-f]{16}…, loaded [0-9a-f]{16}…\)", found[0])


def test_a_manifest_re_signed_with_another_key_is_named(home, tmp_path, compliance_cli):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    folder = version(home)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["flag_count"] -= 1  # the forger's edit, then a signature of their own
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    forger = Ed25519PrivateKey.generate()
    signing.sign(folder, "manifest.json", forger)
    trusted = signing.trusted_key(home)
    [(seq,)] = sql(home, "SELECT seq FROM evidence_chain WHERE kind = 'report_version'")
    expected = [
        f"manifest.json: re-signed with key {signing.fingerprint(forger.public_key())[:16]}, which is not "
        f"trusted (trusted: {signing.fingerprint(trusted)[:16]})",
        f"manifest.json: not the manifest recorded at evidence chain seq {seq} (report_version {MONTH}/v1) "
        "(replaced)"]
    assert findings(home) == expected

    proc = compliance_cli(home, "verify", str(folder))
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [f"{folder}: {line}" for line in expected]
    # A published public key is trusted in its place; the one beside the manifest is the forger's.
    published = tmp_path / "published.pub"
    published.write_bytes(signing.public_pem(trusted))
    assert findings(home, public_keys=[published]) == expected

def test_a_manifest_edited_without_a_new_signature_is_named(home):
    path = version(home) / "manifest.json"
    path.write_text(path.read_text().replace('"status": "not validated"', '"status": "complete"'))
    assert findings(home)[0] == "manifest.json: altered after it was signed (the signature does not match it)"


def test_a_deleted_output_an_added_file_and_a_deleted_signature_are_named(home):
    folder = version(home)
    (folder / f"flags-{MONTH}.csv").unlink()
    (folder / "notes.txt").write_text("x")
    (folder / "manifest.sig").unlink()
    assert findings(home) == ["manifest.sig: deleted (the manifest is not signed)",
                              f"flags-{MONTH}.csv: deleted", "notes.txt: added (not in the manifest)"]


def test_a_chain_rewritten_to_hide_a_deleted_flag_is_named(home):
    """Deleting a flag, then cutting the chain back and appending records that match the tampered
    flags, keeps every link valid; the signed manifest's anchor finds the rewrite, and the export
    the deleted flag."""
    from compliance import evidence, warehouse
    from compliance.reports.build import version_record

    [(flag_id, rule_id, category)] = sql(home, """
        DELETE FROM flags WHERE flag_id = (SELECT min(flag_id) FROM flags WHERE month = ?)
        RETURNING flag_id, rule_id, category""", [MONTH])
    anchor = json.loads((version(home) / "manifest.json").read_text())["evidence"]["flags"]
    sql(home, "DELETE FROM evidence_chain WHERE seq >= ?", [anchor["seq"]])
    with warehouse.connect(home) as con:
        forged = evidence.record_flags(con, MONTH)
        evidence.append(con, "report_version", f"{MONTH}/v1", version_record(version(home)))
    assert evidence.broken_links(evidence.links(duckdb.connect(str(warehouse_path(home)), read_only=True))) == []
    counted = json.loads((version(home) / "manifest.json").read_text())["counts_by_category"][category]
    assert forged.seq == anchor["seq"]
    assert findings(home) == [
        f"evidence chain seq {forged.seq} (flags {MONTH}): not the record this version was built on (the "
        "chain was rewritten)",
        f"warehouse flags {MONTH}: flag {flag_id} ({rule_id}) deleted (in the version's export, not in the "
        "warehouse)",
        f"warehouse flags {MONTH}: {counted - 1} flags of category {category}, the version counts {counted}"]

def test_a_batch_edited_in_the_warehouse_and_rows_deleted_are_named(home):
    [(batch_id, path)] = sql(home, "UPDATE batches SET rows_loaded = rows_loaded + 1 "
                                   "WHERE table_name = 'detainers' RETURNING batch_id, path")
    [(loaded,)] = sql(home, "SELECT rows_loaded FROM batches WHERE batch_id = ?", [batch_id])
    [(seq,)] = sql(home, "SELECT seq FROM evidence_chain WHERE record_key = ?", [batch_id])
    assert findings(home) == [
        f"batch {batch_id} (detainers {path}): altered (rows_loaded differ from evidence chain seq {seq} "
        f"(batch {batch_id}))",
        f"detainers: batch {batch_id} holds {loaded - 1} rows, {loaded} were loaded (rows deleted or added)"]


def test_a_version_the_next_build_finds_unrecorded_is_recorded(home):
    """A build killed between publishing a version and chaining it: the next build chains it."""
    sql(home, "DELETE FROM evidence_chain WHERE kind = 'report_version'")
    assert findings(home) == [f"evidence chain: no record of report {MONTH} v1 (deleted, or the version "
                              "was never recorded)"]
    again = pipeline.build_reports(home, MONTH)
    assert (again.version, again.created) == ("v1", False)
    assert findings(home) == []


def test_late_data_and_a_new_evaluation_leave_every_version_verifiable(built, home):
    """A corrected landing file replaces its batch and changes the month's flags: v2 is built, and
    v1 still verifies, with notes of what changed legitimately since."""
    con = duckdb.connect(str(warehouse_path(home)), read_only=True)
    [(source,)] = con.execute("""
        SELECT evidence -> 'source_lines' -> 0 FROM flags
        WHERE month = ? AND rule_id = 'access_outside_agreement' LIMIT 1""", [MONTH]).fetchall()
    con.close()
    source = json.loads(source)
    path = Path(source["file"])
    original = path.read_bytes()
    lines = original.split(b"\n")
    try:
        path.write_bytes(b"\n".join(lines[:source["line"] - 1] + lines[source["line"]:]))
        pipeline.ingest_landing(home, built.landing)
        pipeline.evaluate(home, MONTH)
        assert pipeline.build_reports(home, MONTH).version == "v2"
        earlier, later = verify_version(home, version(home, "v1")), verify_version(home, version(home, "v2"))
    finally:
        path.write_bytes(original)
    assert (earlier.findings, later.findings) == ([], [])
    assert len(earlier.notes) == 2
    assert earlier.notes[0].startswith(f"{MONTH} was evaluated again after this version (evidence chain seq ")
    assert earlier.notes[1].startswith(f"{path}: replaced since this version (batch ")
    assert later.notes == []

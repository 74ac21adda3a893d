"""A format is one entry of the table in compliance/sources/formats.py: it declares what it reads and
how it stages a file, and the one loader does the rest (typing, quarantine, statement analysis in
its dialect, the batch)."""
from __future__ import annotations

import inspect

import pytest
import sqlglot

from compliance.config import SQL_DIR
from compliance.contract import ACCESS_EVENT_COLUMNS, LANDING_TABLES
from compliance.errors import ComplianceError
from compliance.sources.adapter import SourceFormat
from compliance.sources.formats import FORMATS, format_named, ingest, is_format_name
from compliance.sources.staging import stage_delimited
from support import ACCESS_HEADER, PACK_TZ, write


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_declares_the_interface(name):
    fmt = FORMATS[name]
    assert isinstance(fmt, SourceFormat) and fmt.name == name and fmt.description
    assert fmt.table is None or fmt.table in LANDING_TABLES
    sqlglot.Dialect.get_or_raise(fmt.dialect)
    assert list(inspect.signature(fmt.stage).parameters) == ["con", "path", "options"]
    assert not set(fmt.extra_columns) & set(ACCESS_EVENT_COLUMNS)
    if fmt.records_query:
        assert (SQL_DIR / f"{fmt.records_query}.sql").is_file()
    assert is_format_name(name)


def test_a_mapping_is_a_format_built_from_its_yaml():
    fmt = format_named("mapping:pa_ice_detainers")
    assert isinstance(fmt, SourceFormat)
    assert (fmt.name, fmt.table, fmt.dialect) == ("mapping:pa_ice_detainers", "detainers", "postgres")
    assert is_format_name("mapping:pa_ice_detainers") and not is_format_name("mapping:")


def test_an_unknown_format_is_one_error_naming_the_known_ones():
    with pytest.raises(ComplianceError) as error:
        format_named("csv")
    assert str(error.value) == ("field format: unknown format 'csv' (expected one of: canonical, pgaudit-csvlog, "
                                "pgaudit-stderr, mariadb-audit, sqlserver-audit)")
    assert not is_format_name("csv")


@pytest.mark.parametrize("name, source_name, prefix, message", [
    ("canonical", "pars", None,
     "field source_name: --source-name does not apply to canonical files: their rows name their source"),
    ("mapping:pa_ice_detainers", "pars", None,
     "field source_name: --source-name does not apply to a mapping: its source is mapping:NAME"),
    ("mariadb-audit", None, "%m ",
     "field log_line_prefix: --log-line-prefix applies to pgaudit-stderr only, not mariadb-audit"),
])
def test_options_a_format_does_not_take_are_refused(con, tmp_path, name, source_name, prefix, message):
    path = write(tmp_path / "access_events" / "a.csv", ACCESS_HEADER + "\n")
    with pytest.raises(ComplianceError) as error:
        ingest(con, path, name, PACK_TZ, source_name=source_name, log_line_prefix=prefix)
    assert str(error.value) == message


def test_a_new_format_needs_nothing_but_its_declaration(con, tmp_path):
    pipe_log = SourceFormat(
        name="pipe-access", description="access events separated by pipes", table="access_events",
        stage=lambda con, path, options: stage_delimited(con, path, "|"), dialect="mysql")
    header = ACCESS_HEADER.replace(",", "|") + "|statement"
    row = "E1|2016-03-04T10:00:00-05:00|ppd1|10.0.0.1|search|P1||C1|C|1|success|1|SELECT * FROM `arrest`"
    result = ingest(con, write(tmp_path / "log.psv", header + "\n" + row + "\n"), pipe_log, PACK_TZ,
                    source_name="pipes")
    assert (result.table, result.rows_read, result.rows_loaded) == ("access_events", 1, 1)
    assert con.execute("SELECT source FROM batches").fetchall() == [("pipes",)]
    # Its statements are analysed at load, in its own dialect (backquotes are MySQL's).
    assert con.execute("""
        SELECT a.dialect, a.tables FROM access_events e
        JOIN statement_analysis a ON a.statement_hash = statement_hash(e.statement)""").fetchall() == [
        ("mysql", "arrest")]


def test_canonical_statements_are_analysed_when_loaded(con, tmp_path):
    row = "E1,2016-03-04T10:00:00-05:00,ppd1,10.0.0.1,search,,,,,1,success,1,SELECT * FROM person WHERE person_id = 7"
    ingest(con, write(tmp_path / "access_events" / "a.csv", ACCESS_HEADER + ",statement\n" + row + "\n"),
           "canonical", PACK_TZ)
    assert con.execute("SELECT dialect, subject_person_id FROM statement_analysis").fetchall() == [
        ("postgres", "7")]

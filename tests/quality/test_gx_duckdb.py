"""Canary for the GX/DuckDB workaround in compliance/quality/gx_duckdb.py (upstream #11579).

(a) fails when GX starts computing observed values on DuckDB WITHOUT the workaround: then GX has
    fixed (or changed) the bug and the workaround should be dropped;
(b) fails when the workaround stops producing correct observed values.
"""
import subprocess
import sys

import duckdb
import pytest

from compliance.errors import ComplianceError


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("gx") / "canary.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (id VARCHAR, n BIGINT)")
    con.execute("INSERT INTO t VALUES ('a', 1), ('b', 2), ('c', 3), ('d', 4), (NULL, 5)")
    con.close()
    return path


@pytest.fixture(scope="module")
def gx_duckdb():
    from compliance.quality import gx_duckdb

    return gx_duckdb


def _expect(kind, **kwargs):
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    return ExpectationConfiguration(type=kind, kwargs=kwargs, meta={"name": kind}).to_domain_obj()


def _run(gx_duckdb, db, workaround, expectations):
    with gx_duckdb.duckdb_datasource(db, workaround=workaround) as (context, datasource):
        results = gx_duckdb.validate_query(context, datasource, "t_all", "SELECT * FROM t",
                                           expectations, suite_name="canary")
    return {r["expectation_config"]["type"]: r for r in results}


def test_without_workaround_gx_computes_no_observed_value(gx_duckdb, db):
    results = _run(gx_duckdb, db, False, [
        _expect("expect_table_row_count_to_equal", value=5),
        _expect("expect_column_values_to_not_be_null", column="id"),
    ])
    for kind, result in results.items():
        assert result["result"] == {} and result["success"] is False, (
            f"GX now computes {kind} on DuckDB without the workaround: the bug of "
            f"{gx_duckdb.UPSTREAM_ISSUE} is fixed or changed; drop the workaround in gx_duckdb.py "
            f"(and this test). Result: {result['result']}")
        assert "list index out of range" in str(result["exception_info"])
        with pytest.raises(ComplianceError, match="could not compute"):
            gx_duckdb.observation(result)


def test_with_workaround_observed_values_are_computed_and_correct(gx_duckdb, db):
    results = _run(gx_duckdb, db, True, [
        _expect("expect_table_row_count_to_equal", value=5),              # passes
        _expect("expect_column_max_to_be_between", column="n", max_value=3),  # fails: max is 5
        _expect("expect_column_values_to_be_unique", column="id"),        # passes
        _expect("expect_column_values_to_not_be_null", column="id"),      # fails: one null
    ])
    seen = {kind: gx_duckdb.observation(r) for kind, r in results.items()}
    assert (seen["expect_table_row_count_to_equal"].success,
            seen["expect_table_row_count_to_equal"].observed) == (True, "5")
    assert (seen["expect_column_max_to_be_between"].success,
            seen["expect_column_max_to_be_between"].observed) == (False, "5")
    assert (seen["expect_column_values_to_be_unique"].success,
            seen["expect_column_values_to_be_unique"].observed) == (True, "0 of 5 rows unexpected")
    not_null = seen["expect_column_values_to_not_be_null"]
    assert (not_null.success, not_null.observed) == (False, "1 of 5 rows unexpected")
    assert not_null.details["element_count"] == 5 and not_null.details["unexpected_count"] == 1


def test_workaround_is_scoped_and_connections_are_closed(gx_duckdb, db):
    gx_duckdb.remove_workaround()
    with gx_duckdb.duckdb_datasource(db) as _:
        assert gx_duckdb.workaround_installed()
    assert not gx_duckdb.workaround_installed()
    # Every GX connection is closed: a read-write connection in this same process (which DuckDB
    # refuses while a read-only one is open) and a write both succeed.
    con = duckdb.connect(str(db))
    con.execute("CREATE OR REPLACE TEMP TABLE probe AS SELECT 1")
    con.close()


def test_result_without_observed_value_is_an_error(gx_duckdb):
    empty = {"success": False, "result": {}, "exception_info": {
        "raised_exception": False, "exception_message": None, "exception_traceback": None}}
    with pytest.raises(ComplianceError, match="no observed value"):
        gx_duckdb.observation(empty)
    zero_rows = {"success": True, "exception_info": {"raised_exception": False},
                 "result": {"element_count": 0, "unexpected_count": None}}
    assert gx_duckdb.observation(zero_rows).observed == "0 of 0 rows unexpected"


def test_quality_modules_do_not_import_gx():
    code = ("import sys, compliance.quality, compliance.quality.gx_duckdb, "
            "compliance.quality.validate; "
            "sys.exit('great_expectations' in sys.modules or 'pandas' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0

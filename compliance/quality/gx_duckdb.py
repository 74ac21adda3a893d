"""Great Expectations (GX 1.x) on the DuckDB warehouse, with the SQL pushed down to DuckDB.

This module is the ONE place that knows about the GX/DuckDB connection bug and its workaround
(see `install_workaround`). Everything else asks it for a datasource and checks every result
with `observation`, which refuses a result that carries no observed value.

GX is imported only inside functions: `import great_expectations` costs about 10 s
(docs/architecture.md, "Stack facts"), and the CLI and the Airflow DAG files import this package without validating.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from compliance.errors import ComplianceError

UPSTREAM_ISSUE = "https://github.com/fivetran/great_expectations/issues/11579"
DIALECT = "duckdb"


# --------------------------------------------------------------------------------------------
# The workaround
#
# GX's SqlAlchemyExecutionEngine.execute_query() runs each bundled metric query inside
# `with self.get_connection() as connection:` and returns the SQLAlchemy result; its caller,
# resolve_metric_bundle(), calls `.fetchall()` only after that block has closed the connection.
# Closing a SQLAlchemy connection rolls back its transaction, and a DuckDB rollback discards the
# pending result, so with duckdb-engine the fetch returns `[]` and every metric fails with
# `IndexError: list index out of range` (wrapped as MetricResolutionError). Expectations then come
# back with `success: false` and an EMPTY result: no observed value, which reads exactly like a
# data-quality failure. Upstream: fivetran/great_expectations#11579 (closed without a fix; the PR
# #11635 that only improved the error message was closed too), earlier #10738. Reproduced with
# GX 1.24.1, duckdb 2.0.1, duckdb-engine 0.17.0, SQLAlchemy 2.1.9. (`pool_reset_on_return=None`
# does not help: the rollback comes from the Connection itself, not from the pool.)
#
# GX already keeps ONE persistent connection for the dialects in the private tuple
# `sqlalchemy_execution_engine._PERSISTED_CONNECTION_DIALECTS` (sqlite, mssql, bigquery,
# databricks: for their temporary tables). That tuple is read twice, at call time:
#   * `_dialect_requires_persisted_connection()` compares `connection_string.startswith(d.value)`
#     and, when true, builds the engine with a StaticPool (one DB-API connection);
#   * `get_connection()` tests `self.dialect_name in _PERSISTED_CONNECTION_DIALECTS` and, when
#     true, yields a connection it never closes, so results stay readable after the block.
# Adding an entry that is a `str` equal to "duckdb" AND has `.value == "duckdb"` (GX's entries are
# `GXSqlDialect`, a str enum) puts DuckDB on that path. Nothing else in GX reads the tuple, and
# only engines whose dialect is "duckdb" are affected, so the patch changes nothing for any other
# database. The persistent connection is closed by `duckdb_datasource` on exit.
#
# tests/quality/test_gx_duckdb.py is the canary: it fails as soon as GX computes observed values on
# DuckDB WITHOUT this patch (then delete it), or stops computing them WITH it.
# --------------------------------------------------------------------------------------------
class _DuckDBDialect(str):
    """A `str` equal to "duckdb" that also has the `.value` GX reads from its dialect enum."""

    @property
    def value(self) -> str:
        return str.__str__(self)


def _gx_engine_module():
    quiet_gx()
    try:
        from great_expectations.execution_engine import sqlalchemy_execution_engine as module
    except ImportError as exc:  # pragma: no cover - GX is a pinned dependency
        raise ComplianceError(f"Great Expectations is not installed: {exc}") from None
    if not isinstance(getattr(module, "_PERSISTED_CONNECTION_DIALECTS", None), tuple):
        raise ComplianceError(
            "Great Expectations changed: sqlalchemy_execution_engine._PERSISTED_CONNECTION_DIALECTS "
            f"is gone, so the DuckDB workaround for {UPSTREAM_ISSUE} cannot be applied; run "
            "tests/quality/test_gx_duckdb.py and revisit compliance/quality/gx_duckdb.py")
    return module


def workaround_installed() -> bool:
    module = _gx_engine_module()
    return any(isinstance(d, _DuckDBDialect) for d in module._PERSISTED_CONNECTION_DIALECTS)


def install_workaround() -> None:
    """Make GX keep one persistent connection for DuckDB (idempotent). See the comment above."""
    module = _gx_engine_module()
    if not workaround_installed():
        module._PERSISTED_CONNECTION_DIALECTS = (
            *module._PERSISTED_CONNECTION_DIALECTS, _DuckDBDialect(DIALECT))


def remove_workaround() -> None:
    """Undo `install_workaround` (for the canary test, which must see GX's own behaviour)."""
    module = _gx_engine_module()
    module._PERSISTED_CONNECTION_DIALECTS = tuple(
        d for d in module._PERSISTED_CONNECTION_DIALECTS if not isinstance(d, _DuckDBDialect))


# --------------------------------------------------------------------------------------------
# Context and datasource
# --------------------------------------------------------------------------------------------
def quiet_gx() -> None:
    # Nothing may leave the machine (docs/architecture.md, "Stack facts"): GX reads
    # this variable when it is imported, so set it before the first import.
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    # GX logs hundreds of INFO lines per validation (docstring registration at import, "batch_slice
    # parsed", "_get_default_value called with key"): they buried a monthly task's own lines in its
    # log. Its warnings and errors still come through.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


def ephemeral_context():
    """An in-memory GX context: no files, no Data Docs, no analytics, no progress bars."""
    quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def _lock_wait_seconds() -> float:
    from compliance.warehouse import LOCK_WAIT_SECONDS

    return LOCK_WAIT_SECONDS


@contextlib.contextmanager
def duckdb_datasource(db_path: Path, *, read_only: bool = True, workaround: bool = True,
                      name: str = "warehouse") -> Iterator[tuple[Any, Any]]:
    """Yield `(context, datasource)`: an ephemeral GX context and a SQL datasource on `db_path`.

    Metrics run as SQL inside DuckDB (no pandas copy of a table). The datasource opens the file
    itself (read-only by default), so the caller must not hold a read-write connection to the
    same file in this process: DuckDB refuses a second connection with another configuration.
    Every connection GX opened is closed on exit, so the warehouse can be reopened for writing.

    `workaround=False` runs GX exactly as shipped (only for the canary test); the previous state
    of the workaround is restored on exit.
    """
    db_path = Path(db_path).resolve()
    if not db_path.exists():
        raise ComplianceError("no warehouse yet: run `compliance ingest` first", path=str(db_path))
    was_installed = workaround_installed()
    if workaround:
        install_workaround()
    else:
        remove_workaround()
    context = ephemeral_context()
    datasource = None
    try:
        datasource = _add_datasource(context, db_path, read_only=read_only, name=name)
        yield context, datasource
    finally:
        if datasource is not None:
            _close(datasource)
        if was_installed:
            install_workaround()
        else:
            remove_workaround()


def _add_datasource(context, db_path: Path, *, read_only: bool, name: str):
    from great_expectations.datasource.fluent.interfaces import TestConnectionError

    from compliance.warehouse import resource_config

    deadline = time.monotonic() + _lock_wait_seconds()
    while True:
        try:
            return context.data_sources.add_sql(
                name=name,
                connection_string=f"duckdb:///{db_path}",
                # Temporary tables would copy each batch; the batch query is inlined instead.
                create_temp_table=False,
                kwargs={"connect_args": {"read_only": read_only,
                                         "config": resource_config(Path(db_path).parent)}},
            )
        except TestConnectionError as exc:
            message = str(exc)
            if "lock" in message.lower() and time.monotonic() < deadline:
                time.sleep(0.5)  # another process holds the warehouse (docs/architecture.md, "Concurrency")
                continue
            if "lock" in message.lower():
                raise ComplianceError("warehouse is in use by another process; retry when the "
                                      "running ingest or report finishes", path=str(db_path)) from None
            if "different configuration" in message.lower():
                raise ComplianceError(
                    "the warehouse is already open in this process; close that connection "
                    "before validating (GX opens its own)", path=str(db_path)) from None
            raise ComplianceError(f"GX cannot open the warehouse: {message}",
                                  path=str(db_path)) from None


def _close(datasource) -> None:
    """Close every connection GX opened on the file (its persistent one included)."""
    engines = []
    with contextlib.suppress(Exception):
        execution_engine = datasource.get_execution_engine()
        persistent = getattr(execution_engine, "_connection", None)  # the workaround's connection
        if persistent is not None:
            with contextlib.suppress(Exception):
                persistent.close()
        engines.append(execution_engine.engine)
    with contextlib.suppress(Exception):
        engines.append(datasource.get_engine())
    for engine in engines:
        with contextlib.suppress(Exception):
            engine.dispose()


def validate_query(context, datasource, asset_name: str, query: str, expectations: list,
                   suite_name: str) -> list[dict]:
    """Validate the rows of `query` (computed in DuckDB) against GX `expectations`.

    Returns one JSON-ready result dict per expectation, in order (result format SUMMARY, no
    Data Docs). Check each with `observation` before trusting it.
    """
    import great_expectations as gx

    asset = datasource.add_query_asset(name=asset_name, query=query)
    batch = asset.add_batch_definition_whole_table(f"{asset_name}_all").get_batch()
    suite = context.suites.add(gx.ExpectationSuite(name=suite_name, expectations=expectations))
    run = batch.validate(suite, result_format="SUMMARY")
    return [result.to_json_dict() for result in run.results]


# --------------------------------------------------------------------------------------------
# Results: an expectation without an observed value is an error, never a pass or a failure.
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Observation:
    success: bool
    observed: str          # what GX measured, as text
    details: dict          # the remaining SUMMARY numbers (counts, percentages, mismatches)


# keys of a SUMMARY result that carry row samples; kept only when complete (see observation())
_SAMPLE_KEYS = ("partial_unexpected_list", "partial_unexpected_counts",
                "partial_unexpected_index_list", "unexpected_list", "unexpected_index_list",
                "unexpected_index_query")


def _raised(exception_info: Any) -> str | None:
    """The first exception message in GX's exception_info (flat, or keyed by metric id)."""
    if not isinstance(exception_info, dict):
        return None
    if exception_info.get("raised_exception"):
        return str(exception_info.get("exception_message") or "exception")
    for value in exception_info.values():
        if isinstance(value, dict) and (value.get("raised_exception") or value.get("exception_traceback")):
            return str(value.get("exception_message") or "exception")
    return None


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def observation(result: dict, *, label: str = "") -> Observation:
    """Read one GX result dict; raise ComplianceError if GX did not actually measure anything.

    Column-map expectations (not null, unique, in set, ...) report `element_count` and
    `unexpected_count`; the observed value is "U of N rows unexpected". Aggregate expectations
    report `observed_value`, which may legitimately be null (e.g. a maximum over zero rows).
    A result with neither, or with an exception, is the GX/DuckDB failure mode of #11579 (or a
    metric DuckDB cannot compute): it must stop the run, not count as a pass or as a finding.
    """
    where = f" ({label})" if label else ""
    error = _raised(result.get("exception_info"))
    if error is not None:
        raise ComplianceError(f"GX could not compute an expectation{where}: {error[:500]} "
                              f"(see docs/data-quality.md; on DuckDB often {UPSTREAM_ISSUE})")
    measured = result.get("result") or {}
    success = result.get("success")
    if not isinstance(success, bool):
        raise ComplianceError(f"GX returned no success flag{where}")
    details = {k: v for k, v in measured.items() if k not in _SAMPLE_KEYS and k != "observed_value"}
    if "observed_value" in measured:
        return Observation(success, _text(measured["observed_value"]), details)
    if isinstance(measured.get("element_count"), int):
        rows = measured["element_count"]
        unexpected = measured.get("unexpected_count")
        if unexpected is None and rows == 0:
            unexpected = 0  # GX reports null, not 0, for a map expectation over zero rows
        if isinstance(unexpected, int):
            details["unexpected_count"] = unexpected
            sample = measured.get("partial_unexpected_counts")
            # SUMMARY samples at most 20 unexpected rows, chosen by the database; keep them only
            # when they are all of them, sorted, so that a re-run stores identical text.
            if unexpected and sample is not None and sum(c.get("count", 0) for c in sample) == unexpected:
                details["unexpected_values"] = sorted(
                    sample, key=lambda c: (c.get("value") is None, _text(c.get("value"))))
            return Observation(success, f"{unexpected} of {rows} rows unexpected", details)
    raise ComplianceError(
        f"GX returned no observed value{where}; this is the failure mode of {UPSTREAM_ISSUE} "
        "(results lost when GX closes its DuckDB connection): the validation cannot be trusted")

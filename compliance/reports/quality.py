"""The data-quality part of the monthly report: failed checks, coverage per source and day, log
gaps, late files and reconciliation. Queries: sql/reports/quality_*.sql; coverage comes from the
views in sql/views/50_coverage.sql, the same the log_gap rule reads."""
from __future__ import annotations

import duckdb

from compliance import queries
from compliance.months import month_bounds
from compliance.policy.pack import PolicyPack
from compliance.quality.reconcile import batch_discrepancies

DAILY_SHARE = 0.8  # a source with rows on at least this share of the month's days is a daily feed


def quality_section(con: duckdb.DuckDBPyConnection, month: str, pack: PolicyPack) -> dict:
    """JSON-ready data for the report's data-quality block (works on a read-only connection whose
    rule views are installed: coverage_days and coverage_gaps among them)."""
    start, end = month_bounds(month, pack.timezone)
    params = {"month": month, "month_start": start, "month_end": end, "tz": pack.timezone}
    cells = queries.rows(con, "reports/quality_coverage_days", params)
    sources = list(dict.fromkeys((c["table_name"], c["source"]) for c in cells))
    days = list(dict.fromkeys(c["day"] for c in cells))
    counts = {(c["table_name"], c["source"], c["day"]): c["rows_received"] for c in cells}
    # A day without rows is missing data only for a source that sends rows on most days; a
    # sparse feed (detainers) has quiet days by nature.
    daily = {source for source in sources
             if sum(counts[(*source, day)] > 0 for day in days) >= DAILY_SHARE * len(days)}
    missing = [(source, day) for source in sorted(daily) for day in days if counts[(*source, day)] == 0]
    return {
        "failures": queries.rows(con, "reports/quality_failures", params),
        "sources": [{"table_name": t, "source": s} for t, s in sources],
        "days": [{"day": day, "cells": [{"rows": counts[(*source, day)], "missing": (source, day) in missing}
                                        for source in sources]} for day in days],
        "missing_days": [{"table_name": t, "source": s, "day": day} for (t, s), day in missing],
        "gaps": queries.rows(con, "reports/quality_gaps", params),
        "late_files": queries.rows(con, "reports/quality_late_files", params),
        "discrepancies": batch_discrepancies(con),
    }

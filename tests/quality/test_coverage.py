"""Coverage (sql/views/50_coverage.sql): rows received per source and local day. The log_gap rule
built on it is tested in tests/rules/test_log_gap.py."""
from __future__ import annotations

from compliance import warehouse
from compliance.policy.pack import load_pack
from compliance.rules.views import install_views


def test_coverage_days_counts_rows_per_source_and_local_day():
    con = warehouse.memory()
    con.executemany("INSERT INTO access_events (event_id, event_ts, account_id, source, sequence_no) "
                    "VALUES (?, ?, 'u1', ?, ?)", [
                        ("a1", "2020-05-11 23:30:00-04", "app", 1), ("a2", "2020-05-12 00:30:00-04", "app", 2),
                        ("d1", "2020-05-12 01:00:00-04", None, None)])
    con.execute("INSERT INTO detainers (detainer_id, received_at) VALUES ('x', '2020-05-12 03:59:00+00')")
    install_views(con, load_pack())
    assert con.execute("SELECT table_name, source, CAST(day AS VARCHAR), rows_received FROM coverage_days "
                       "ORDER BY ALL").fetchall() == [
        ("access_events", "access_events", "2020-05-12", 1), ("access_events", "app", "2020-05-11", 1),
        ("access_events", "app", "2020-05-12", 1), ("detainers", "detainers", "2020-05-11", 1)]
    con.close()

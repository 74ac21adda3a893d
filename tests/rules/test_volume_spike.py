"""The report names the accounts the volume-spike rule could not judge for lack of history."""
from compliance import queries, warehouse
from compliance.months import month_bounds
from compliance.policy.pack import load_pack
from compliance.rules.engine import load_sample
from compliance.rules.views import install_views


def test_days_without_a_baseline_are_listed_with_their_lookups():
    pack = load_pack()
    con = warehouse.memory()
    base = {"client_addr": "10.0.0.1", "action": "view", "search_terms": "", "case_number": "X",
            "purpose_code": "C", "result_count": 1, "outcome": "success", "sequence_no": 1}
    load_sample(con, {
        "accounts": [{"account_id": "old", "agency": "A", "agency_kind": "city", "access_start": "2015-01-01"},
                     {"account_id": "new", "agency": "B", "agency_kind": "city", "access_start": "2020-05-01"}],
        "access_events": [
            # 30 days of history before May for "old"; "new" starts on May 11.
            {**base, "_repeat": 40, "_step_field": "event_ts", "_step_seconds": 86400, "event_id": "O{n}",
             "event_ts": "2020-04-01T10:00:00-04:00", "account_id": "old", "subject_person_id": "P{n}"},
            {**base, "_repeat": 3, "_step_field": "event_ts", "_step_seconds": 86400, "event_id": "N{n}",
             "event_ts": "2020-05-11T10:00:00-04:00", "account_id": "new", "subject_person_id": "Q{n}"}],
    })
    install_views(con, pack)
    start, end = month_bounds("2020-05", pack.timezone)
    rows = queries.rows(con, "reports/volume_unjudged", {"month_start": start, "month_end": end, "listed": 10})
    con.close()
    assert [(r["account_id"], r["days_unjudged"], str(r["first_day"]), r["lookups"], r["accounts_unjudged"])
            for r in rows] == [("new", 3, "2020-05-11", 3, 1)]

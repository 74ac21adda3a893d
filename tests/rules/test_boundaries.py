"""Month ends in the pack's zone: a flag belongs to the month of its event in America/New_York."""
from compliance import warehouse
from compliance.policy.pack import load_pack
from compliance.rules.catalog import load_rules
from compliance.rules.engine import evaluate_month, load_sample

ICE = {"account_id": "ice1", "agency": "ICE ERO Philadelphia", "agency_kind": "federal_immigration",
       "access_start": "2010-01-01", "access_end": None}


def flags_by_month(tables: dict, months: list[str], categories: set[str]) -> dict:
    pack = load_pack()
    rules = [r for r in load_rules() if r.category in categories]
    con = warehouse.memory()
    load_sample(con, tables)
    for month in months:
        evaluate_month(con, pack, month, rules)
    result = {}
    for month, subject in con.execute("SELECT month, subject_id FROM flags ORDER BY 1, 2").fetchall():
        result.setdefault(month, []).append(subject)
    con.close()
    return result


def event(event_id: str, ts: str) -> dict:
    return {"event_id": event_id, "event_ts": ts, "account_id": "ice1", "client_addr": "10.9.0.1",
            "action": "search", "subject_person_id": None, "search_terms": "x", "case_number": "X",
            "purpose_code": "C", "result_count": 1, "outcome": "success", "sequence_no": 1}


def test_late_evening_local_is_the_old_month_though_utc_says_next():
    # 23:30 EDT on 30 September is 03:30 UTC on 1 October.
    flagged = flags_by_month({"accounts": [ICE], "access_events": [event("AE1", "2018-10-01T03:30:00+00:00")]},
                             ["2018-09", "2018-10"], {"access_outside_agreement"})
    assert flagged == {"2018-09": ["AE1"]}


def test_first_minute_of_the_month_local_is_the_new_month():
    flagged = flags_by_month({"accounts": [ICE], "access_events": [event("AE2", "2018-11-01T04:00:00+00:00")]},
                             ["2018-10", "2018-11"], {"access_outside_agreement"})
    assert flagged == {"2018-11": ["AE2"]}


def test_a_hold_judged_at_eligibility_on_the_last_evening_of_march():
    tables = {
        "detainers": [{"detainer_id": "D1", "person_id": "P1", "booking_id": "B1",
                       "received_at": "2016-03-20T09:00:00-04:00", "form_type": "I-247D",
                       "attachments": "judicial_warrant", "action": "held",
                       "action_at": "2016-04-01T09:00:00-04:00"}],
        "custody_events": [{"event_id": "E1", "person_id": "P1", "booking_id": "B1",
                            "event_type": "release_ordered", "event_ts": "2016-03-31T23:30:00-04:00"}],
    }
    assert flags_by_month(tables, ["2016-03", "2016-04"], {"ineligible_hold"}) == {"2016-03": ["D1"]}


def test_reevaluating_a_month_replaces_only_that_months_flags():
    pack = load_pack()
    rules = [r for r in load_rules() if r.category == "access_outside_agreement"]
    con = warehouse.memory()
    load_sample(con, {"accounts": [ICE], "access_events": [event("AE1", "2018-09-10T12:00:00-04:00"),
                                                            event("AE2", "2018-10-10T12:00:00-04:00")]})
    evaluate_month(con, pack, "2018-09", rules)
    evaluate_month(con, pack, "2018-10", rules)
    before = warehouse.table_checksums(con)
    evaluate_month(con, pack, "2018-09", rules)
    assert warehouse.table_checksums(con) == before
    assert con.execute("SELECT month, count(*) FROM flags GROUP BY 1 ORDER BY 1").fetchall() == [
        ("2018-09", 1), ("2018-10", 1)]

"""What the review web app's tests share besides fixtures (those are in conftest.py): the month,
the flags of the published version, the accounts and their passwords."""
from __future__ import annotations

import re

MONTH = "2016-03"
FLAG_COUNT = 16
PASSWORDS = {"vera": "viewer-pass-1", "rita": "reviewer-pass-1", "abe": "approver-pass-1"}
ROLES = {"vera": "viewer", "rita": "reviewer", "abe": "approver"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def flag_id(index: int) -> str:
    return f"f{index:02d}"


def flag_row(index: int) -> dict:
    """Even flags: holds of detainers D<i>; odd flags: off-hours lookups by account A1 or A2.
    Each on its own day: 2016-03-01 + index // 2."""
    day = f"2016-03-{1 + index // 2:02d}"
    if index % 2 == 0:
        return {"flag_id": flag_id(index), "rule_id": "ineligible_hold", "rule_version": "test",
                "category": "ineligible_hold", "severity": "high", "month": MONTH, "subject_type": "detainer",
                "subject_id": f"D{index}", "account_id": None, "person_id": f"P{index}",
                "event_ts": f"{day}T17:00:00+00:00", "summary": f"held without a qualifying conviction (D{index})",
                "evidence": {"reason": "no qualifying conviction", "policy_citation": "EO 5-16 § 1",
                             "act_judged_at": f"{day} 17:00:00+00",
                             "charges_considered": [{"citation": "18 Pa.C.S. § 3921", "offense": "Theft",
                                                     "grade": "M1", "disposition": "guilty",
                                                     "disposition_date": "2015-11-02",
                                                     "assessment": "a misdemeanor does not qualify"}],
                             "source_lines": [{"file": "landing/detainers/detainers_2016-03.csv",
                                               "line": index + 2}]}}
    account = "A1" if index % 4 == 1 else "A2"
    return {"flag_id": flag_id(index), "rule_id": "off_hours", "rule_version": "test", "category": "off_hours",
            "severity": "medium", "month": MONTH, "subject_type": "access_event", "subject_id": f"E{index}",
            "account_id": account, "person_id": f"P{index}", "event_ts": f"{day}T07:30:00+00:00",
            "summary": f"a view at 02:30 by {account}",
            "evidence": {"reason": "The view happened outside work hours (America/New_York).",
                         "search_terms": f"SMITH {index}", "subject_person_id": f"P{index}",
                         "policy_citation": "FBI CJIS Security Policy § 5.4.3",
                         "source_lines": [{"file": "landing/access_events/pars_2016-03.csv", "line": index}]}}

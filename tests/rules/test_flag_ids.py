"""Flag ids are stable across versions: the `flag_id` macro (sql/views/00_macros.sql) gives the id
of docs/data-contract.md, "Flags", computed here independently in Python."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from compliance.policy.pack import load_pack
from compliance.rules.views import install_views
from compliance.warehouse import memory


def expected_id(rule: str, subject_type: str, subject_id: str, window_start: dt.datetime | None) -> str:
    window = window_start.astimezone(dt.timezone.utc).isoformat() if window_start else ""
    return hashlib.sha256("|".join([rule, subject_type, subject_id, window]).encode()).hexdigest()[:20]


@pytest.mark.parametrize("window", [None, "2018-08-01 12:00:00+00", "2018-08-01 12:00:00.5+00",
                                    "2018-08-01 08:00:00.000123-04", "2016-11-06 01:30:00-05"])
def test_the_macro_gives_the_contract_id(window):
    con = memory()
    install_views(con, load_pack())
    got, instant = con.execute("SELECT flag_id('name_fishing', 'account', 'A1', CAST(? AS TIMESTAMPTZ)), "
                               "CAST(? AS TIMESTAMPTZ)", [window, window]).fetchone()
    con.close()
    assert got == expected_id("name_fishing", "account", "A1", instant)

"""Policy packs: loading, linting, the effective-dated versions as tables."""
import shutil
from pathlib import Path

import pytest
import yaml

from compliance.config import DEFAULT_POLICY
from compliance.errors import ComplianceError
from compliance.policy.pack import check_pack, install, load_pack
from compliance.warehouse import memory


def copy_pack(tmp_path: Path, change) -> Path:
    for name in DEFAULT_POLICY.parent.iterdir():
        shutil.copy(name, tmp_path / name.name)
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    change(data)
    path = tmp_path / "pack.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_philadelphia_pack_is_sound():
    assert check_pack(load_pack()) == []


def test_versions_become_contiguous_local_periods():
    con = memory()
    install(con, load_pack())
    rows = con.execute("""
        SELECT version_id, strftime(timezone('America/New_York', effective_from), '%Y-%m-%d %H:%M'),
               strftime(timezone('America/New_York', effective_to), '%Y-%m-%d %H:%M')
        FROM policy_versions ORDER BY effective_from""").fetchall()
    assert rows == [("pre-eo-1-14", "1900-01-01 00:00", "2014-04-16 00:00"),
                    ("eo-1-14", "2014-04-16 00:00", "2015-12-22 00:00"),
                    ("dec-2015-order", "2015-12-22 00:00", "2016-01-04 00:00"),
                    ("eo-5-16", "2016-01-04 00:00", None)]
    assert con.execute("""SELECT strftime(timezone('America/New_York', access_until), '%Y-%m-%d %H:%M')
                          FROM policy_agreements""").fetchall() == [("2018-09-01 00:00",)]


def test_policy_changes_are_each_new_version_and_each_agreements_end_by_its_first_day():
    import datetime as dt

    changes = [(c["day"], c["title"]) for c in load_pack().policy_changes()]
    assert changes == [(dt.date(2014, 4, 16), "Executive Order No. 1-14 (Nutter)"),
                       (dt.date(2015, 12, 22), "December 2015 order on detainer and notification requests (Nutter)"),
                       (dt.date(2016, 1, 4), "Executive Order No. 5-16 (Kenney)"),
                       # access_until 2018-09-01T00:00 is exclusive: the first day without access.
                       (dt.date(2018, 9, 1), "ICE's access to PARS ends")]


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("timezone"), "field timezone: missing"),
    (lambda d: d.update(timezone="Mars/Olympus"), "unknown time zone"),
    (lambda d: d["versions"].reverse(), "strictly increasing"),
    (lambda d: d["versions"][1].update(citations=[]), "needs a citation"),
    (lambda d: d["versions"][1]["notice"].update(when_not_met="maybe"), "violation or needs_review"),
    (lambda d: d["conviction"].update(offense_table="missing.csv"), "file not found: missing.csv"),
    (lambda d: d["agreements"][0].pop("citation"), "agreements[0].citation: missing"),
    (lambda d: d["service_accounts"].append({"agency_kind": "service", "account_id": "svc_x"}),
     "service_accounts[2]: name exactly one of account_id or agency_kind"),
    (lambda d: d["service_accounts"].append({"agency_kind": "service"}), "service_accounts[2].agency_kind: service has an earlier entry"),
    (lambda d: d["service_accounts"][1].update(hosts="10.20.5.11"), "service_accounts[1].hosts: must be a list of texts"),
    (lambda d: d["service_accounts"][1].update(host=["10.20.5.11"]), "service_accounts[1].host: unknown"),
    (lambda d: d["service_accounts"][1].update(person_read_windows=["1:00-5:00"]),
     "service_accounts[1].person_read_windows: '1:00-5:00' is not HH:MM-HH:MM"),
    (lambda d: d["report_sources"][1].update(delivers="hourly"),
     "report_sources[1].delivers: must be one of daily, weekdays, business_days, monthly"),
    (lambda d: d["report_sources"][3].pop("source"), "report_sources[3].source: an access_events entry names its source"),
    (lambda d: d["report_sources"][0].update(source="ice"), "report_sources[0].source: only an access_events entry"),
    (lambda d: d["report_sources"][2].update(table="bookings"), "report_sources[2].table: must be one of"),
    (lambda d: d["report_sources"][2].pop("why"), "report_sources[2].why: missing"),
    (lambda d: d["report_sources"][4].update(name="pars_app"), "report_sources[4].name: pars_app has an earlier entry"),
    (lambda d: d["report_sources"][4].update(deliver="daily"), "report_sources[4].deliver: unknown"),
])
def test_lint_names_the_problem(tmp_path, change, message):
    path = copy_pack(tmp_path, change)
    with pytest.raises(ComplianceError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_pack(path)


def test_policy_check_command(tmp_path, compliance_cli):
    good = compliance_cli(tmp_path, "policy", "check", str(DEFAULT_POLICY))
    assert good.returncode == 0 and good.stdout.strip().endswith("ok (4 versions, pack philadelphia "
                                                                  f"{load_pack().version})")
    bad = compliance_cli(tmp_path, "policy", "check", str(copy_pack(tmp_path, lambda d: d.pop("versions"))))
    assert bad.returncode == 1 and "field versions: missing" in bad.stderr


def test_the_service_account_entries_resolve_per_account():
    con = memory()
    con.execute("""INSERT INTO accounts (account_id, agency, agency_kind) VALUES
        ('svc_pars_etl', 'OIT', 'service'), ('svc_other', 'OIT', 'service'), ('ppd1', 'PPD', 'city')""")
    from compliance.rules.views import install_views

    install_views(con, load_pack())
    rows = con.execute("""SELECT account_id, exempt_from, hosts, applications, person_read_windows
                          FROM service_account_terms ORDER BY account_id""").fetchall()
    # The account's own entry adds its allowances; the kind's exemptions stay.
    assert rows == [("svc_other", ["bulk_access", "missing_purpose"], None, None, None),
                    ("svc_pars_etl", ["bulk_access", "missing_purpose"], ["10.20.5.11"], ["pars-etl"],
                     ["01:00-05:00"])]


@pytest.mark.parametrize(("exempt", "message"), [
    ("no_such_rule", "service_accounts[0].exempt_from: no rule 'no_such_rule' in sql/rules"),
    ("service_account_misuse", "no account is exempt from service_account_misuse"),
])
def test_policy_check_refuses_an_exemption_from_an_unknown_or_the_judging_rule(tmp_path, compliance_cli,
                                                                              exempt, message):
    path = copy_pack(tmp_path, lambda d: d["service_accounts"][0]["exempt_from"].append(exempt))
    bad = compliance_cli(tmp_path, "policy", "check", str(path))
    assert bad.returncode == 1 and message in bad.stderr

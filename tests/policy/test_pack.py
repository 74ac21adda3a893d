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


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("timezone"), "field timezone: missing"),
    (lambda d: d.update(timezone="Mars/Olympus"), "unknown time zone"),
    (lambda d: d["versions"].reverse(), "strictly increasing"),
    (lambda d: d["versions"][1].update(citations=[]), "needs a citation"),
    (lambda d: d["versions"][1]["notice"].update(when_not_met="maybe"), "violation or needs_review"),
    (lambda d: d["conviction"].update(offense_table="missing.csv"), "file not found: missing.csv"),
    (lambda d: d["agreements"][0].pop("citation"), "agreements[0].citation: missing"),
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

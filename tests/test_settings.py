"""Where a DAG run finds its files (`compliance.settings`), and the home they lead to
(`compliance.config.resolve_home`)."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest

from compliance.config import resolve_home
from compliance.errors import ComplianceError
from compliance.settings import resolve_locations


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    # Variable.get may import Airflow: keep it off any real AIRFLOW_HOME.
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow-home"))
    for name in ("COMPLIANCE_HOME", "COMPLIANCE_LANDING", "COMPLIANCE_POLICY",
                 "AIRFLOW_VAR_COMPLIANCE_HOME", "AIRFLOW_VAR_COMPLIANCE_LANDING",
                 "AIRFLOW_VAR_COMPLIANCE_POLICY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_locations_from_environment(clean_env, tmp_path):
    clean_env.setenv("COMPLIANCE_HOME", str(tmp_path / "home"))
    clean_env.setenv("COMPLIANCE_LANDING", str(tmp_path / "landing"))
    where = resolve_locations()
    assert where.home == tmp_path / "home"
    assert where.landing == tmp_path / "landing"
    assert where.policy is None


def test_airflow_variable_wins_over_environment(clean_env, tmp_path):
    # AIRFLOW_VAR_<NAME> is Airflow's environment-variable secrets backend for Variable <name>.
    clean_env.setenv("COMPLIANCE_HOME", str(tmp_path / "env-home"))
    clean_env.setenv("AIRFLOW_VAR_COMPLIANCE_HOME", str(tmp_path / "variable-home"))
    clean_env.setenv("COMPLIANCE_POLICY", "   ")
    where = resolve_locations()
    assert where.home == tmp_path / "variable-home"
    assert where.landing is None
    assert where.policy is None


# --- the home: created owner-only, never re-permissioned (docs/operations.md, "Configuration") ----

def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_home_and_its_new_parents_are_created_owner_only(tmp_path):
    home = resolve_home(tmp_path / "srv" / "compliance")
    assert home == tmp_path / "srv" / "compliance"
    assert mode_of(home) == 0o700 and mode_of(tmp_path / "srv") == 0o700


def test_an_owner_only_home_is_used_as_it_is(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "kept.txt").write_text("x")
    assert resolve_home(home) == home and mode_of(home) == 0o700
    assert (home / "kept.txt").read_text() == "x"


@pytest.mark.parametrize("mode", [0o1777, 0o755, 0o750, 0o701], ids=lambda mode: f"{mode:04o}")
def test_a_home_open_to_others_is_refused_and_left_as_it_was(tmp_path, mode):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)
    with pytest.raises(ComplianceError) as error:
        resolve_home(shared)
    message = str(error.value)
    assert message == (f"{shared}: the home folder is open to group or others (mode {mode:04o}) and would "
                       f"hold personal data: make it owner-only (chmod 700 {shared}) or choose another folder")
    assert mode_of(shared) == mode


def test_a_home_through_a_symlink_is_judged_by_its_target_and_never_chmodded(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    link = tmp_path / "link"
    link.symlink_to(shared, target_is_directory=True)
    with pytest.raises(ComplianceError, match=r"mode 1777"):
        resolve_home(link)
    assert mode_of(shared) == 0o1777
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    link.unlink()
    link.symlink_to(private, target_is_directory=True)
    assert resolve_home(link) == private


def test_the_environment_home_gets_the_same_check(clean_env, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    clean_env.setenv("COMPLIANCE_HOME", str(shared))
    with pytest.raises(ComplianceError, match="chmod 700"):
        resolve_home()
    assert mode_of(shared) == 0o777


def test_a_home_that_is_a_file_is_one_clear_error(tmp_path):
    path = tmp_path / "home"
    path.write_text("not a folder")
    with pytest.raises(ComplianceError) as error:
        resolve_home(path)
    assert str(error.value) == (f"{path}: the home is not a folder: give a folder, or a path that does "
                                "not exist yet")

"""Where a DAG run finds its files (`compliance.settings`)."""
from __future__ import annotations

import pytest

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

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import SMTP_CONN_ID, Inbox, free_port, smtp_connection

# Nothing in the tests may phone home or read a user's Airflow.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("COMPLIANCE_LOCK_WAIT", "5")


@pytest.fixture(scope="session", autouse=True)
def signing_key(tmp_path_factory) -> Path:
    """Reports built by the tests are signed with a key of the session's own, never the user's
    (compliance/reports/signing.py); Airflow runs get it too (compliance/airflow_local.py)."""
    path = tmp_path_factory.mktemp("signing") / "signing-key.pem"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COMPLIANCE_SIGNING_KEY", str(path))
        yield path


@pytest.fixture
def con():
    """An in-memory warehouse; every batch loaded in the test must reconcile at the end."""
    from compliance import warehouse
    from compliance.quality.reconcile import batch_discrepancies

    connection = warehouse.memory()
    yield connection
    assert batch_discrepancies(connection) == []
    connection.close()


@pytest.fixture
def home(tmp_path):
    """A warehouse home; if the test created its warehouse, every batch must reconcile at the end."""
    from compliance import warehouse
    from compliance.config import warehouse_path
    from compliance.quality.reconcile import batch_discrepancies

    path = tmp_path / "home"
    yield path
    if warehouse_path(path).exists():
        with warehouse.connect(path, read_only=True) as connection:
            assert batch_discrepancies(connection) == []


@pytest.fixture(scope="session")
def compliance_cli():
    """Run `compliance --home HOME ARGS...` as a user would, in a subprocess."""
    def run(home: Path, *args: str, timeout: float = 600, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "compliance.cli", "--home", str(home), *args],
                              capture_output=True, text=True, timeout=timeout, input=input)
    return run


@pytest.fixture
def smtp_server(monkeypatch):
    """A real SMTP server on a free loopback port, reachable as the Airflow connection SMTP_CONN_ID."""
    from aiosmtpd.controller import Controller

    inbox = Inbox(free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    monkeypatch.setenv(f"AIRFLOW_CONN_{SMTP_CONN_ID.upper()}", smtp_connection(inbox.port))
    yield inbox
    controller.stop()


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory) -> Path:
    """One AIRFLOW_HOME for every `airflow dags test` run of the session: a migrated SQLite metadata
    DB (about 10 s to build) and the one-slot warehouse pool, checked as a deployment must have it."""
    import json

    from compliance.airflow_local import POOL, SETUP_TIMEOUT, airflow_cli, explain, prepare_airflow_home

    home = tmp_path_factory.mktemp("airflow-home")
    prepare_airflow_home(home)
    proc = airflow_cli(home, "pools", "get", POOL, "--output", "json", timeout=SETUP_TIMEOUT)
    assert proc.returncode == 0, explain(proc)
    pools = json.loads(proc.stdout[proc.stdout.index("["):])
    assert [(p["pool"], int(p["slots"])) for p in pools] == [(POOL, 1)]
    return home

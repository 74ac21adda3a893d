import os
import subprocess
import sys
from pathlib import Path

import pytest

# Nothing in the tests may phone home or read a user's Airflow.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("COMPLIANCE_LOCK_WAIT", "5")


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
    def run(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "compliance.cli", "--home", str(home), *args],
                              capture_output=True, text=True, timeout=timeout)
    return run

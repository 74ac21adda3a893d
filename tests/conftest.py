import os
import subprocess
import sys
from pathlib import Path

import pytest

# Nothing in the tests may phone home or read a user's Airflow.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("COMPLIANCE_LOCK_WAIT", "5")


@pytest.fixture(scope="session")
def compliance_cli():
    """Run `compliance --home HOME ARGS...` as a user would, in a subprocess."""
    def run(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "compliance.cli", "--home", str(home), *args],
                              capture_output=True, text=True, timeout=timeout)
    return run

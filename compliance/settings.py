"""Where an Airflow run finds its files, and the schedule's fixed names.

Cheap to import (standard library only at module level): the DAG files in `dags/` import this
module at parse time, and the DAG processor re-parses them every few seconds. Airflow itself is
imported lazily, inside `setting`, and only there.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The zone the DAGs are scheduled in, and in which a run's report month is chosen.
SCHEDULE_TZ = "America/New_York"
# DuckDB allows one writer process per file: every task that opens the warehouse runs in this
# one-slot pool.
WAREHOUSE_POOL = "compliance_warehouse"

# How often the monthly DAG looks for the IG's sign-off, and how long it waits before it alerts
# (docs/operations.md, "Sign-off"). Read at parse time, so from the environment only.
SIGNOFF_POKE_SECONDS = float(os.environ.get("COMPLIANCE_SIGNOFF_POKE_SECONDS") or 15 * 60)
SIGNOFF_TIMEOUT_HOURS = float(os.environ.get("COMPLIANCE_SIGNOFF_TIMEOUT_HOURS") or 20 * 24)

# Airflow Variable name -> environment variable used as its default.
SETTINGS = {
    "compliance_home": "COMPLIANCE_HOME",
    "compliance_landing": "COMPLIANCE_LANDING",
    "compliance_policy": "COMPLIANCE_POLICY",
}


@dataclass(frozen=True)
class Locations:
    """Plain values a DAG task hands to `compliance.pipeline`."""

    home: Path | None
    landing: Path | None
    policy: Path | None


def setting(variable: str, env: str) -> str | None:
    """Airflow Variable `variable` if set, else environment variable `env`, else None.

    Only call this at run time (inside a task or a callback), never at DAG parse time: a Variable
    lookup at parse time costs a round trip on every parse of the file.
    """
    default = os.environ.get(env) or None
    try:
        from airflow.sdk import Variable

        value = Variable.get(variable, default=default)
    except Exception:  # outside a task (unit tests, the CLI) there is nothing to ask
        value = default
    value = str(value).strip() if value is not None else ""
    return value or None


def resolve_locations() -> Locations:
    """Warehouse home, landing folder and policy pack for this run (Variables win over env)."""
    values = {variable: setting(variable, env) for variable, env in SETTINGS.items()}

    def path(key: str) -> Path | None:
        return Path(values[key]).expanduser() if values[key] else None

    return Locations(home=path("compliance_home"), landing=path("compliance_landing"),
                     policy=path("compliance_policy"))

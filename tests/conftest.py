import os

# Nothing in the tests may phone home or read a user's Airflow.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("COMPLIANCE_LOCK_WAIT", "5")

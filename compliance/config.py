"""Where things live: the warehouse home, the repository's SQL, suites and policy packs."""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = REPO_ROOT / "sql"
SCHEMA_DIR = SQL_DIR / "schema"
RULES_DIR = SQL_DIR / "rules"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
POLICIES_DIR = REPO_ROOT / "policies"
DEFAULT_POLICY = POLICIES_DIR / "philadelphia.yaml"


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    """--home, else COMPLIANCE_HOME, else `.compliance/` in the checkout (ignored by git)."""
    chosen = home or os.environ.get("COMPLIANCE_HOME") or (REPO_ROOT / ".compliance")
    path = Path(chosen).expanduser().resolve()
    # The warehouse and reports hold personal data: owner-only from the first byte.
    old = os.umask(0o077)
    try:
        path.mkdir(parents=True, exist_ok=True)
    finally:
        os.umask(old)
    path.chmod(0o700)
    return path


def warehouse_path(home: Path) -> Path:
    return home / "warehouse.duckdb"


def reports_dir(home: Path) -> Path:
    return home / "reports"


"""Where things live: the warehouse home, the repository's SQL, suites and policy packs."""
import contextlib
import os
import stat
from pathlib import Path

from compliance.errors import ComplianceError

REPO_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = REPO_ROOT / "sql"
SCHEMA_DIR = SQL_DIR / "schema"
RULES_DIR = SQL_DIR / "rules"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
POLICIES_DIR = REPO_ROOT / "policies"
DEFAULT_POLICY = POLICIES_DIR / "philadelphia.yaml"


@contextlib.contextmanager
def owner_only():
    """Whatever this process (and its children) create meanwhile is owner-only (0700 folders,
    0600 files): the umask, not a chmod after the fact, so no byte is ever readable by others."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def owner_only_folder(path: Path, role: str) -> Path:
    """`path` as a folder that holds personal data: created owner-only when it does not exist.

    An existing folder is used as it is and never re-permissioned: it may be a folder others rely
    on (a shared 1777 one, say), so one open to group or others is refused instead.
    """
    with owner_only():
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            pass
        except OSError as exc:
            raise ComplianceError(f"cannot create the {role} folder: {exc.strerror}", path=str(path)) from None
    if not path.is_dir():
        raise ComplianceError(f"the {role} is not a folder: give a folder, or a path that does not exist yet",
                              path=str(path))
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ComplianceError(
            f"the {role} folder is open to group or others (mode {mode:04o}) and would hold personal "
            f"data: make it owner-only (chmod 700 {path}) or choose another folder", path=str(path))
    return path


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    """--home, else COMPLIANCE_HOME, else `.compliance/` in the checkout (ignored by git), as an
    owner-only folder (`owner_only_folder`)."""
    chosen = home or os.environ.get("COMPLIANCE_HOME") or (REPO_ROOT / ".compliance")
    return owner_only_folder(Path(chosen).expanduser().resolve(), "home")


def warehouse_path(home: Path) -> Path:
    return home / "warehouse.duckdb"


def reports_dir(home: Path) -> Path:
    return home / "reports"

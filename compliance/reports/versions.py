"""Report versions: `<home>/reports/<month>/v<N>/`, never overwritten, and `latest` pointing at
the newest one.

A version is built in a hidden staging folder and renamed into place when complete, so a reader
never sees half a version, and `latest` is swapped atomically. Everything is owner-only (0700
folders, 0600 files): reports hold personal data.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from compliance.config import reports_dir
from compliance.errors import ComplianceError

LATEST = "latest"
MANIFEST = "manifest.json"
VERSION_NAME = re.compile(r"^v([1-9][0-9]*)$")


@contextlib.contextmanager
def owner_only():
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def month_dir(home: Path, month: str) -> Path:
    return reports_dir(Path(home)) / month


def version_numbers(folder: Path) -> list[int]:
    if not folder.is_dir():
        return []
    return sorted(int(m.group(1)) for p in folder.iterdir()
                  if p.is_dir() and not p.is_symlink() and (m := VERSION_NAME.match(p.name)))


def latest_version(folder: Path) -> Path | None:
    numbers = version_numbers(folder)
    return folder / f"v{numbers[-1]}" if numbers else None


def read_manifest(version_dir: Path) -> dict:
    path = version_dir / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ComplianceError(f"cannot read the version manifest: {exc}", path=str(path)) from None


def resolve(home: Path, month: str, version: str | None = None) -> Path:
    """The folder of `version` (e.g. "v2") of the month's reports, or of the latest one."""
    folder = month_dir(home, month)
    chosen = folder / version if version else latest_version(folder)
    if chosen is None or not (chosen / MANIFEST).is_file():
        raise ComplianceError(f"no report {version or 'version'} for {month} yet: run "
                              f"`compliance report --month {month}` first", path=str(folder))
    return chosen


def staging(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return Path(tempfile.mkdtemp(prefix=".building-", dir=folder))


def discard(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def publish(staged: Path, folder: Path, number: int) -> Path:
    """Rename the staged version to v<number> and point `latest` at it."""
    target = folder / f"v{number}"
    try:
        staged.rename(target)
    except OSError as exc:
        discard(staged)
        raise ComplianceError(f"cannot publish report version v{number} ({exc.strerror}); "
                              "another build may have published it meanwhile: re-run",
                              path=str(target)) from None
    link = folder / f".{LATEST}-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    link.symlink_to(target.name, target_is_directory=True)
    os.replace(link, folder / LATEST)
    return target

"""Report versions: `<home>/reports/<month>/v<N>/`, never overwritten, and `latest` pointing at
the newest one.

A version is built in a hidden staging folder and renamed into place when complete, so a reader
never sees half a version, and `latest` is swapped atomically; a staging folder a killed build left
behind is removed by the next build. Everything is owner-only (0700 folders, 0600 files): reports
hold personal data.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from compliance.config import owner_only, reports_dir
from compliance.errors import ComplianceError

LATEST = "latest"
MANIFEST = "manifest.json"
VERSION_NAME = re.compile(r"^v([1-9][0-9]*)$")
BUILDING = ".building-"
# The staging folders this process builds in, each with the descriptor that holds its lock.
_building: dict[Path, int] = {}


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
    """A new hidden folder of `folder` to build a version in, locked while this process builds.

    A build killed before it published or discarded (kill -9, a lost machine, a task timeout) leaves
    its staging folder behind, with the personal data it held; its lock went with the process, so
    the next build removes it (`remove_abandoned_builds`) before it starts its own.
    """
    with owner_only():
        folder.mkdir(parents=True, exist_ok=True)
        remove_abandoned_builds(folder.parent)
        while True:
            staged = Path(tempfile.mkdtemp(prefix=BUILDING, dir=folder))
            handle = os.open(staged, os.O_RDONLY | os.O_DIRECTORY)
            fcntl.flock(handle, fcntl.LOCK_SH)
            # Another build may have taken the folder for abandoned between its creation and the
            # lock: then it is gone, and this build makes another.
            with contextlib.suppress(FileNotFoundError):
                if os.stat(staged).st_ino == os.fstat(handle).st_ino:
                    _building[staged] = handle
                    return staged
            os.close(handle)


def remove_abandoned_builds(reports: Path) -> None:
    """Remove every month's staging folder under `reports` that no live build holds."""
    for staged in sorted(reports.glob(f"*/{BUILDING}*")):
        try:
            handle = os.open(staged, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:  # gone meanwhile, or not a folder: nothing of a build
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a live build holds it (or the file system cannot tell): left alone
            os.close(handle)
            continue
        shutil.rmtree(staged, ignore_errors=True)
        os.close(handle)


def _release(staged: Path) -> None:
    handle = _building.pop(staged, None)
    if handle is not None:
        os.close(handle)


def discard(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    _release(path)


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
    _release(staged)
    link = folder / f".{LATEST}-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    link.symlink_to(target.name, target_is_directory=True)
    os.replace(link, folder / LATEST)
    return target

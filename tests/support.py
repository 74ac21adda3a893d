"""Helpers shared across test folders (tests/ is on pytest's pythonpath)."""
import os
import shutil

import pytest

# The Philadelphia pack's zone (policies/philadelphia.yaml): the month bounds tests reason in.
PACK_TZ = "America/New_York"


def skip_or_fail(reason: str) -> None:
    """A missing server or binary skips on a developer's machine; in CI (CI=true) it fails."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI installs it through .ci/apt-packages.txt)")
    pytest.skip(reason)


def require_binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        skip_or_fail(f"{name} is not installed")
    return path

"""Helpers shared across test folders (tests/ is on pytest's pythonpath)."""
import os
import shutil
from pathlib import Path

import pytest

# The Philadelphia pack's zone (policies/philadelphia.yaml): the month bounds tests reason in.
PACK_TZ = "America/New_York"

# Canonical headers of two landing tables, for files the tests write.
DETAINER_HEADER = ("detainer_id,person_id,booking_id,received_at,form_type,attachments,action,"
                   "action_at,notice_sent_at,judicial_warrant_signed_by")
ACCESS_HEADER = ("event_id,event_ts,account_id,client_addr,action,subject_person_id,search_terms,"
                 "case_number,purpose_code,result_count,outcome,sequence_no")


def write(path: Path, content: str | bytes) -> Path:
    """A file written byte for byte (its folders made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


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

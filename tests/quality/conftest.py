"""Shared helpers for the data-quality tests: files written byte for byte, an in-memory warehouse
whose books must balance when the test ends."""
from pathlib import Path

import pytest

from compliance import warehouse
from compliance.config import warehouse_path
from compliance.quality.reconcile import batch_discrepancies

DETAINER_HEADER = ("detainer_id,person_id,booking_id,received_at,form_type,attachments,action,"
                   "action_at,notice_sent_at,judicial_warrant_signed_by")
ACCESS_HEADER = ("event_id,event_ts,account_id,client_addr,action,subject_person_id,search_terms,"
                 "case_number,purpose_code,result_count,outcome,sequence_no")


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


@pytest.fixture
def con():
    """An in-memory warehouse; every batch loaded in the test must reconcile at the end."""
    connection = warehouse.memory()
    yield connection
    assert batch_discrepancies(connection) == []
    connection.close()


@pytest.fixture
def home(tmp_path):
    """A warehouse home; if the test created its warehouse, every batch must reconcile at the end."""
    path = tmp_path / "home"
    yield path
    if warehouse_path(path).exists():
        with warehouse.connect(path, read_only=True) as connection:
            assert batch_discrepancies(connection) == []

"""The warehouse's resource bounds: every connection, the query sandbox included, runs within a
memory limit and spills into the owner-only home (docs/operations.md, "Memory and spill")."""
from __future__ import annotations

import stat

import pytest

from compliance import warehouse
from compliance.errors import ComplianceError


def settings(con) -> dict:
    return dict(con.execute("""SELECT name, value FROM duckdb_settings()
                               WHERE name IN ('memory_limit', 'temp_directory', 'threads')""").fetchall())


def test_a_connection_is_bounded_and_spills_inside_the_home(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_MEMORY_LIMIT", "300MB")
    monkeypatch.delenv("COMPLIANCE_TEMP_DIR", raising=False)
    home = tmp_path / "home"
    with warehouse.connect(home) as con:
        found = settings(con)
    assert found["memory_limit"] == "286.1 MiB"  # DuckDB reports 300 MB in MiB
    assert found["temp_directory"] == str(home.resolve() / "tmp")
    assert stat.S_IMODE((home / "tmp").stat().st_mode) == 0o700
    assert int(found["threads"]) == warehouse.usable_cores()


def test_the_default_limit_leaves_the_machine_room(monkeypatch, tmp_path):
    monkeypatch.delenv("COMPLIANCE_MEMORY_LIMIT", raising=False)
    monkeypatch.setenv("COMPLIANCE_TEMP_DIR", str(tmp_path / "spill"))
    megabytes = int(warehouse.default_memory_limit().removesuffix("MB"))
    assert 0 < megabytes <= 2048
    with warehouse.connect(tmp_path / "home") as con:
        assert settings(con)["temp_directory"] == str(tmp_path / "spill")


def test_a_bad_limit_is_one_line_naming_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLIANCE_MEMORY_LIMIT", "lots")
    with pytest.raises(ComplianceError) as error:
        with warehouse.connect(tmp_path / "home"):
            pass
    assert error.value.field == "COMPLIANCE_MEMORY_LIMIT" and "\n" not in str(error.value)


def test_the_query_sandbox_cannot_lift_its_bounds(tmp_path, monkeypatch, compliance_cli):
    monkeypatch.setenv("COMPLIANCE_MEMORY_LIMIT", "300MB")
    home = tmp_path / "home"
    with warehouse.connect(home):
        pass
    shown = compliance_cli(home, "query", "SELECT current_setting('memory_limit') AS m")
    assert shown.returncode == 0 and shown.stdout.splitlines() == ["m", "286.1 MiB"]
    lifted = compliance_cli(home, "query", "SET memory_limit = '20GB'")
    assert lifted.returncode != 0 and "configuration has been locked" in lifted.stderr
    outside = compliance_cli(home, "query", f"SELECT * FROM read_text('{tmp_path / 'secret.txt'}')")
    assert outside.returncode != 0 and "file system operations are disabled" in outside.stderr


def test_query_output_streams_every_row(tmp_path, compliance_cli):
    home = tmp_path / "home"
    with warehouse.connect(home):
        pass
    out = compliance_cli(home, "query", "SELECT range AS n FROM range(25000)")
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert lines[0] == "n" and len(lines) == 25001 and lines[-1] == "24999"

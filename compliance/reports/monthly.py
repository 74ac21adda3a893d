"""The monthly inspector-general report: one self-contained HTML file (no network fetches)."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, select_autoescape

from compliance.config import REPORT_SQL_DIR, REPO_ROOT, reports_dir
from compliance.months import month_bounds
from compliance.policy.pack import PolicyPack
from compliance.rules.engine import load_rules

TEMPLATES = Path(__file__).parent / "templates"


def _query(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> list[dict]:
    sql = (REPORT_SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    named = set(re.findall(r"\$(\w+)", sql))
    used = {k: v for k, v in params.items() if k in named}
    cursor = con.execute(sql, used)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def code_version() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=5, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        from importlib.metadata import version

        return version("compliance")


def report_data(con: duckdb.DuckDBPyConnection, month: str, pack: PolicyPack) -> dict:
    start, end = month_bounds(month, pack.timezone)
    params = {"month": month, "month_start": start, "month_end": end, "tz": pack.timezone}
    flags = _query(con, "flags_detail", params)
    for flag in flags:
        flag["evidence"] = json.loads(flag["evidence"]) if flag["evidence"] else {}
    validation = _query(con, "validation_results", params)
    rules = load_rules()
    return {
        "month": month,
        "pack": pack,
        "by_category": _query(con, "flags_by_category", params),
        "flags": flags,
        "coverage": _query(con, "coverage_tables", params),
        "days": _query(con, "coverage_days", params),
        "batches": _query(con, "batches_summary", params),
        "quarantine": _query(con, "quarantine_summary", params),
        "validation": validation,
        "validated": bool(validation),
        "incomplete": any(v["blocking"] and not v["success"] for v in validation),
        "rules": rules,
        "code_version": code_version(),
        "generated_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def render(data: dict) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    env.filters["pretty"] = lambda value: json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return env.get_template("monthly.html.j2").render(**data)


def build_monthly_report(con: duckdb.DuckDBPyConnection, home: Path, month: str, pack: PolicyPack) -> Path:
    """Write `<home>/reports/<month>/report.html` (owner-only) and return its path."""
    out_dir = reports_dir(home) / month
    old = os.umask(0o077)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / "report.html"
        path.write_text(render(report_data(con, month, pack)), encoding="utf-8")
    finally:
        os.umask(old)
    return path

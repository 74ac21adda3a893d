"""Who receives the monthly e-mails and through which SMTP connection, resolved when a task runs.

Cheap to import (standard library and `compliance.settings` only): the monthly DAG's delivery task
calls `resolve_delivery()` and hands the plain values to `compliance.pipeline.deliver`.

| Airflow Variable | environment default | meaning |
|---|---|---|
| `compliance_committee_recipients` | `COMPLIANCE_COMMITTEE_RECIPIENTS` | committee addresses, comma or semicolon separated |
| `compliance_ig_recipients` | `COMPLIANCE_IG_RECIPIENTS` | IG staff addresses |
| `compliance_alert_recipients` | `COMPLIANCE_ALERT_RECIPIENTS` | data engineers who get every alert (FAILED, STALE, INCOMPLETE, NO_DATA, ...) by e-mail |
| `compliance_smtp_conn_id` | `COMPLIANCE_SMTP_CONN_ID` | Airflow SMTP connection id (default `smtp_default`) |
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from compliance.settings import setting

DEFAULT_SMTP_CONN_ID = "smtp_default"


@dataclass(frozen=True)
class DeliverySettings:
    committee_to: list[str]
    ig_to: list[str]
    smtp_conn_id: str
    alert_to: list[str]

    @property
    def configured(self) -> bool:
        return bool(self.committee_to or self.ig_to)


def addresses(text: str | None) -> list[str]:
    return [a for a in re.split(r"\s*[,;]\s*", (text or "").strip()) if a]


def resolve_delivery() -> DeliverySettings:
    return DeliverySettings(
        committee_to=addresses(setting("compliance_committee_recipients", "COMPLIANCE_COMMITTEE_RECIPIENTS")),
        ig_to=addresses(setting("compliance_ig_recipients", "COMPLIANCE_IG_RECIPIENTS")),
        smtp_conn_id=setting("compliance_smtp_conn_id", "COMPLIANCE_SMTP_CONN_ID") or DEFAULT_SMTP_CONN_ID,
        alert_to=addresses(setting("compliance_alert_recipients", "COMPLIANCE_ALERT_RECIPIENTS")),
    )

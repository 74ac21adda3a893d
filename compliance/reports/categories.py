"""Plain-language names and explanations of the flag categories (DESIGN.md, "Flags"), for readers
who are not auditors: the committee summary shows them beside every count."""
from __future__ import annotations

from compliance.rules.catalog import CATEGORIES

# category -> (short name, what it means, in plain words)
PLAIN_LANGUAGE: dict[str, tuple[str, str]] = {
    "ineligible_hold": (
        "Held for ICE without a qualifying conviction",
        "Someone was kept in jail for immigration authorities, or handed over to them, although the "
        "city's policy allows that only after a conviction for a serious violent felony."),
    "ineligible_notice": (
        "Release date told to ICE without a qualifying conviction",
        "Immigration authorities were told when someone would be released, although the policy "
        "allows such a notice only after a conviction for a serious violent felony."),
    "no_judicial_warrant": (
        "Acted on an ICE request without a judge's warrant",
        "A hold, a release notice or a hand-over went ahead without a warrant signed by a judge. "
        "Forms issued by immigration officers, however named, are not judges' warrants."),
    "hold_over_limit": (
        "Held for ICE beyond the time limit",
        "Someone who was due to be released was kept for immigration authorities longer than the "
        "policy's limit."),
    "unrecorded_transfer": (
        "Hand-over to ICE missing from the detainer record",
        "The jail's custody log shows a hand-over to immigration authorities that the detainer "
        "record does not show, so counts built on detainer records alone would miss it."),
    "needs_review": (
        "Cases that need a person's judgement",
        "Cases the automatic checks cannot settle, for example an offense where it is unclear "
        "whether it involved violence, or records that are incomplete. Staff review each one."),
    "access_outside_agreement": (
        "Database use outside an account's permission",
        "The arrest database was used by an account after its access ended, before it began, or "
        "by an agency whose agreement had ended (immigration authorities' access ended on "
        "31 August 2018)."),
    "missing_purpose": (
        "Database searches with no stated reason",
        "A search of the arrest database recorded no purpose or case, so it cannot be tied to "
        "legitimate work."),
    "birthplace_search": (
        "Searches by birthplace or citizenship",
        "The database was searched by place of birth, nationality or citizenship, which points to "
        "immigration enforcement rather than police work."),
    "name_fishing": (
        "Many name searches without a case",
        "Many searches for people by name without a case to justify them, which suggests browsing "
        "rather than working a case."),
    "bulk_access": (
        "Very large look-ups",
        "An unusually large number of records was retrieved at once."),
    "volume_spike": (
        "Unusual surge in an account's activity",
        "An account's use of the database was far above its normal level."),
    "off_hours": (
        "Use outside working hours",
        "The database was used outside the account's working hours."),
    "non_arrest_subject": (
        "Look-ups of people with no arrest record",
        "Records were looked up about a person who has no arrest in the database."),
    "shared_account": (
        "One account used by several people",
        "Signs that one login was used by more than one person, for example from several places "
        "at once."),
    "failed_logins": (
        "Repeated failed log-ins",
        "Repeated failed attempts to log in to the database."),
    "unauthorized_write": (
        "Changes by a read-only account",
        "Records were added, changed or deleted by an account that may only read them."),
    "export": (
        "Data exported from the database",
        "Data was exported from the arrest database, so copies now exist outside it."),
    "log_gap": (
        "Gaps in the audit log",
        "Parts of the audit log are missing or silent, so some use of the database may be "
        "unrecorded."),
    "audit_tamper": (
        "Audit trail switched off or altered",
        "Auditing was turned off, or audit records were changed or deleted."),
}

SEVERITY_ORDER = ("critical", "high", "medium", "low", "informational")


def category_order(categories) -> list[str]:
    """DESIGN.md's order first, then any category it does not name, alphabetically."""
    known = [c for c in CATEGORIES if c in categories]
    return known + sorted(set(categories) - set(CATEGORIES))


def plain_name(category: str) -> str:
    return PLAIN_LANGUAGE.get(category, (category.replace("_", " ").capitalize(), ""))[0]


def plain_explanation(category: str) -> str:
    return PLAIN_LANGUAGE.get(category, ("", "No plain-language explanation has been written yet."))[1]

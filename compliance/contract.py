"""The landing-table contract (docs/data-contract.md): which columns must be present and which must be filled.

Column types come from the warehouse schema (sql/schema), so they are stated once.
"""

# table -> (required columns, columns that must be non-empty: ids and the main timestamp)
LANDING_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "accounts": (
        ("account_id", "agency", "agency_kind", "access_start", "access_end"),
        ("account_id", "access_start"),
    ),
    "account_map": (
        ("source", "db_user", "account_id"),
        ("source", "db_user", "account_id"),
    ),
    "arrests": (
        ("arrest_id", "person_id", "arrest_ts"),
        ("arrest_id", "person_id", "arrest_ts"),
    ),
    "charges": (
        ("charge_id", "person_id", "booking_id", "statute", "grade", "description", "disposition",
         "disposition_date"),
        ("charge_id", "person_id", "booking_id"),
    ),
    "detainers": (
        ("detainer_id", "person_id", "booking_id", "received_at", "form_type", "attachments", "action",
         "action_at"),
        ("detainer_id", "person_id", "booking_id", "received_at"),
    ),
    "custody_events": (
        ("event_id", "person_id", "booking_id", "event_type", "event_ts"),
        ("event_id", "person_id", "booking_id", "event_ts"),
    ),
    "access_events": (
        ("event_id", "event_ts", "account_id", "client_addr", "action", "subject_person_id",
         "search_terms", "case_number", "purpose_code", "result_count", "outcome", "sequence_no"),
        ("event_id", "event_ts", "account_id"),
    ),
}

# The column whose value identifies a row (duplicates are quarantined); None: no single id.
ID_COLUMN = {
    "accounts": "account_id",
    "account_map": None,
    "arrests": "arrest_id",
    "charges": "charge_id",
    "detainers": "detainer_id",
    "custody_events": "event_id",
    "access_events": "event_id",
}

# Each table's main timestamp: the one that places a row in a month.
MAIN_TIMESTAMP = {
    "accounts": "access_start",
    "account_map": None,
    "arrests": "arrest_ts",
    "charges": None,
    "detainers": "received_at",
    "custody_events": "event_ts",
    "access_events": "event_ts",
}

# The columns of an access event every source can fill: the required ones, then the ones a
# database audit log adds (docs/log-formats.md). A log adapter stages exactly these and its own
# columns, which are kept in `extra`.
ACCESS_EVENT_COLUMNS = LANDING_TABLES["access_events"][0] + (
    "source", "source_action", "statement", "objects", "session_id")

PROVENANCE_COLUMNS = ("extra", "batch_id", "source_line")

# Free text kept exactly as the source wrote it (no trimming): it is quoted as evidence.
VERBATIM_COLUMNS = frozenset({"statement", "search_terms"})

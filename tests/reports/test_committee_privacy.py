"""No identifier from the input reaches the committee: not its HTML, its PDF's text, nor its e-mail."""
from __future__ import annotations

import re

from compliance import pipeline, warehouse
from report_reading import pdf_text
from support import SMTP_CONN_ID

IDENTIFIER_COLUMNS = {
    "arrests": ("arrest_id", "person_id", "booking_id"),
    "charges": ("charge_id", "person_id", "booking_id"),
    "detainers": ("detainer_id", "person_id", "booking_id", "judicial_warrant_signed_by"),
    "custody_events": ("event_id", "person_id", "booking_id"),
    "access_events": ("event_id", "account_id", "client_addr", "subject_person_id", "search_terms",
                      "case_number", "session_id", "statement"),
    "accounts": ("account_id",),
    "account_map": ("db_user", "account_id"),
    "flags": ("flag_id", "subject_id", "account_id", "person_id"),
}
# Quoted values in search criteria: names, dates of birth, docket and DC numbers.
QUOTED = re.compile(r"'([^']+)'")


def identifiers(con) -> tuple[set[str], set[str]]:
    """(ids, names): every identifying value of the input, and the name-like words in searches."""
    ids, names = set(), set()
    for table, columns in IDENTIFIER_COLUMNS.items():
        for column in columns:
            for (value,) in con.execute(f'SELECT DISTINCT "{column}" FROM "{table}" '
                                        f'WHERE "{column}" IS NOT NULL').fetchall():
                ids.add(str(value))
                for quoted in QUOTED.findall(str(value)) if column == "search_terms" else ():
                    # Names are written as names (RAMIREZ, Ramirez); 'none' or 'any' are criteria.
                    is_name = quoted.isalpha() and (quoted.isupper() or quoted.istitle())
                    (names if is_name else ids).add(quoted)
    return {i for i in ids if len(i) >= 4}, {n for n in names if len(n) >= 3}


ALNUM = re.compile(r"[A-Za-z0-9]+")


def leaks(text: str, ids: set[str], names: set[str]) -> list[str]:
    """Identifiers found in `text`: a purely alphanumeric id as a whole token, any other id (with
    dashes, dots, spaces: bookings, addresses, SQL) anywhere; names as words."""
    tokens = set(ALNUM.findall(text))
    found = [i for i in ids if (i in tokens if i.isalnum() else i in text)]
    found += [n for n in names if n in tokens or n.capitalize() in tokens]
    return sorted(found)


def test_committee_outputs_carry_no_identifier(generated, smtp_server, tmp_path):
    with warehouse.connect(generated.home, read_only=True) as con:
        ids, names = identifiers(con)
    assert len(ids) > 10_000 and len(names) > 20  # the input really is full of identifiers
    files = generated.reports.files
    # Every edition: the English one and its Spanish translation.
    for edition, heading in (("committee", "Findings by kind"), ("committee_es", "Hallazgos por tipo")):
        html = files[f"{edition}_html"].read_text(encoding="utf-8")
        assert leaks(html, ids, names) == []
        pdf = pdf_text(files[f"{edition}_pdf"])
        assert heading in pdf and leaks(pdf, ids, names) == []

    # Signed off in a copy of the home: other tests re-run the shared one.
    import shutil

    home = shutil.copytree(generated.home, tmp_path / "home")
    pipeline.sign_off(home, generated.month, by="director")
    outcome = pipeline.deliver(home, generated.month, committee_to=["committee@example.org"],
                               ig_to=[], smtp_conn_id=SMTP_CONN_ID)
    assert outcome["committee"] == "sent"  # the signed-off edition
    [message] = smtp_server.messages
    parts = [f"{key}: {value}" for key, value in message.items()]
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if payload is None:
            continue
        parts.append(pdf_text(payload) if part.get_content_type() == "application/octet-stream"
                     or (part.get_filename() or "").endswith(".pdf") else payload.decode("utf-8"))
    assert any("Findings by kind" in p for p in parts), "the attachment's text was not read"
    assert any("Hallazgos por tipo" in p for p in parts), "the Spanish edition was not attached"
    for text in parts:
        assert leaks(text, ids, names) == []
    # The IG report of the same month does name them: the check above can find a leak.
    assert leaks(files["ig_html"].read_text(encoding="utf-8"), ids, names)

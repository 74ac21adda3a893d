-- Sign-offs: an approver's acceptance of one report version of a month, appended, never changed
-- (docs/review.md, "Sign-off"). `edition_sha256` is the sha256 of the signed-off edition's
-- manifest (`<version>/signed-off/signoff.json`), rendered with the reviews as they stood.
CREATE TABLE IF NOT EXISTS signoffs (
    seq SEQUENCE_COLUMN,
    month TEXT NOT NULL,
    version TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    signed_by TEXT NOT NULL,
    note TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    edition_sha256 TEXT NOT NULL,
    UNIQUE (month, version)
);

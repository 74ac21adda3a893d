-- The web app's accounts (docs/review.md, "The web app"): a name, a role and an argon2 hash of
-- the password; never the password itself.
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'reviewer', 'approver')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

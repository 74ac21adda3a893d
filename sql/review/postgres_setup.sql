-- The PostgreSQL store (COMPLIANCE_REVIEWS_DSN) after create_decisions.sql: append-only by trigger.
CREATE OR REPLACE FUNCTION decisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the review history is append-only: decisions are never %', lower(TG_OP) || 'd';
END $$;
CREATE OR REPLACE TRIGGER decisions_never_changed BEFORE UPDATE OR DELETE OR TRUNCATE ON decisions
FOR EACH STATEMENT EXECUTE FUNCTION decisions_append_only();

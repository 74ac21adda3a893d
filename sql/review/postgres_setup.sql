-- The PostgreSQL store (COMPLIANCE_REVIEWS_DSN) after the create_*.sql: decisions, sign-offs and
-- exceptions are append-only by trigger.
CREATE OR REPLACE FUNCTION review_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the review history is append-only: % are never %', TG_TABLE_NAME, lower(TG_OP) || 'd';
END $$;
CREATE OR REPLACE TRIGGER decisions_never_changed BEFORE UPDATE OR DELETE OR TRUNCATE ON decisions
FOR EACH STATEMENT EXECUTE FUNCTION review_append_only();
CREATE OR REPLACE TRIGGER signoffs_never_changed BEFORE UPDATE OR DELETE OR TRUNCATE ON signoffs
FOR EACH STATEMENT EXECUTE FUNCTION review_append_only();
CREATE OR REPLACE TRIGGER exceptions_never_changed BEFORE UPDATE OR DELETE OR TRUNCATE ON exceptions
FOR EACH STATEMENT EXECUTE FUNCTION review_append_only();

"""What a SQL statement from a database audit log does, as the access rules need it.

Each distinct normalised statement (`statement_hash`, sql/schema/002_statement_analysis.sql) is
parsed once with sqlglot and its facts are stored in `statement_analysis`; access events find them
by the same hash. Comments and the audit-switching commands are read from sqlglot's tokens, which
exist even for statements its parser cannot read (vendor commands such as `UNINSTALL SONAME`).
"""
from __future__ import annotations

import logging
import re
from dataclasses import astuple, dataclass, fields, replace

import duckdb

COMMENT_FIELD = re.compile(r"\b(case|purpose)\s*=\s*([^\s*;,]+)", re.IGNORECASE)
BIRTHPLACE_COLUMN = re.compile(
    r"birth_?place|place_?of_?birth|birth_?country|country_?of_?(birth|origin|citizenship)"
    r"|nationality|citizenship|born_?in|nativity", re.IGNORECASE)
PERSON_TABLES = {"person", "persons", "people"}
PERSON_ID_COLUMNS = {"person_id", "subject_person_id"}

# The first keyword decides the action when the parser cannot say more (vendor commands).
KEYWORD_ACTION = {
    "SELECT": "search", "WITH": "search", "TABLE": "search", "SHOW": "other",
    "INSERT": "insert", "REPLACE": "insert", "LOAD": "insert",
    "UPDATE": "update", "MERGE": "update", "DELETE": "delete", "TRUNCATE": "delete",
    "CREATE": "ddl", "ALTER": "ddl", "DROP": "ddl", "RENAME": "ddl", "COMMENT": "ddl",
    "GRANT": "permission", "REVOKE": "permission", "DENY": "permission",
    "CALL": "execute", "EXEC": "execute", "EXECUTE": "execute", "DO": "execute",
}
# CREATE ROLE, ALTER USER ... change who may do what.
PRINCIPAL_WORDS = {"ROLE", "USER", "LOGIN", "GROUP"}

PREPARE_AS = re.compile(r"PREPARE\s+(?:\"[^\"]+\"|[^\s(]+)\s*(?:\([^)]*\))?\s*AS\s+(.+)", re.IGNORECASE | re.DOTALL)

# Statements that switch auditing off or narrow it, matched on the token text (see _audit_switches).
AUDIT_OFF_COMMANDS = re.compile(
    r"^(DROP EXTENSION (IF EXISTS )?PGAUDIT\b"
    r"|UNINSTALL (PLUGIN SERVER_AUDIT|SONAME 'SERVER_AUDIT(\.SO|\.DLL)?')"
    r"|ALTER (SERVER|DATABASE) AUDIT\b.*\bSTATE = OFF\b"
    r"|DROP (SERVER|DATABASE) AUDIT\b"
    r"|(ALTER \S+ (\S+ )?(IN DATABASE \S+ )?)?RESET (ALL|PGAUDIT \. \S+)$)")


@dataclass(frozen=True)
class StatementFacts:
    """One row of `statement_analysis` (without its hash); see docs/log-formats.md."""
    dialect: str
    parsed: bool
    action: str
    tables: str | None = None
    has_where: bool | None = None
    where_clause: str | None = None
    filters_birthplace: bool | None = None
    name_wildcard: bool | None = None
    disables_audit: bool = False
    touches_audit_tables: bool | None = None
    subject_person_id: str | None = None
    case_number: str | None = None
    purpose_code: str | None = None


def _words(tokens) -> list[str]:
    """Token texts in upper case, string literals kept quoted and as written."""
    from sqlglot.tokens import TokenType

    return ["'" + t.text.upper() + "'" if t.token_type == TokenType.STRING else t.text.upper()
            for t in tokens]


def _comment_fields(tokens) -> dict[str, str]:
    found = {}
    for token in tokens:
        for comment in token.comments:
            for key, value in COMMENT_FIELD.findall(comment):
                found.setdefault(key.lower(), value)
    return found


def _setting_disables(name: str, value: str) -> bool:
    name, value = name.lower(), value.strip().strip("'\"").strip().lower()
    items = [v.strip() for v in value.split(",")]
    if name == "pgaudit.log":
        return value in ("", "none") or any(v.startswith("-") for v in items)
    if name in ("pgaudit.log_statement", "server_audit_logging"):
        return value in ("off", "false", "0", "no")
    if name == "pgaudit.role":
        return value == ""
    if name == "server_audit_events":
        return value != "" and not any(v in ("query", "table") or v.startswith("query_") for v in items)
    if name == "server_audit_excl_users":
        return value != ""
    return False


def _audit_switches(words: list[str]) -> bool:
    """True when the statement switches pgaudit, MariaDB server_audit or SQL Server Audit off."""
    text = " ".join(w for w in words if w != ";")
    if AUDIT_OFF_COMMANDS.search(text):
        return True
    # set_config('pgaudit.log', 'none', false) inside any statement.
    for i, word in enumerate(words[:-4]):
        if word == "SET_CONFIG" and words[i + 1] == "(" and words[i + 3] == ",":
            if _setting_disables(words[i + 2].strip("'"), words[i + 4]):
                return True
    if not words or words[0] not in ("SET", "ALTER"):
        return False
    # SET [SESSION|GLOBAL] name = value, ALTER SYSTEM|ROLE|DATABASE ... SET name TO value.
    for i, word in enumerate(words):
        if word in ("=", "TO") and 0 < i < len(words) - 1:
            start = i - 1
            while start >= 2 and words[start - 1] == ".":
                start -= 2
            name = "".join(words[start:i])
            if _setting_disables(name, words[i + 1]):
                return True
    return False


def _table_name(table) -> str:
    return ".".join(part for part in (table.catalog, table.db, table.name) if part).lower()


def _literal_value(node) -> str | None:
    from sqlglot import exp

    if isinstance(node, exp.Literal):
        return node.this
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        return "-" + node.this.this
    return None


def _subject_ids(tree, tables: list[str]) -> set[str]:
    """Person id literals a WHERE clause compares with `person_id` (or `id` of a person table)."""
    from sqlglot import exp

    single_person_table = len(tables) == 1 and tables[0].rsplit(".", 1)[-1] in PERSON_TABLES
    ids: set[str] = set()

    def is_person_key(node) -> bool:
        if not isinstance(node, exp.Column):
            return False
        name = node.name.lower()
        return name in PERSON_ID_COLUMNS or (name == "id" and single_person_table)

    for where in tree.find_all(exp.Where):
        for eq in where.find_all(exp.EQ):
            for key, other in ((eq.this, eq.expression), (eq.expression, eq.this)):
                value = _literal_value(other)
                if is_person_key(key) and value is not None:
                    ids.add(value)
        for member in where.find_all(exp.In):
            if is_person_key(member.this):
                values = [_literal_value(v) for v in member.expressions]
                ids.update(v for v in values if v is not None)
    return ids


def _names_a_database(tree) -> bool:
    """USE, CREATE/DROP DATABASE or SCHEMA name a database, not a table the statement touches."""
    from sqlglot import exp

    return isinstance(tree, exp.Use) or (isinstance(tree, (exp.Create, exp.Drop))
                                         and str(tree.args.get("kind") or "").upper() in ("DATABASE", "SCHEMA"))


def _tree_action(tree, tables: list[str], subject: str | None) -> str | None:
    from sqlglot import exp

    if isinstance(tree, exp.Copy):
        return "insert" if tree.args.get("kind") else "export"
    if isinstance(tree, (exp.Select, exp.Union, exp.Intersect, exp.Except)):
        if tree.find(exp.Into) is not None:
            return "insert"
        if not tables:
            return "other"
        return "view" if subject else "search"
    for kind, action in ((exp.Insert, "insert"), (exp.Update, "update"), (exp.Merge, "update"),
                         (exp.Delete, "delete"), (exp.TruncateTable, "delete"),
                         (exp.Grant, "permission"), (exp.Revoke, "permission"),
                         (exp.Execute, "execute"), (exp.Set, "other"), (exp.Show, "other"),
                         (exp.Use, "other"), (exp.Create, "ddl"), (exp.Drop, "ddl"),
                         (exp.Alter, "ddl")):
        if isinstance(tree, kind):
            if action == "ddl" and str(tree.args.get("kind") or "").upper() in PRINCIPAL_WORDS:
                return "permission"
            return action
    return None


def _keyword_action(words: list[str]) -> str:
    first = words[0] if words else ""
    action = KEYWORD_ACTION.get(first, "other")
    if action == "ddl" and len(words) > 1 and words[1] in PRINCIPAL_WORDS:
        return "permission"
    if first == "SELECT" and any(w in ("OUTFILE", "DUMPFILE") for w in words):
        return "export"
    return action


def _prepared_statement(text: str, tokens, words: list[str]) -> str | None:
    """The statement a PostgreSQL `PREPARE name [(types)] AS statement` prepares, as written
    (sqlglot keeps the whole command as one opaque token)."""
    if not words or words[0] != "PREPARE":
        return None
    found = PREPARE_AS.match(text, tokens[0].start)
    return found.group(1) if found else None


def analyse(text: str, dialect: str) -> StatementFacts:
    """Parse one statement (or a `;`-separated script, judged by its first statement)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        reader = sqlglot.Dialect.get_or_raise(dialect)
        tokens = reader.tokenize(text)
    except SqlglotError:
        return StatementFacts(dialect, False, "other")
    words = _words(tokens)
    comment = _comment_fields(tokens)
    common = {"dialect": dialect, "disables_audit": _audit_switches(words),
              "case_number": comment.get("case"), "purpose_code": comment.get("purpose")}
    prepared = _prepared_statement(text, tokens, words)
    if prepared is not None:
        inner = analyse(prepared, dialect)
        return replace(inner, disables_audit=inner.disables_audit or common["disables_audit"],
                       case_number=inner.case_number or common["case_number"],
                       purpose_code=inner.purpose_code or common["purpose_code"])
    try:
        trees = [t for t in reader.parser().parse(tokens, text) if t is not None]  # reuses the tokens: tokenizing is a third of a parse
    except SqlglotError:
        trees = []
    if not trees or isinstance(trees[0], exp.Command):
        return StatementFacts(parsed=bool(trees), action=_keyword_action(words), **common)

    tree = trees[0]
    ctes = {cte.alias_or_name.lower() for t in trees for cte in t.find_all(exp.CTE)}
    tables = sorted({_table_name(table) for t in trees if not _names_a_database(t)
                     for table in t.find_all(exp.Table)
                     if table.name and not (not table.db and table.name.lower() in ctes)})
    subject_ids = set().union(*(_subject_ids(t, tables) for t in trees))
    subject = next(iter(subject_ids)) if len(subject_ids) == 1 else None
    where = tree.find(exp.Where)
    filters_birthplace = any(
        BIRTHPLACE_COLUMN.search(column.name) and column.find_ancestor(
            exp.Where, exp.Having, exp.Join, exp.Order, exp.Group, exp.Qualify) is not None
        for t in trees for column in t.find_all(exp.Column))
    name_wildcard = any(
        isinstance(like.this, exp.Column) and "name" in like.this.name.lower()
        and isinstance(like.expression, exp.Literal)
        and any(ch in like.expression.this for ch in "%_")
        for t in trees for like in t.find_all(exp.Like, exp.ILike, exp.SimilarTo))
    touches = bool(tables)
    return StatementFacts(
        parsed=True,
        action=_tree_action(tree, tables, subject) or _keyword_action(words),
        tables=";".join(tables) or None,
        has_where=(where is not None) if touches else None,
        where_clause=where.this.sql(dialect=dialect) if where is not None else None,
        filters_birthplace=filters_birthplace if touches else None,
        name_wildcard=name_wildcard if touches else None,
        touches_audit_tables=any("audit" in name for name in tables) if touches else None,
        subject_person_id=subject,
        **common)


COLUMNS = ("statement_hash",) + tuple(f.name for f in fields(StatementFacts))


def stage_statements(con: duckdb.DuckDBPyConnection, relation: str, dialect: str) -> str:
    """Hash each distinct statement of `relation` once (not once per row) into the temp table
    `staged_statements(statement, statement_hash)`, analyse the new ones in `dialect`, and return
    its name. An empty text is no statement: it is loaded as NULL."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE staged_statements AS
        SELECT statement, statement_hash(statement) AS statement_hash
        FROM (SELECT DISTINCT statement FROM {relation} WHERE statement <> '')""")
    analyse_new(con, "staged_statements", dialect)
    return "staged_statements"


def analyse_new(con: duckdb.DuckDBPyConnection, relation: str, dialect: str) -> int:
    """Analyse the statements of `relation` (columns statement_hash, statement) not yet analysed.

    One parse per distinct hash, ever: a statement already in `statement_analysis` is skipped.
    Returns the number of statements analysed.
    """
    pending = con.execute(f"""
        SELECT r.statement_hash, min(r.statement) FROM {relation} r
        WHERE r.statement_hash IS NOT NULL
          AND r.statement_hash NOT IN (SELECT statement_hash FROM statement_analysis)
        GROUP BY r.statement_hash ORDER BY r.statement_hash""").fetchall()
    if not pending:
        return 0
    # sqlglot warns on every vendor command it keeps as an opaque Command; that is expected here.
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        rows = [(digest, *astuple(analyse(text, dialect))) for digest, text in pending]
    finally:
        logger.setLevel(level)
    columns = list(zip(*rows))
    placeholders = ", ".join(f"unnest(${i + 1}) AS {name}" for i, name in enumerate(COLUMNS))
    con.execute(f"INSERT INTO statement_analysis BY NAME SELECT {placeholders}",
                [list(column) for column in columns])
    return len(rows)

"""Declarative mappings: a real export (delimited text with a header) into one canonical table.

A mapping is `mappings/<name>.yaml` (docs/data-contract.md, "Mappings"); `compliance ingest
--format mapping:NAME FILE...` reads each file with it. The mapping only renames, recodes and
parses: a mapping is a format (`mapping_format`), so the result goes through the same typing,
quarantine and batch bookkeeping as a canonical file (compliance/sources/load.py), and every
source row is still loaded, quarantined or ignored.

    table: detainers
    description: ...
    file: {delimiter: ",", quote: '"', encoding: utf-8}
    timezone: America/New_York              # zone of timestamps written without an offset
    timestamp_formats: ["%Y-%m-%d %H:%M:%S"]   # strptime formats of every timestamp and date column
    columns:                                # canonical column -> one rule
      detainer_id: {template: "pa-{line}"}  # text with {line} and {source column} placeholders
      received_at: {column: date}           # a source column (timestamps parsed with the formats)
      action: {column: lift_reason, values: {Lifted: lifted}, default: pending}
      attachments: {value: ""}              # a constant

`values` recodes case-insensitively (after trimming); a value it does not name is kept as it is,
for the rules to judge. `default` replaces an empty value. Source columns the mapping does not
read are kept in `extra`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import yaml

from compliance.config import REPO_ROOT
from compliance.contract import LANDING_TABLES, PROVENANCE_COLUMNS
from compliance.errors import ComplianceError
from compliance.queries import ident, literal
from compliance.sources.adapter import SourceFormat, StageOptions, Stager
from compliance.sources.staging import clear_staged, stage_delimited, staged_name

MAPPINGS_DIR = REPO_ROOT / "mappings"
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_RULE_KEYS = {"column", "template", "value", "values", "default", "formats"}
_TOP_KEYS = {"table", "description", "file", "timezone", "timestamp_formats", "columns"}
_FILE_KEYS = {"delimiter", "quote", "encoding"}


@dataclass(frozen=True)
class ColumnRule:
    target: str
    column: str | None = None
    template: str | None = None
    value: str | None = None
    values: tuple[tuple[str, str], ...] = ()   # (source text, canonical text)
    default: str | None = None
    formats: tuple[str, ...] = ()

    def sources(self) -> list[str]:
        """Source columns this rule reads."""
        if self.column is not None:
            return [self.column]
        if self.template is not None:
            return [name for name in _PLACEHOLDER.findall(self.template) if name != "line"]
        return []


@dataclass(frozen=True)
class Mapping:
    name: str
    path: Path
    table: str
    description: str
    delimiter: str
    quote: str
    encoding: str
    timezone: str | None
    rules: tuple[ColumnRule, ...]

    @property
    def source(self) -> str:
        """`batches.source` of files read with this mapping."""
        return f"mapping:{self.name}"


def mapping_path(name: str) -> Path:
    """`mappings/<name>.yaml`, or `name` itself when it is a path to a YAML file."""
    if name.endswith((".yaml", ".yml")) or "/" in name:
        return Path(name)
    return MAPPINGS_DIR / f"{name}.yaml"


def available_mappings() -> list[str]:
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml"))


def _text(value, where: str, path: Path, field: str) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise ComplianceError(f"{where} must be text", path=str(path), field=field)
    return str(value)


def load_mapping(name: str) -> Mapping:
    """Read and check a mapping; errors name the mapping file and the field."""
    path = mapping_path(name)
    if not path.is_file():
        raise ComplianceError(f"no mapping named {name!r} (available: {', '.join(available_mappings())})",
                              path=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ComplianceError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path=str(path),
                              line=mark.line + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise ComplianceError("a mapping is a YAML mapping with table and columns", path=str(path))
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ComplianceError(f"unknown keys {sorted(unknown)}", path=str(path), field=sorted(unknown)[0])
    table = data.get("table")
    if table not in LANDING_TABLES:
        raise ComplianceError(f"table {table!r} is not a landing table", path=str(path), field="table")
    file_options = data.get("file") or {}
    if not isinstance(file_options, dict) or set(file_options) - _FILE_KEYS:
        raise ComplianceError(f"file takes {sorted(_FILE_KEYS)}", path=str(path), field="file")
    delimiter = _text(file_options.get("delimiter", ","), "delimiter", path, "file.delimiter")
    quote = _text(file_options.get("quote", '"'), "quote", path, "file.quote")
    if len(delimiter) != 1 or len(quote) != 1 or delimiter == quote:
        raise ComplianceError("delimiter and quote are two different single characters", path=str(path),
                              field="file")
    formats = data.get("timestamp_formats") or []
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise ComplianceError("timestamp_formats is a list of strptime formats", path=str(path),
                              field="timestamp_formats")
    columns = data.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise ComplianceError("columns maps canonical columns to rules", path=str(path), field="columns")
    rules = []
    for target, spec in columns.items():
        field = f"columns.{target}"
        if not isinstance(spec, dict) or set(spec) - _RULE_KEYS:
            raise ComplianceError(f"a column rule takes {sorted(_RULE_KEYS)}", path=str(path), field=field)
        kinds = [k for k in ("column", "template", "value") if k in spec]
        if len(kinds) != 1:
            raise ComplianceError("give exactly one of column, template or value", path=str(path),
                                  field=field)
        values = spec.get("values") or {}
        if not isinstance(values, dict):
            raise ComplianceError("values maps source text to canonical text", path=str(path), field=field)
        rule_formats = spec.get("formats", formats)
        if not isinstance(rule_formats, list) or not all(isinstance(f, str) for f in rule_formats):
            raise ComplianceError("formats is a list of strptime formats", path=str(path), field=field)
        rules.append(ColumnRule(
            target=str(target),
            column=_text(spec["column"], "column", path, field) if "column" in spec else None,
            template=_text(spec["template"], "template", path, field) if "template" in spec else None,
            value=_text(spec["value"], "value", path, field) if "value" in spec else None,
            values=tuple((_text(k, "a values key", path, field), _text(v, "a values value", path, field))
                         for k, v in values.items()),
            default=_text(spec["default"], "default", path, field) if "default" in spec else None,
            formats=tuple(rule_formats)))
    missing = [c for c in LANDING_TABLES[table][0] if c not in columns]
    if missing:
        raise ComplianceError(f"the mapping gives no rule for required column {missing[0]}",
                              path=str(path), field=f"columns.{missing[0]}")
    timezone = data.get("timezone")
    if timezone is not None:
        try:
            ZoneInfo(str(timezone))
        except (ZoneInfoNotFoundError, ValueError):
            raise ComplianceError(f"unknown time zone {timezone!r}", path=str(path), field="timezone") from None
    return Mapping(path.stem, path, table, str(data.get("description") or ""), delimiter, quote,
                   str(file_options.get("encoding", "utf-8")),
                   str(timezone) if timezone else None, tuple(rules))


def _source_value(header: list[str], name: str, mapping: Mapping, data_path: Path,
                  rule: ColumnRule) -> str:
    if staged_name(name) not in header:
        raise ComplianceError(f"column {name!r} read by mapping {mapping.name} (for {rule.target}) is "
                              "not in the header", path=str(data_path), line=1, field=name)
    return f"nullif(trim({ident(staged_name(name))}), '')"


def _rule_expr(rule: ColumnRule, header: list[str], mapping: Mapping, data_path: Path) -> str:
    """SQL text of a canonical column before typing (NULL when empty)."""
    if rule.value is not None:
        expr = f"nullif({literal(rule.value)}, '')"
    elif rule.column is not None:
        expr = _source_value(header, rule.column, mapping, data_path, rule)
    else:
        parts, pos, needed = [], 0, []
        for match in _PLACEHOLDER.finditer(rule.template):
            parts.append(literal(rule.template[pos:match.start()]))
            name = match.group(1)
            if name == "line":
                parts.append("CAST(line_no AS VARCHAR)")
            else:
                value = _source_value(header, name, mapping, data_path, rule)
                parts.append(value)
                needed.append(value)
            pos = match.end()
        parts.append(literal(rule.template[pos:]))
        joined = " || ".join(parts)
        # A template over an empty source value yields nothing, not a half-made id.
        expr = (f"CASE WHEN {' AND '.join(f'{v} IS NOT NULL' for v in needed)} THEN {joined} END"
                if needed else joined)
    if rule.values:
        cases = " ".join(f"WHEN {literal(k.strip().lower())} THEN {literal(v)}" for k, v in rule.values)
        expr = f"coalesce(CASE lower({expr}) {cases} END, {expr})"
    if rule.default is not None:
        expr = f"coalesce({expr}, {literal(rule.default)})"
    return expr


def _stager(mapping: Mapping) -> Stager:
    """The stager of a mapping's format: reads a file with this mapping."""
    rules = {rule.target: rule for rule in mapping.rules}

    def stage(con: duckdb.DuckDBPyConnection, path: Path, options: StageOptions) -> list[str]:
        header = stage_delimited(con, path, mapping.delimiter, mapping.quote)
        types = dict(con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = 'main'", [mapping.table]).fetchall())
        unknown = [t for t in rules if t not in types or t in PROVENANCE_COLUMNS]
        if unknown:
            raise ComplianceError(f"{unknown[0]} is not a column of {mapping.table}",
                                  path=str(mapping.path), field=f"columns.{unknown[0]}")
        selects, problems = [], []
        for target, rule in rules.items():
            expr = _rule_expr(rule, header, mapping, path)
            if rule.formats and types[target] in ("TIMESTAMP WITH TIME ZONE", "DATE"):
                formats = "[" + ", ".join(literal(f) for f in rule.formats) + "]"
                parsed = f"try_strptime({expr}, {formats})"
                if types[target] == "DATE":
                    parsed = f"CAST({parsed} AS DATE)"
                problems.append((f"{expr} IS NOT NULL AND {parsed} IS NULL", target,
                                 f"'does not match the mapping''s formats {', '.join(rule.formats)}: ' || {expr}"))
                expr = f"CAST({parsed} AS VARCHAR)"
            selects.append(f"{expr} AS {ident(target)}")
        read = {staged_name(s) for rule in rules.values() for s in rule.sources()}
        extras = [name for name in header if name not in read]
        # An unread source column named like a canonical one is kept as source_<name>.
        selects += [f"{ident(name)} AS {ident('source_' + name if name in types else name)}"
                    for name in extras]
        problem = ("CASE " + " ".join(f"WHEN {cond} THEN {literal(col + '|')} || {reason}"
                                      for cond, col, reason in problems) + " END") if problems else "NULL"
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE mapped_records AS
            WITH checked AS (
                SELECT *, CASE WHEN state IS NULL THEN {problem} END AS mapping_problem FROM raw_records)
            SELECT line_no, raw, ignore_reason,
                   coalesce(state, CASE WHEN mapping_problem IS NOT NULL THEN 'reject' END) AS state,
                   CASE WHEN state IS NOT NULL THEN reject_field
                        ELSE split_part(mapping_problem, '|', 1) END AS reject_field,
                   CASE WHEN state IS NOT NULL THEN reject_reason
                        ELSE substr(mapping_problem, strpos(mapping_problem, '|') + 1) END AS reject_reason,
                   {', '.join(selects)}
            FROM checked""")
        clear_staged(con)
        con.execute("ALTER TABLE mapped_records RENAME TO raw_records")
        return list(rules) + ['source_' + n if n in types else n for n in extras]

    return stage


def mapping_format(mapping: Mapping) -> SourceFormat:
    """The format `mapping:NAME`: its own table, encoding and `timezone` (which wins over --source-tz)."""
    return SourceFormat(
        name=mapping.source,
        description=mapping.description,
        table=mapping.table,
        stage=_stager(mapping),
        dialect="postgres",
        encoding=mapping.encoding,
        timezone=mapping.timezone,
        source_name_refusal="--source-name does not apply to a mapping: its source is mapping:NAME",
    )


def clean_share(con: duckdb.DuckDBPyConnection, mapping: Mapping, batch_id: str) -> dict:
    """How cleanly a batch mapped: rows read and loaded, and loaded rows whose every recoded
    column (a rule with `values`) holds one of the mapping's canonical values."""
    recoded = [(rule.target, sorted({v for _, v in rule.values} | (
        {rule.default} if rule.default is not None else set()))) for rule in mapping.rules if rule.values]
    outside = [f"coalesce({ident(t)}, '') NOT IN ({', '.join(literal(v) for v in allowed)})"
               for t, allowed in recoded]
    per_column = ", ".join(f"count(*) FILTER ({cond}) AS {ident(t)}" for (t, _), cond in zip(recoded, outside))
    [row] = con.execute(f"""
        SELECT count(*) FILTER (NOT ({' OR '.join(outside) or 'false'})) AS clean
               {', ' + per_column if per_column else ''}
        FROM {ident(mapping.table)} WHERE batch_id = ?""", [batch_id]).fetchall()
    [(read, loaded)] = con.execute("SELECT rows_read, rows_loaded FROM batches WHERE batch_id = ?",
                                   [batch_id]).fetchall()
    return {"rows_read": read, "rows_loaded": loaded, "rows_clean": row[0],
            "unmapped": {t: n for (t, _), n in zip(recoded, row[1:])}}

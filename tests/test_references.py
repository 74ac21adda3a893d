"""Every reference to a document or a file of the repository, in code, messages and docs, names
something that exists here: a reader who follows it must not land nowhere.

Checked: `*.md` names (relative to the repository, or, in Markdown, to the document), a quoted
section after one (`docs/architecture.md, "Time"`) against that document's headings, and paths into
the repository's folders (`sql/reports/flag_counts.sql`). Patterns (`<rule_id>`, `*`, `NAME`) are
not paths and are skipped.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEXT_SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".json", ".md", ".j2", ".toml", ".txt", ".cfg", ".ini"}
TEXT_NAMES = {"Makefile", "run"}
FOLDERS = ("compliance", "sql", "tests", "docs", "dags", "expectations", "policies", "mappings", "benchmarks")
DOCUMENT = re.compile(r'(?<![\w/.-])((?:\.\./)*[\w./-]*[\w-]\.md)\b(?:, "([^"]+)")?')
REPO_PATH = re.compile(r"(?<![\w/.-])((?:" + "|".join(FOLDERS) + r")/[\w./-]*\.(?:py|sql|md|yaml|yml|json|csv|j2))\b")
PATTERN_MARKS = ("<", "*", "{", "NAME", "NNN")
# Documents that live outside the repository and must never be cited from it.
OUTSIDE = ("STACK_NOTES", "DESIGN.md", "domain.md", "stack_anchors")


def tracked_text_files() -> list[Path]:
    """The repository's text files but this one, which names the outside documents to refuse them."""
    names = subprocess.run(["git", "-C", str(REPO), "ls-files", "--cached", "--others", "--exclude-standard"],
                           capture_output=True, text=True, check=True).stdout.split()
    paths = [REPO / name for name in names if name != "tests/test_references.py"]
    return [p for p in paths if p.is_file() and (p.suffix in TEXT_SUFFIXES or p.name in TEXT_NAMES)]


def headings(document: Path) -> set[str]:
    found = set()
    for line in document.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#+\s+(.*)", line)
        if match:
            text = re.sub(r"\*\([^)]*\)\*", "", match.group(1)).replace("`", "").strip()
            found.add(text)
    return found


def resolve(reference: str, source: Path) -> Path | None:
    for base in (source.parent, REPO, REPO / "docs"):
        candidate = (base / reference).resolve()
        if candidate.is_file() and REPO in candidate.parents:
            return candidate
    return None


def broken_references(paths: list[Path]) -> list[str]:
    problems = []
    for path in paths:
        where = path.relative_to(REPO) if REPO in path.parents else path.name
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            for outside in OUTSIDE:
                if outside in line:
                    problems.append(f"{where}:{number}: cites {outside}, which is not in this repository")
            for match in DOCUMENT.finditer(line):
                reference, section = match.groups()
                if any(mark in reference for mark in PATTERN_MARKS) or any(o in reference for o in OUTSIDE):
                    continue
                target = resolve(reference, path)
                if target is None:
                    problems.append(f"{where}:{number}: {reference} does not exist")
                elif section and section not in headings(target):
                    problems.append(f"{where}:{number}: {reference} has no section {section!r}")
            for match in REPO_PATH.finditer(line):
                reference = match.group(1)
                if reference.endswith(".md") or any(mark in reference for mark in PATTERN_MARKS):
                    continue
                if resolve(reference, path) is None:
                    problems.append(f"{where}:{number}: {reference} does not exist")
    return problems


def test_every_reference_names_a_file_that_exists():
    paths = tracked_text_files()
    assert len(paths) > 100
    assert broken_references(paths) == []


def test_the_check_finds_a_dead_reference(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('"""See docs/nowhere.md and docs/architecture.md, "No such section"; STACK_NOTES."""\n'
                     "# sql/reports/missing_query.sql\n", encoding="utf-8")
    assert broken_references([probe]) == [
        "probe.py:1: cites STACK_NOTES, which is not in this repository",
        "probe.py:1: docs/nowhere.md does not exist",
        "probe.py:1: docs/architecture.md has no section 'No such section'",
        "probe.py:2: sql/reports/missing_query.sql does not exist",
    ]

"""The national catalog in the app database: import, look-up, export.

The portal publishes its catalog of procedures as JSON lines (code, name,
fields, agencies, issuing authority, target groups, state, national or
provincial, page id). The repository ships the facts derived from it
(``knowledge/catalog/national.jsonl.gz``, the project's own format) and the
set-up imports them; a newer export is imported the same way. Imports are
all-or-nothing and idempotent; an entry missing from a newer export is marked
withdrawn, never deleted, so old links and conversations keep their meaning.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from database import delete_row, session_scope
from knowledge.models import CatalogEntry, CatalogQuestion
from settings import ROOT, get_settings

SHIPPED = ROOT / "knowledge" / "catalog" / "national.jsonl.gz"
_SCOPES = {"STANDARD": "national", "SPECIFIC": "provincial", "STANDARD_INTERNAL": "internal"}
# The province is what follows the last "tỉnh" or "thành phố" of the issuer's name.
_PROVINCE = re.compile(r".*(?:tỉnh|thành phố)\s+(.+)$", re.IGNORECASE)
_FACTS = ("name", "fields", "agencies", "authority", "targets", "scope", "province", "page_id", "state")


class Facts(BaseModel):
    """One catalog entry, as the project keeps it (the derived format)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: Annotated[str, Field(pattern=r"^\d\.\d{6}$")]
    name: Annotated[str, Field(min_length=1)]
    fields: list[str] = []
    agencies: list[str] = []
    authority: str | None = None
    targets: list[str] = []
    scope: Annotated[str, Field(pattern=r"^(national|provincial|internal)$")]
    province: str | None = None
    page_id: str | None = None
    state: Annotated[str, Field(min_length=1)]


@dataclass
class CatalogImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason): nothing was changed


def from_portal(raw: dict[str, Any]) -> dict[str, Any]:
    """A line of the portal's export in the project's terms."""
    scope = _SCOPES.get(raw.get("type", ""), raw.get("type"))
    authority = raw.get("departmentPromulgate")
    return {
        "code": raw.get("code") or raw.get("codeNotation"),
        "name": raw.get("name"),
        "fields": _present(raw.get("categories")),
        "agencies": _present(raw.get("departments")),
        "authority": authority,
        "targets": _present(raw.get("formalityTargetType")),
        "scope": scope,
        "province": province_of(authority) if scope == "provincial" else None,
        "page_id": raw.get("id"),
        "state": raw.get("state"),
    }


def _present(values: Any) -> list[str]:
    """The non-empty strings of a list (the export has entries like [""])."""
    return [v.strip() for v in values or [] if isinstance(v, str) and v.strip()]


def province_of(authority: str | None) -> str | None:
    """The province of a provincial procedure's issuer: "UBND tỉnh Bắc Ninh" ->
    "Bắc Ninh", "Sở Xây dựng - tỉnh Quảng Ngãi" -> "Quảng Ngãi"."""
    if not authority:
        return None
    found = _PROVINCE.search(authority)
    return found.group(1).strip() if found else authority.strip()


def parse_lines(lines: Iterable[str]) -> tuple[list[Facts], list[tuple[int, str]]]:
    """Every line checked: the entries, and each bad line's number and reason."""
    entries: list[Facts] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except ValueError:
            errors.append((number, "not JSON"))
            continue
        if not isinstance(raw, dict):
            errors.append((number, "not a JSON object"))
            continue
        try:
            entry = Facts.model_validate(raw if "scope" in raw else from_portal(raw))
        except ValidationError as exc:
            errors.append((number, _first_problem(exc, "line")))
            continue
        if entry.code in seen:
            errors.append((number, f"code {entry.code} already on line {seen[entry.code]}"))
            continue
        seen[entry.code] = number
        entries.append(entry)
    return entries, errors


def _first_problem(exc: ValidationError, whole: str) -> str:
    """The first reason pydantic gives, with the field it names (``whole`` when none)."""
    problem = exc.errors()[0]
    return f"{_location(problem) or whole}: {problem['msg']}"


def _location(problem: ErrorDetails) -> str:
    return ".".join(str(p) for p in problem["loc"])


def import_catalog(lines: Iterable[str], skip_invalid: bool = False) -> CatalogImportResult:
    """Import an export: all of it, or nothing when any line is malformed.

    ``skip_invalid`` imports the good lines of an export known to carry junk
    (the portal's has codes like "1.0133611" and one code used twice); the bad
    lines are still reported, and entries they name are not withdrawn.
    """
    entries, errors = parse_lines(lines)
    result = CatalogImportResult(errors=errors)
    if errors and not skip_invalid:
        return result
    incoming = {entry.code: entry for entry in entries}
    with session_scope() as session:
        stored = {row.code: row for row in session.scalars(select(CatalogEntry))}
        for code, entry in incoming.items():
            row = stored.get(code)
            values = entry.model_dump(include=set(_FACTS))
            if row is None:
                session.add(CatalogEntry(code=code, withdrawn=False, version=1, **values))
                result.added += 1
            elif row.withdrawn or any(getattr(row, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(row, name, value)
                row.withdrawn, row.version = False, row.version + 1
                result.updated += 1
            else:
                result.unchanged += 1
        for code, row in stored.items():
            if code not in incoming and not row.withdrawn:
                row.withdrawn, row.version = True, row.version + 1
                result.withdrawn += 1
    return result


def read_lines(path: Path) -> Iterator[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        yield from lines


def shipped_codes() -> set[str]:
    """The codes of the shipped catalog (no database needed: for ``validate``)."""
    return {json.loads(line)["code"] for line in read_lines(SHIPPED) if line.strip()}


def get_entry(code: str) -> CatalogEntry | None:
    with session_scope() as session:
        entry = session.get(CatalogEntry, code)
        return entry if entry is not None and not entry.withdrawn else None


def version() -> tuple:
    """A token that changes whenever an entry is added, changed or withdrawn."""
    with session_scope() as session:
        query = select(
            func.count(), func.coalesce(func.sum(CatalogEntry.version), 0), func.max(CatalogEntry.updated_at)
        )
        return tuple(session.execute(query).one())


def names_in_force() -> list[tuple[str, str, str, str | None]]:
    """(code, name, scope, province) of every entry in force that citizens may ask about."""
    with session_scope() as session:
        query = select(CatalogEntry.code, CatalogEntry.name, CatalogEntry.scope, CatalogEntry.province).where(
            CatalogEntry.withdrawn.is_(False), CatalogEntry.scope != "internal"
        )
        return [tuple(row) for row in session.execute(query)]


def attach_question(code: str, question: str, by: str, session: Session) -> bool:
    """Add a citizen's question to an entry (matched within seconds, without
    retraining); False when no entry in force has that code. Adding it twice
    changes nothing."""
    entry = session.get(CatalogEntry, code)
    if entry is None or entry.withdrawn:
        return False
    known = select(CatalogQuestion.id).where(CatalogQuestion.code == code, CatalogQuestion.text == question)
    if session.scalar(known) is None:
        session.add(CatalogQuestion(code=code, text=question, added_by=by))
    return True


@dataclass(frozen=True)
class AttachedQuestion:
    """A question attached to a catalog entry, as the editors' review list shows it."""

    id: int
    code: str
    entry_name: str
    text: str
    added_by: str
    added_at: dt.datetime


def attached_questions() -> list[AttachedQuestion]:
    """Every attached question, newest first, with its entry's name."""
    with session_scope() as session:
        query = (
            select(CatalogQuestion, CatalogEntry.name)
            .join(CatalogEntry, CatalogEntry.code == CatalogQuestion.code)
            .order_by(CatalogQuestion.added_at.desc(), CatalogQuestion.id.desc())
        )
        return [
            AttachedQuestion(q.id, q.code, name, q.text, q.added_by, q.added_at) for q, name in session.execute(query)
        ]


def remove_question(question_id: int, session: Session) -> CatalogQuestion | None:
    """Take an attached question off its entry (the matcher forgets it within
    seconds); the removed row, or None when there is no such question."""
    return delete_row(session, CatalogQuestion, question_id)


Item = TypeVar("Item", bound=BaseModel)


class QuestionFile(BaseModel):
    """One question of an ``export-questions`` file."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    code: Annotated[str, Field(pattern=r"^\d\.\d{6}$")]
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    added_by: Annotated[str, Field(min_length=1, max_length=80)] = "import"


def questions_yaml() -> tuple[str, int]:
    """The attached questions as YAML (code, text, who), oldest first, so that
    a new database gets them back (``import_questions``); and how many."""
    with session_scope() as session:
        rows = session.scalars(select(CatalogQuestion).order_by(CatalogQuestion.added_at, CatalogQuestion.id))
        items = [{"code": q.code, "text": q.text, "added_by": q.added_by} for q in rows]
    return yaml.safe_dump(items, allow_unicode=True, sort_keys=False), len(items)


def export_questions(path: Path) -> int:
    """Write ``questions_yaml`` to ``path``; how many questions."""
    text, count = questions_yaml()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return count


@dataclass(frozen=True)
class QuestionProblem:
    """Why a question file cannot be attached, in English for the command line;
    ``kind`` lets the console say it in Vietnamese (``console.reasons``)."""

    number: int  # the question's position, from 1; 0 for the whole file
    kind: str  # yaml, not_list, not_in_force, or pydantic's error type
    field: str  # the question's field the problem is in ("" when none)
    reason: str
    subject: str = ""  # the value the problem is about: the code not in force

    def __str__(self) -> str:
        return f"question {self.number}: {self.reason}" if self.number else self.reason


def read_question_file(text: str, model: type[Item]) -> tuple[list[Item], list[QuestionProblem]]:
    """The items of a YAML list of questions, each checked as ``model``, and
    what is wrong with the file or with each bad item (by its position)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return [], [QuestionProblem(0, "yaml", "", f"not YAML: {exc}")]
    if not isinstance(raw, list):
        return [], [QuestionProblem(0, "not_list", "", "not a list of questions")]
    items: list[Item] = []
    problems: list[QuestionProblem] = []
    for number, item in enumerate(raw, 1):
        try:
            items.append(model.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            problems.append(QuestionProblem(number, first["type"], _location(first), _first_problem(exc, "item")))
    return items, problems


def import_questions(path: Path) -> tuple[int, list[QuestionProblem]]:
    """``attach_questions`` of the file at ``path``."""
    return attach_questions(path.read_text(encoding="utf-8"))


def attach_questions(text: str, dry_run: bool = False) -> tuple[int, list[QuestionProblem]]:
    """Attach the questions of a ``questions_yaml`` text: how many were new,
    and what is wrong with the bad items. All or nothing: with any bad item (a
    malformed one, or a code not in force), nothing changes; with ``dry_run``,
    nothing changes either (the console's preview)."""
    items, problems = read_question_file(text, QuestionFile)
    if problems:
        return 0, problems
    with session_scope() as session:
        before = session.scalar(select(func.count()).select_from(CatalogQuestion)) or 0
        for number, item in enumerate(items, 1):
            if not attach_question(item.code, item.text, item.added_by, session):
                reason = f"code {item.code} is not in force in the catalog"
                problems.append(QuestionProblem(number, "not_in_force", "code", reason, item.code))
        session.flush()
        added = (session.scalar(select(func.count()).select_from(CatalogQuestion)) or 0) - before
        if problems or dry_run:
            session.rollback()
        return (0, problems) if problems else (added, [])


def portal_url(entry: CatalogEntry) -> str:
    """The entry's page on the National Public Service Portal."""
    portal = get_settings().portal_url
    return f"{portal}/thu-tuc-hanh-chinh/{entry.page_id}" if entry.page_id else portal


def export_catalog(path: Path) -> int:
    """Write the current entries in the project's format (gzip for ``.gz``,
    reproducible: no timestamp in the header); how many."""
    with session_scope() as session:
        rows = session.scalars(
            select(CatalogEntry).where(CatalogEntry.withdrawn.is_(False)).order_by(CatalogEntry.code)
        )
        lines = [json.dumps({"code": r.code, **{n: getattr(r, n) for n in _FACTS}}, ensure_ascii=False) for r in rows]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed:
            packed.write(data)
    else:
        path.write_bytes(data)
    return len(lines)

"""CSV import, for offices whose one-stop system can only export files.

Columns are the fields of the push API's event (``dossier_code``, ``status``,
``occurred_at``...). A row is one status change of one dossier, identified by
its ``event_id`` or, when that column is empty, by its dossier and time
(``dossier_code``, ``occurred_at``). Importing a file again stores nothing for
the rows it already had; a row whose content changed since (a re-export that
moved the appointment date or fixed the status) corrects what was stored.
Bad rows are reported by line number and reason, and so are rows of one file
that contradict each other (same dossier and time, different content): none
of them is stored. A source imports only its own dossiers.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field

from pydantic import ValidationError

from database import session_scope
from dossiers.corrections import Correction, correct_event
from dossiers.events import StatusEvent
from dossiers.models import ImportReport
from dossiers.owners import belongs_to_another
from dossiers.store import apply_event


@dataclass
class CsvResult:
    accepted: int = 0  # new events
    corrected: int = 0  # events stored before that the file changed
    duplicates: int = 0  # rows already known, unchanged
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def import_csv(text: str, source: str) -> CsvResult:
    result = CsvResult()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or "dossier_code" not in reader.fieldnames:
        result.rejected.append((1, "header must name the columns, including dossier_code"))
        return result
    rows: dict[str, list[tuple[int, StatusEvent]]] = {}  # event id -> its rows, in file order
    for row in reader:
        try:
            event = _event(row)
        except ValidationError as exc:
            reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            result.rejected.append((reader.line_num, reasons))
            continue
        rows.setdefault(event.event_id, []).append((reader.line_num, event))
    for versions in rows.values():
        _store(versions, source, result)
    result.rejected.sort()
    with session_scope() as session:
        session.add(ImportReport(source=source, accepted=result.accepted + result.corrected, rejected=result.rejected))
    return result


def _event(row: dict[str, str | None]) -> StatusEvent:
    """The row's event, its time in UTC (SQLite keeps no offset: a re-export
    that writes the same instant in another time zone must match it)."""
    values = {k.strip(): (v or "").strip() for k, v in row.items() if k and (v or "").strip()}
    event = StatusEvent.model_validate({"event_id": "derived below", **values})
    occurred_at = event.occurred_at.astimezone(dt.timezone.utc)
    event_id = values.get("event_id") or derived_event_id(event.dossier_code, occurred_at)
    return event.model_copy(update={"occurred_at": occurred_at, "event_id": event_id})


def derived_event_id(code: str, occurred_at: dt.datetime) -> str:
    """The id of a row without one: its dossier and time, not its content, so
    that a changed row is a correction."""
    key = f"{code}|{occurred_at.astimezone(dt.timezone.utc).isoformat()}"
    return "csv-" + hashlib.sha256(key.encode()).hexdigest()[:32]


def _store(versions: list[tuple[int, StatusEvent]], source: str, result: CsvResult) -> None:
    """Store one event, given by one or more rows of the file."""
    (line, event), *others = versions
    if any(other != event for _, other in others):
        lines = [n for n, _ in versions]
        for n in lines:
            elsewhere = ", ".join(str(m) for m in lines if m != n)
            result.rejected.append((n, f"the same event as line {elsewhere} with different content"))
        return
    result.duplicates += len(others)
    if belongs_to_another(event.dossier_code, source):
        result.rejected.append((line, "dossier_code: this dossier is reported by another source system"))
        return
    outcome = correct_event(event, source).outcome
    if outcome is Correction.UNKNOWN:
        if apply_event(event, source).duplicate:
            result.duplicates += 1
        else:
            result.accepted += 1
    elif outcome is Correction.CORRECTED:
        result.corrected += 1
    elif outcome is Correction.SAME:
        result.duplicates += 1
    else:
        result.rejected.append((line, "event_id: already used for another dossier or time"))

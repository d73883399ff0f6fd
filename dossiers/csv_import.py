"""CSV import, for offices whose one-stop system can only export files.

Columns are the fields of the push API's event (``dossier_code``, ``status``,
``occurred_at``...). ``event_id`` may be left empty: it is then derived from
the row, so importing the same file twice stores nothing new. Good rows are
stored; bad rows are reported by line number and reason.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field

from pydantic import ValidationError

from database import session_scope
from dossiers.events import StatusEvent
from dossiers.models import ImportReport
from dossiers.store import apply_event


@dataclass
class CsvResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def import_csv(text: str, source: str) -> CsvResult:
    result = CsvResult()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or "dossier_code" not in reader.fieldnames:
        result.rejected.append((1, "header must name the columns, including dossier_code"))
        return result
    for row in reader:
        line = reader.line_num
        values = {k.strip(): (v or "").strip() for k, v in row.items() if k and (v or "").strip()}
        values.setdefault("event_id", _row_id(values))
        try:
            event = StatusEvent.model_validate(values)
        except ValidationError as exc:
            reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            result.rejected.append((line, reasons))
            continue
        outcome = apply_event(event, source)
        if outcome.duplicate:
            result.duplicates += 1
        else:
            result.accepted += 1
    with session_scope() as session:
        session.add(ImportReport(source=source, accepted=result.accepted, rejected=result.rejected))
    return result


def _row_id(values: dict[str, str]) -> str:
    key = "|".join(values.get(k, "") for k in ("dossier_code", "status", "occurred_at"))
    return "csv-" + hashlib.sha256(key.encode()).hexdigest()[:32]

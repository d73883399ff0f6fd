"""CSV import: corrections by a re-export, contradictions inside one file,
ownership, on SQLite and PostgreSQL."""

import datetime as dt

from sqlalchemy import func, select, update

from database import session_scope
from dossiers import store
from dossiers.csv_import import import_csv
from dossiers.models import DossierEvent, ImportReport, Notification

CODE = "H29.22-240903-0007"
HEADER = "dossier_code,status,occurred_at,appointment_on,note\n"
RECEIVED = f"{CODE},received,2024-09-03T08:00:00+07:00,2024-09-10,\n"


def _count(model) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(model))


def _notifications() -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(Notification.state).order_by(Notification.id)))


def test_a_re_export_that_moves_the_appointment_corrects_the_mirror(database_url):
    """The fault: the corrected row had the same derived id and was dropped as a duplicate."""
    import_csv(HEADER + RECEIVED, "office-b")
    moved = import_csv(HEADER + RECEIVED.replace("2024-09-10", "2024-09-20"), "office-b")
    assert (moved.accepted, moved.corrected, moved.duplicates, moved.rejected) == (0, 1, 0, [])
    assert store.lookup(CODE).appointment_on == dt.date(2024, 9, 20)
    assert _count(DossierEvent) == 1


def test_an_identical_row_stores_nothing(database_url):
    store.subscribe(CODE, "telegram:42", "telegram")
    first = import_csv(HEADER + RECEIVED, "office-b")
    assert (first.accepted, _notifications()) == (1, ["pending"])
    again = import_csv(HEADER + RECEIVED, "office-b")
    assert (again.accepted, again.corrected, again.duplicates) == (0, 0, 1)
    assert (_count(DossierEvent), _notifications()) == (1, ["pending"])


def test_a_corrected_status_is_told_again_to_subscribers(database_url):
    store.subscribe(CODE, "telegram:42", "telegram")
    import_csv(HEADER + RECEIVED, "office-b")
    with session_scope() as session:
        session.execute(update(Notification).values(state="sent"))
    fixed = import_csv(HEADER + RECEIVED.replace("received", "supplement_required"), "office-b")
    assert fixed.corrected == 1
    view = store.lookup(CODE)
    assert view.status == "supplement_required"
    assert [h.status for h in view.history] == ["supplement_required"]
    assert _notifications() == ["pending"]


def test_an_older_row_corrects_the_history_only(database_url):
    later = f"{CODE},processing,2024-09-05T08:00:00+07:00,2024-09-12,\n"
    import_csv(HEADER + RECEIVED + later, "office-b")
    corrected = f"{CODE},supplement_required,2024-09-03T08:00:00+07:00,2024-09-30,Thiếu ảnh\n"
    fixed = import_csv(HEADER + corrected, "office-b")
    assert fixed.corrected == 1
    view = store.lookup(CODE)
    assert (view.status, view.appointment_on) == ("processing", dt.date(2024, 9, 12))
    assert [(h.status, h.note) for h in view.history] == [("supplement_required", "Thiếu ảnh"), ("processing", None)]


def test_rows_of_one_file_that_contradict_each_other_are_reported_by_line(database_url):
    text = (
        HEADER
        + RECEIVED
        + "G01.912.000-241012-0105,processing,2024-10-12T08:00:00+07:00,2024-10-20,\n"
        + RECEIVED.replace("2024-09-10", "2024-09-20")
        + RECEIVED
    )
    result = import_csv(text, "office-b")
    assert [line for line, _ in result.rejected] == [2, 4, 5]
    assert "line 4, 5" in result.rejected[0][1]
    assert "different content" in result.rejected[0][1]
    assert store.lookup(CODE) is None
    assert result.accepted == 1
    with session_scope() as session:
        report = session.scalar(select(ImportReport))
    assert [line for line, _ in report.rejected] == [2, 4, 5]


def test_identical_rows_of_one_file_are_stored_once(database_url):
    result = import_csv(HEADER + RECEIVED + RECEIVED, "office-b")
    assert (result.accepted, result.duplicates, result.rejected) == (1, 1, [])


def test_the_same_instant_written_in_another_time_zone_is_the_same_row(database_url):
    import_csv(HEADER + RECEIVED, "office-b")
    utc = import_csv(HEADER + f"{CODE.lower()},received,2024-09-03T01:00:00+00:00,2024-09-10,\n", "office-b")
    assert (utc.accepted, utc.duplicates) == (0, 1)


def test_an_office_imports_only_its_own_dossiers(database_url):
    import_csv(HEADER + RECEIVED, "office-b")
    other = import_csv(HEADER + RECEIVED.replace("2024-09-10", "2024-12-31"), "office-c")
    assert other.rejected == [(2, "dossier_code: this dossier is reported by another source system")]
    assert store.lookup(CODE).appointment_on == dt.date(2024, 9, 10)


def test_an_event_id_reused_for_another_dossier_is_rejected(database_url):
    header = "event_id,dossier_code,status,occurred_at\n"
    import_csv(header + f"ev-1,{CODE},received,2024-09-03T08:00:00+07:00\n", "office-b")
    reused = import_csv(header + "ev-1,G01.912.000-241012-0105,received,2024-10-12T08:00:00+07:00\n", "office-b")
    assert reused.rejected == [(2, "event_id: already used for another dossier or time")]
    assert store.lookup("G01.912.000-241012-0105") is None

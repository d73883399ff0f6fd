"""Second factor, lock-out, subscriptions and CSV import, on SQLite and PostgreSQL."""

import datetime as dt

from dossiers import store
from dossiers.csv_import import import_csv
from dossiers.events import StatusEvent

CODE = "000.00.15.H29-240301-0012"


def _seed(last4: str = "4321") -> None:
    store.apply_event(
        StatusEvent(
            event_id="e1",
            dossier_code=CODE,
            status="supplement_required",
            occurred_at=dt.datetime(2024, 3, 2, 9, tzinfo=dt.timezone.utc),
            note="Thiếu bản sao giấy chứng sinh",
            applicant_phone_last4=last4,
        ),
        "province-a",
    )


def test_second_factor_right_wrong_and_lock_out(database_url):
    _seed()
    assert store.check_second_factor("conv-1", CODE, "4321").ok
    first = store.check_second_factor("conv-2", CODE, "0000")
    assert (first.ok, first.attempts_left) == (False, 2)
    store.check_second_factor("conv-2", CODE, "1111")
    third = store.check_second_factor("conv-2", CODE, "2222")
    assert third.locked
    assert store.check_second_factor("conv-2", CODE, "4321").locked  # even the right digits, while locked
    assert store.check_second_factor("conv-3", CODE, "4321").ok  # per conversation


def test_the_phone_digits_are_never_stored_in_clear(database_url):
    _seed("9876")
    from database import session_scope
    from dossiers.models import Dossier

    with session_scope() as session:
        row = session.get(Dossier, CODE)
        assert "9876" not in (row.second_factor_hash or "")
        assert len(row.second_factor_hash) == 64


def test_subscribe_unsubscribe(database_url):
    assert store.subscribe(CODE, "conv-1", "telegram")
    assert not store.subscribe(CODE, "conv-1", "telegram")
    assert store.unsubscribe("conv-1") == 1
    assert store.unsubscribe("conv-1") == 0


def test_csv_import_stores_good_rows_and_reports_bad_rows_by_line(database_url):
    text = (
        "dossier_code,status,occurred_at,appointment_on,note\n"
        "H29.22-240903-0007,received,2024-09-03T08:00:00+07:00,2024-09-10,\n"
        "not-a-code,received,2024-09-03T08:00:00+07:00,,\n"
        "G01.912.000-241012-0105,processing,2024-10-12T08:00:00+07:00,2024-10-20,Đang thẩm định\n"
        "G01.912.000-241012-0106,flying,2024-10-12T08:00:00+07:00,,\n"
        "H29.22-240904-0008,result_ready,yesterday,,\n"
    )
    result = import_csv(text, "office-b")
    assert result.accepted == 2
    assert [line for line, _ in result.rejected] == [3, 5, 6]
    assert "dossier_code" in result.rejected[0][1]
    assert "status" in result.rejected[1][1]
    assert store.lookup("G01.912.000-241012-0105").note == "Đang thẩm định"
    again = import_csv(text, "office-b")
    assert (again.accepted, again.duplicates) == (0, 2)

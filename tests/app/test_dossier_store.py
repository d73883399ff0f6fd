"""Second factor, lock-out, subscriptions and CSV import, on SQLite and PostgreSQL."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from database import session_scope
from dossiers import store
from dossiers.csv_import import import_csv
from dossiers.events import StatusEvent
from dossiers.models import RateCounter
from settings import get_settings

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


def _hash() -> str | None:
    return store.lookup(CODE).second_factor_hash


def test_second_factor_right_and_wrong(database_url):
    _seed()
    assert store.check_second_factor(CODE, "4321", _hash()).ok
    wrong = store.check_second_factor(CODE, "0000", _hash())
    assert (wrong.ok, wrong.locked, wrong.attempts_left) == (False, False, 4)


def test_the_limit_follows_the_dossier_not_the_conversation(database_url):
    """The attack: a new conversation every few guesses. The guard has no
    conversation in it at all: five failures lock the dossier for everyone."""
    _seed()
    results = [store.check_second_factor(CODE, f"{n:04d}", _hash()) for n in range(5)]
    assert [r.attempts_left for r in results] == [4, 3, 2, 1, 0]
    assert results[-1].locked
    assert store.details_locked(CODE)
    after = store.check_second_factor(CODE, "4321", _hash())
    assert (after.ok, after.locked) == (False, True)  # even the right digits, until the office unlocks


def test_a_success_does_not_give_a_guesser_new_tries(database_url):
    _seed()
    for n in range(3):
        store.check_second_factor(CODE, f"{n:04d}", _hash())
    assert store.check_second_factor(CODE, "4321", _hash()).ok
    assert store.check_second_factor(CODE, "0009", _hash()).attempts_left == 1


def test_only_the_office_unlocks(database_url):
    _seed()
    for n in range(5):
        store.check_second_factor(CODE, f"{n:04d}", _hash())
    assert store.unlock_details(CODE)
    assert not store.details_locked(CODE)
    assert store.check_second_factor(CODE, "4321", _hash()).ok
    assert not store.unlock_details(CODE)  # nothing to unlock


def test_without_a_hash_from_the_source_nothing_matches(database_url):
    _seed()
    assert not store.check_second_factor(CODE, "4321", None).ok


def test_parallel_guesses_compare_no_more_than_the_limit(database_url, monkeypatch):
    """30 guesses at once (threads, one connection each) make at most 5
    comparisons: the attempt is reserved atomically before comparing."""
    _seed()
    compared = []
    real_hash = store.second_factor_hash

    def counting_hash(code: str, last4: str) -> str:
        compared.append(last4)
        return real_hash(code, last4)

    monkeypatch.setattr(store, "second_factor_hash", counting_hash)
    expected = _hash()
    with ThreadPoolExecutor(max_workers=30) as pool:
        results = list(pool.map(lambda n: store.check_second_factor(CODE, f"{n:04d}", expected), range(1000, 1030)))
    assert len(compared) == 5
    assert sum(not r.locked for r in results) == 4
    assert store.details_locked(CODE)


def test_look_ups_are_limited_per_conversation(database_url, monkeypatch):
    monkeypatch.setenv("TTHC_LOOKUPS_PER_HOUR", "3")
    get_settings.cache_clear()
    assert [store.allow_lookup("web:a") for _ in range(4)] == [True, True, True, False]
    assert store.allow_lookup("web:b")


def test_rate_counters_store_no_conversation_id(database_url):
    store.allow_lookup("telegram:123456789")
    with session_scope() as session:
        keys = session.scalars(select(RateCounter.key)).all()
    assert keys and all("123456789" not in key for key in keys)


def test_the_phone_digits_are_never_stored_in_clear(database_url):
    _seed("9876")
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

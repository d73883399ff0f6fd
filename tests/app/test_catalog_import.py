"""Importing the national catalog: all or nothing, idempotent, withdrawn not deleted."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import func, select

from database import session_scope
from knowledge import catalog_store
from knowledge.models import CatalogEntry
from nlu.card_source import CardSource
from settings import ROOT


def portal(
    code: str,
    name: str,
    kind: str = "STANDARD",
    authority: str = "Bộ Tư pháp",
    targets: tuple[str, ...] = ("Công dân Việt Nam",),
) -> str:
    """A line as the portal's catalog export writes it."""
    return json.dumps(
        {
            "id": f"page-{code}",
            "name": name,
            "code": code,
            "codeNotation": code,
            "categories": ["Hộ tịch"],
            "categoryIds": ["x"],
            "departments": ["Ủy ban nhân dân cấp xã", ""],
            "departmentPromulgate": authority,
            "departmentPromulgateId": "y",
            "formalityTargetType": list(targets),
            "state": "ACTIVE",
            "type": kind,
        },
        ensure_ascii=False,
    )


EXPORT = [
    portal("1.000001", "Đăng ký giám hộ"),
    portal("2.000002", "Cấp lại thẻ ABTC", authority="Bộ Công an"),
    portal("3.000003", "Hỗ trợ doanh nghiệp bán dẫn", "SPECIFIC", "UBND Thành phố Huế"),
]


def entries() -> dict[str, CatalogEntry]:
    with session_scope() as session:
        return {e.code: e for e in session.scalars(select(CatalogEntry))}


def test_import_maps_the_portal_export(database_url):
    result = catalog_store.import_catalog(EXPORT)
    assert (result.added, result.errors) == (3, [])
    stored = entries()
    assert stored["3.000003"].scope == "provincial" and stored["3.000003"].province == "Huế"
    assert stored["1.000001"].agencies == ["Ủy ban nhân dân cấp xã"]  # the empty agency is dropped
    assert catalog_store.portal_url(stored["1.000001"]).endswith("/thu-tuc-hanh-chinh/page-1.000001")


def test_who_may_file_an_entry_reaches_the_matcher(database_url):
    """From the app database (a JSON column: text in SQLite, a list in PostgreSQL):
    an entry only organisations file ranks after one a person may file."""
    catalog_store.import_catalog(
        [
            portal("1.000001", "Đăng ký trại nuôi ong mật", targets=("Doanh nghiệp", "Hợp tác xã")),
            portal("1.000002", "Đăng ký trại nuôi ong rừng"),
        ]
    )
    match = CardSource(database_url).matcher().match("đăng ký trại nuôi ong")
    assert [c.code for c in match.catalog] == ["1.000002", "1.000001"]


def test_reimport_is_idempotent(database_url):
    catalog_store.import_catalog(EXPORT)
    again = catalog_store.import_catalog(EXPORT)
    assert (again.added, again.updated, again.unchanged, again.withdrawn) == (0, 0, 3, 0)
    assert {e.version for e in entries().values()} == {1}


def test_a_changed_name_bumps_the_version(database_url):
    catalog_store.import_catalog(EXPORT)
    changed = [portal("1.000001", "Thủ tục đăng ký giám hộ"), *EXPORT[1:]]
    assert catalog_store.import_catalog(changed).updated == 1
    assert entries()["1.000001"].version == 2


def test_an_entry_missing_from_a_newer_export_is_withdrawn_not_deleted(database_url):
    catalog_store.import_catalog(EXPORT)
    assert catalog_store.import_catalog(EXPORT[:2]).withdrawn == 1
    assert entries()["3.000003"].withdrawn
    assert catalog_store.get_entry("3.000003") is None
    assert catalog_store.import_catalog(EXPORT).updated == 1  # back again
    assert catalog_store.get_entry("3.000003") is not None


def test_malformed_lines_are_reported_by_number_and_nothing_changes(database_url):
    catalog_store.import_catalog(EXPORT)
    bad = [
        EXPORT[0],
        "{not json",
        json.dumps({"name": "Không có mã", "type": "STANDARD", "state": "ACTIVE"}),
        portal("1.0133611", "Mã sai dạng"),
        portal("1.000009", "Loại lạ", kind="WHATEVER"),
        portal("1.000001", "Trùng mã"),
    ]
    result = catalog_store.import_catalog(bad)
    assert [line for line, _ in result.errors] == [2, 3, 4, 5, 6]
    assert "already on line 1" in result.errors[-1][1]
    assert (result.added, result.updated, result.withdrawn) == (0, 0, 0)
    assert not any(e.withdrawn for e in entries().values())


def test_export_then_import_round_trips_in_the_derived_format(database_url, tmp_path):
    catalog_store.import_catalog(EXPORT)
    path = tmp_path / "catalog.jsonl.gz"
    assert catalog_store.export_catalog(path) == 3
    derived = list(catalog_store.read_lines(path))
    assert json.loads(derived[0])["scope"] == "national"
    assert catalog_store.import_catalog(derived).unchanged == 3


def test_the_shipped_catalog_imports(database_url):
    result = catalog_store.import_catalog(catalog_store.read_lines(catalog_store.SHIPPED))
    assert result.errors == [] and result.added > 5000
    with session_scope() as session:
        unnamed = session.scalar(select(func.count()).where(CatalogEntry.name == ""))
        provincial = session.scalars(select(CatalogEntry).where(CatalogEntry.scope == "provincial")).all()
    assert unnamed == 0
    assert provincial and all(e.province for e in provincial)


def test_the_command_exits_1_with_the_line_numbers(database_url, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(EXPORT[0] + "\n{oops\n", encoding="utf-8")
    command = [sys.executable, "-m", "knowledge", "import-catalog", str(path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=_env(database_url))
    assert done.returncode == 1
    assert "line 2: not JSON" in done.stderr


def _env(database_url: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TTHC_DATABASE_URL": database_url}


def test_the_province_is_read_from_any_issuer_name():
    assert catalog_store.province_of("UBND tỉnh Bắc Ninh") == "Bắc Ninh"
    assert catalog_store.province_of("UBND Thành phố Huế") == "Huế"
    assert catalog_store.province_of("Sở Xây dựng - tỉnh Quảng Ngãi") == "Quảng Ngãi"
    assert catalog_store.province_of("Trung tâm phục vụ hành chính công Thành phố Hà Nội") == "Hà Nội"


def _attached() -> list[tuple[str, str, str]]:
    return [(q.code, q.text, q.added_by) for q in catalog_store.attached_questions()]


def test_attached_questions_move_to_a_new_database_and_a_bad_file_changes_nothing(database_url, tmp_path):
    """An editor's attached questions live in the database only: exported and imported
    back (a move, a restore), once each however often; a file with a bad item adds none."""
    catalog_store.import_catalog(EXPORT)
    with session_scope() as session:
        assert catalog_store.attach_question("1.000001", "xin làm người giám hộ cho cháu ở đâu", "bien.tap", session)
        assert catalog_store.attach_question("2.000002", "mất thẻ apec làm lại sao", "bien.tap", session)
    path = tmp_path / "questions.yaml"
    assert catalog_store.export_questions(path) == 2
    before = _attached()
    with session_scope() as session:
        for question in catalog_store.attached_questions():
            catalog_store.remove_question(question.id, session)
    assert _attached() == []
    assert catalog_store.import_questions(path) == (2, [])
    assert sorted(_attached()) == sorted(before)
    assert catalog_store.import_questions(path) == (0, [])
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "- {code: '1.000001', text: 'câu mới'}\n- {code: '9.999999', text: 'mã lạ'}\n- {code: '1.000001'}\n",
        encoding="utf-8",
    )
    added, errors = catalog_store.import_questions(bad)
    assert added == 0 and [(e.number, e.kind, e.field) for e in errors] == [(3, "missing", "text")]  # nothing touched
    bad.write_text("- {code: '1.000001', text: 'câu mới'}\n- {code: '9.999999', text: 'mã lạ'}\n", encoding="utf-8")
    added, errors = catalog_store.import_questions(bad)
    assert added == 0 and [str(e) for e in errors] == ["question 2: code 9.999999 is not in force in the catalog"]
    assert sorted(_attached()) == sorted(before)
    command = [sys.executable, "-m", "knowledge", "import-questions", str(bad)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=_env(database_url))
    assert done.returncode == 1 and "question 2: code 9.999999" in done.stderr

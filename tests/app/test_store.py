"""The knowledge store on SQLite and PostgreSQL: import, edit, export."""

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from database import session_scope
from knowledge import store
from knowledge.loader import CARDS_DIR
from knowledge.models import CardRevision
from knowledge.schema import ProcedureCard


def _copy_seed(tmp_path: Path) -> Path:
    target = tmp_path / "cards"
    shutil.copytree(CARDS_DIR, target)
    return target


def _files(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.yaml"))


def test_import_loads_every_card_and_is_idempotent(database_url, tmp_path):
    seed = _copy_seed(tmp_path)
    assert store.import_files(_files(seed)).changed == len(_files(seed))
    assert store.import_files(_files(seed)).changed == 0
    card = store.get_card("procedure", "khai-sinh")
    assert isinstance(card, ProcedureCard)
    assert store.find_by_short_code("ks") == card


def test_malformed_card_is_rejected_with_file_and_field_and_nothing_is_lost(database_url, tmp_path):
    seed = _copy_seed(tmp_path)
    store.import_files(_files(seed))
    before = store.get_card("procedure", "khai-sinh")

    path = seed / "procedures" / "khai-sinh.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["fees"] = [{"channel": "by-pigeon", "text": "0"}]
    raw["summary"] = "Đã sửa"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")

    with pytest.raises(store.CardImportError) as caught:
        store.import_files(_files(seed))
    message = str(caught.value)
    assert "khai-sinh.yaml" in message
    assert "fees.0.channel" in message
    assert store.get_card("procedure", "khai-sinh") == before


def test_unknown_reference_and_duplicate_short_code_are_rejected(database_url, tmp_path):
    seed = _copy_seed(tmp_path)
    store.import_files(_files(seed))
    card = store.get_card("procedure", "khai-tu")
    with pytest.raises(store.CardImportError, match="short_code"):
        store.save_card(card.model_copy(update={"short_code": "KS"}), author="test")
    with pytest.raises(store.CardImportError, match="unknown procedure"):
        store.save_card(card.model_copy(update={"related": ["khong-co"]}), author="test")


def test_edit_keeps_a_revision_and_export_round_trips(database_url, tmp_path):
    seed = _copy_seed(tmp_path)
    store.import_files(_files(seed))
    card = store.get_card("procedure", "khai-sinh")
    assert store.save_card(card.model_copy(update={"time": "Ngay trong ngày."}), author="editor")
    assert store.get_card("procedure", "khai-sinh").time == "Ngay trong ngày."
    with session_scope() as session:
        revisions = session.scalars(select(CardRevision).where(CardRevision.id == "khai-sinh")).all()
    assert [(r.version, r.author) for r in revisions] == [(1, "seed"), (2, "editor")]

    out = tmp_path / "export"
    assert store.export_cards(out) == len(_files(seed))
    exported = yaml.safe_load((out / "procedures" / "khai-sinh.yaml").read_text(encoding="utf-8"))
    assert exported["time"] == "Ngay trong ngày."
    assert ProcedureCard.model_validate(exported).id == "khai-sinh"


def test_reseeding_keeps_a_card_edited_in_the_database_unless_forced(database_url, tmp_path):
    seed = _copy_seed(tmp_path)
    store.import_files(_files(seed))
    card = store.get_card("procedure", "khai-sinh")
    store.save_card(card.model_copy(update={"time": "Ngay trong ngày."}), author="editor")

    path = seed / "procedures" / "khai-sinh.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["summary"] = "Sửa trong tệp hạt giống"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")

    result = store.import_files(_files(seed))
    assert (result.changed, result.kept) == (0, ["procedure/khai-sinh"])
    assert store.get_card("procedure", "khai-sinh").time == "Ngay trong ngày."

    forced = store.import_files(_files(seed), force=True)
    assert forced.changed == 1
    assert store.get_card("procedure", "khai-sinh").summary == "Sửa trong tệp hạt giống"

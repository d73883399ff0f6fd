"""The seed cards: every catalog id has one, and each passes validation."""

from knowledge.catalog import get_catalog
from knowledge.loader import card_files
from knowledge.schema import LifeEventCard, ProcedureCard
from knowledge.store import missing_catalog_ids, validate_files


def test_every_card_file_is_valid():
    cards, errors = validate_files()
    assert [str(e) for e in errors] == []
    assert len(cards) == len(card_files())


def test_every_catalog_id_has_a_card():
    cards, _ = validate_files()
    assert missing_catalog_ids(cards) == []
    catalog = get_catalog()
    assert len([c for c in cards if isinstance(c, ProcedureCard)]) >= len(catalog.procedures)
    assert len([c for c in cards if isinstance(c, LifeEventCard)]) >= len(catalog.life_events)


def test_every_card_says_when_it_was_reviewed_and_where_from():
    cards, _ = validate_files()
    for card in cards:
        assert card.reviewed_at.year >= 2025, card.id
        assert card.source.strip(), card.id


def test_life_events_list_their_procedures_in_order():
    cards, _ = validate_files()
    events = {c.id: c for c in cards if isinstance(c, LifeEventCard)}
    birth = [step.procedure for step in events["sinh-con"].steps]
    assert birth[0] == "lien-thong-khai-sinh"
    assert birth.index("khai-sinh") < birth.index("thuong-tru") < birth.index("bhyt-tre-em")

"""Procedures without a card: what the national catalog says of them, which
one the citizen means, or an honest "em chưa có thông tin" — never the
nearest unrelated card."""

from __future__ import annotations

import functools

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import candidates_of, entity
from actions.handoff import offer_person, said_before_this_message
from actions.responses import send
from knowledge import catalog_store, store
from knowledge.answers import CatalogFacts, answer_catalog_entry, ask_which_of, card_choice, payload
from knowledge.schema import ProcedureCard
from knowledge.unanswered import ABSTENTIONS, record_unanswered
from nlu.matcher import (
    CANDIDATE_SCORE,
    CARD_PREFERENCE,
    CONFIDENT_SCORE,
    CatalogText,
    codes_by_name,
    is_confident,
    sibling_key,
)
from settings import get_settings


def catalog_candidates(tracker: Tracker) -> list[dict]:
    return tracker.latest_message.get("catalog_candidates") or []


def beaten_by_catalog(tracker: Tracker) -> bool:
    """Whether the best match of the message is a catalog entry without a card
    (with a card in context, only a confident one: "còn lệ phí thì sao" is a follow-up).
    A card without a national code is never among the catalog candidates: it
    wins when it scores above them."""
    candidates = catalog_candidates(tracker)
    if not candidates or candidates[0].get("card") is not None:
        return False
    cards = candidates_of(tracker)
    if cards and cards[0]["score"] > candidates[0]["score"]:
        return False
    return not tracker.get_slot("procedure") or candidates[0]["score"] >= CONFIDENT_SCORE


def facts(code: str) -> CatalogFacts | None:
    entry = catalog_store.get_entry(code)
    if entry is None:
        return None
    province = entry.province if entry.scope == "provincial" else None
    return CatalogFacts(
        entry.code,
        entry.name,
        tuple(entry.agencies),
        tuple(entry.targets),
        province,
        catalog_store.portal_url(entry),
    )


@functools.lru_cache(maxsize=2)
def _codes_by_name(catalog_version: tuple, home_province: str | None) -> dict[str, list[str]]:
    return codes_by_name((CatalogText(*row) for row in catalog_store.names_in_force()), home_province)


def same_name(code: str, name: str) -> list[str]:
    """The other codes of an entry's name: the same procedure at other levels or
    with other agencies (other provinces' own procedures left out), as the
    matcher groups them (``nlu.matcher.codes_by_name``)."""
    by_name = _codes_by_name(catalog_store.version(), get_settings().province)
    return [other for other in by_name.get(sibling_key(name), []) if other != code]


def foreign_variant(card_name: str) -> CatalogFacts | None:
    """The national procedure a card's is when a foreigner takes part ("Đăng ký
    kết hôn" -> "Thủ tục đăng ký kết hôn có yếu tố nước ngoài"), if the catalog has it."""
    by_name = _codes_by_name(catalog_store.version(), get_settings().province)
    codes = by_name.get(sibling_key(f"{card_name} có yếu tố nước ngoài"), [])
    return next((found for found in map(facts, codes) if found is not None), None)


def point_to_foreign_variant(dispatcher: CollectingDispatcher, card_name: str) -> None:
    """After a card's answer to a message that names a foreign party: the card is
    the home procedure; name the one with a foreign element, with a button to it."""
    variant = foreign_variant(card_name)
    if variant is None:
        return
    button = {"title": "Xem thủ tục này", "payload": payload("ask_procedure", catalog_code=variant.code)}
    dispatcher.utter_message(response="utter_foreign_variant", name=variant.name, code=variant.code, buttons=[button])


def answer_entry(dispatcher: CollectingDispatcher, code: str) -> bool:
    """Answer a catalog entry by code, with the entries of the same name;
    False when the catalog has no such entry."""
    found = facts(code)
    if found is None:
        return False
    elsewhere = [f for f in map(facts, same_name(found.code, found.name)) if f is not None]
    send(dispatcher, answer_catalog_entry(found, get_settings().province, elsewhere))
    return True


def answer_without_card(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The message is about no card: the catalog entry it clearly names, a
    choice among the likeliest, or an honest abstention."""
    chosen = entity(tracker, "catalog_code")
    if chosen and answer_entry(dispatcher, chosen):
        return
    candidates = catalog_candidates(tracker)
    if not candidates:
        _abstain(dispatcher, tracker)
        return
    top = candidates[0]
    if (
        top.get("card") is None
        and is_confident([c["score"] for c in candidates])
        and answer_entry(dispatcher, top["code"])
    ):
        return
    aspect = entity(tracker, "aspect")
    send(dispatcher, ask_which_of([_choice(c, aspect) for c in candidates[:3]]))


def likeliest(tracker: Tracker, aspect: str | None, count: int = 3) -> list[tuple[str, str]]:
    """What an unsure match offers, best first, as (payload, name): the card
    candidates and, ranked among them by score, the catalog entries without a card
    that come close to the best card (``CARD_PREFERENCE``, the margin within which
    the NLU names a card over an entry) from ``CANDIDATE_SCORE`` up. "Mất bằng lái
    xe thì làm lại thế nào" names the licence renewal card, unsure; "Cấp lại giấy
    phép lái xe", with no card, scores as much. The card the NLU named stays first.
    (The same procedure as a card's at another level is the card's: the matcher
    never lists it, ``nlu.matcher.cards_of_codes``.)"""
    cards = [(c["score"], c["id"], card) for c in candidates_of(tracker) if (card := _procedure_card(c["id"]))]
    if not cards:
        return []
    floor = max(CANDIDATE_SCORE, cards[0][0] * CARD_PREFERENCE)
    entries = [
        (c["score"], c["code"], c["name"])
        for c in catalog_candidates(tracker)
        if c.get("card") is None and c["score"] >= floor
    ]
    named = entity(tracker, "procedure")
    options = [(score, card_id != named, card_choice(card_id, aspect), card.name) for score, card_id, card in cards]
    options += [(score, True, payload("ask_procedure", catalog_code=code), name) for score, code, name in entries]
    options.sort(key=lambda o: (o[1], -o[0]))
    return [(choice, name) for _, _, choice, name in options[:count]]


def _procedure_card(card_id: str) -> ProcedureCard | None:
    card = store.current_card("procedure", card_id)
    return card if isinstance(card, ProcedureCard) else None


def _abstain(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """No procedure matches: say so (a private matter is named as one), keep
    the question for the editors, and offer a person when the citizen insists."""
    everyday = tracker.latest_message.get("everyday_matter")
    reason, response = ("everyday", "utter_not_a_procedure") if everyday else ("abstain", "utter_abstain")
    channel = tracker.get_latest_input_channel() or "unknown"
    record_unanswered(tracker.latest_message.get("text") or "", channel, reason)
    if any(said_before_this_message(tracker, said) for said in ABSTENTIONS):  # the citizen insists
        offer_person(dispatcher, tracker, "abstained")
    else:
        dispatcher.utter_message(response=response)


def _choice(candidate: dict, aspect: str | None) -> tuple[str, str]:
    """A button for a card (carrying the aspect asked, ``card_choice``) or a catalog entry."""
    card_id = candidate.get("card")
    if card_id is not None:
        card = store.current_card("procedure", card_id)
        return card_choice(card_id, aspect), card.name if card else candidate["name"]
    return payload("ask_procedure", catalog_code=candidate["code"]), candidate["name"]

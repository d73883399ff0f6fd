"""The unanswered-questions page: similar questions grouped, with counts,
channels and first/last seen; what the matcher answers for each *now* (the
same matcher the assistant runs, over the current cards, so an editor sees a
fix work); and the actions: attach the question to a card as an example
(published at once, matched within seconds) or to a national catalog entry
without a card (matched within seconds too; reviewed and taken off on their
own page), mark it a private matter that no procedure answers (likewise),
start a new card from it, or mark it handled."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from console import audit
from console.auth import current_user, requires_role
from console.pages import render
from database import session_scope
from knowledge import catalog_store, drafts, everyday_questions, store, unanswered
from knowledge.schema import ProcedureCard
from nlu.card_source import CardSource
from nlu.matcher import ABSTAIN_SCORE, CARD_SCORE
from nlu.text import fold
from settings import get_settings

MAX_GROUPS = 100


@dataclass(frozen=True)
class Now:
    """What the matcher gives a question at this moment."""

    card: str | None  # the card named (id), when a card is the best answer
    card_name: str | None
    candidates: list[tuple[str, float]]  # (name, score), cards and catalog entries
    catalog: str | None  # the catalog entry offered instead, if any
    catalog_code: str | None
    everyday: str | None = None  # the everyday matter it is taken for: nothing is offered


@lru_cache(maxsize=4)
def _source(database_url: str) -> CardSource:
    return CardSource(database_url, refresh_seconds=1.0, home_province=get_settings().province)


def matcher_now(text: str, names: dict[str, str]) -> Now:
    """The card the NLU would name (``nlu.procedure_matcher``'s rule with its default
    thresholds: a card at least ``CARD_SCORE`` that beats every catalog entry without a
    card above ``ABSTAIN_SCORE``), else the catalog entry it would offer."""
    found = _source(get_settings().database_url).matcher().match(text, limit=3)
    candidates = [(names.get(c.id, c.id), round(c.score, 2)) for c in found.procedures]
    if found.about_everyday_matter and found.everyday is not None:
        return Now(None, None, candidates, None, None, found.everyday.id)
    catalog = [c for c in found.catalog if c.score >= ABSTAIN_SCORE]
    best_other = next((c.score for c in catalog if c.card is None), 0.0)
    top = found.procedures[0] if found.procedures else None
    best = top.id if top is not None and top.score >= max(CARD_SCORE, best_other) else None
    entry = catalog[0] if catalog and best is None else None
    offered = f"{entry.code} · {entry.name}" if entry else None
    return Now(best, names.get(best) if best else None, candidates, offered, entry.code if entry else None)


def open_counts() -> dict[str, int]:
    return unanswered.open_counts_by_card()


@requires_role("editor")
async def page(request: Request) -> Response:
    status = request.query_params.get("status", "open")
    status = status if status in ("open", "attached", "handled") else "open"
    only_card = request.query_params.get("card", "")
    groups = unanswered.groups(status)
    if only_card:
        groups = [g for g in groups if only_card in _sum_cards(g)]
    procedures = sorted(
        ((c.id, c.name) for c in store.all_cards() if isinstance(c, ProcedureCard)), key=lambda p: fold(p[1])
    )
    names = dict(procedures)
    shown = [(g, matcher_now(g.lead.text, names)) for g in groups[:MAX_GROUPS]]
    return render(
        request, "unanswered.html", groups=shown, total=len(groups), status=status, procedures=procedures,
        reasons=unanswered.REASONS, notice=request.query_params.get("done", ""), only_card=only_card,
    )  # fmt: skip


def _sum_cards(group: unanswered.Group) -> set[str]:
    return {card for row in group.rows for card in row.cards}


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()][:500]


@requires_role("editor")
async def attach(request: Request) -> Response:
    """Add the group's question to a card's examples and publish it (a new revision)."""
    form = await request.form()
    ids = _ids([v for v in form.getlist("ids") if isinstance(v, str)])
    card_id, question = str(form.get("card_id", "")), str(form.get("question", "")).strip()
    card = store.get_card("procedure", card_id)
    rows = unanswered.get_rows(ids)
    if card is None or not rows or question not in {r.text for r in rows}:
        return render(request, "error.html", status_code=400, message="Anh/chị chọn một thẻ cho câu hỏi này.")
    account = current_user(request)
    assert account is not None
    examples = card.examples if question in card.examples else [*card.examples, question]
    with session_scope() as session:
        store.save_card(card.model_copy(update={"examples": examples}), account.username, session=session)
        draft = session.get(drafts.CardDraft, ("procedure", card_id))
        if draft is not None and question not in draft.data.get("examples", []):
            draft.data = {**draft.data, "examples": [*draft.data.get("examples", []), question]}
            draft.version += 1
        unanswered.close(ids, "attached", account.username, card_id, session=session)
        audit.record(session, account, "unanswered_attach", f"card:procedure/{card_id}", {"questions": len(ids)})
    return RedirectResponse("/unanswered?done=attached", status_code=303)


@requires_role("editor")
async def attach_to_catalog(request: Request) -> Response:
    """Attach the group's question to a catalog entry without a card: the matcher
    reads it as one more way of naming the entry."""
    chosen = await _chosen_question(request)
    if chosen is None:
        return render(request, "error.html", status_code=400, message="Không tìm thấy câu hỏi này.")
    ids, question, form = chosen
    code = str(form.get("code", "")).strip()
    account = current_user(request)
    assert account is not None
    with session_scope() as session:
        if not catalog_store.attach_question(code, question, account.username, session):
            message = f"Không có thủ tục mã “{code}” trong danh mục quốc gia. Anh/chị kiểm tra lại mã (ví dụ 1.001193)."
            return render(request, "error.html", status_code=400, message=message)
        unanswered.close(ids, "attached", account.username, f"catalog:{code}", session=session)
        audit.record(session, account, "unanswered_attach", f"catalog:{code}", {"questions": len(ids)})
    return RedirectResponse("/unanswered?done=attached-catalog", status_code=303)


@requires_role("editor")
async def catalog_questions(request: Request) -> Response:
    """The questions attached to catalog entries, to review and take off."""
    return render(
        request, "catalog_questions.html", questions=catalog_store.attached_questions(),
        notice=request.query_params.get("done", ""),
    )  # fmt: skip


@requires_role("editor")
async def remove_catalog_question(request: Request) -> Response:
    """Take a question off its entry; the citizens' questions it answered are open again."""

    def remove(question_id: int, session: Session) -> tuple[str, str] | None:
        removed = catalog_store.remove_question(question_id, session)
        return (f"catalog:{removed.code}", removed.text) if removed else None

    return await _take_off(request, remove, "catalog_question_removed", "/unanswered/catalog-questions?done=removed")


@requires_role("editor")
async def mark_everyday(request: Request) -> Response:
    """Mark the group's question a private matter: the matcher reads it as one,
    so it and questions like it get no card, and the assistant says so."""
    chosen = await _chosen_question(request)
    if chosen is None:
        return render(request, "error.html", status_code=400, message="Không tìm thấy câu hỏi này.")
    ids, question, _ = chosen
    account = current_user(request)
    assert account is not None
    with session_scope() as session:
        everyday_questions.mark(question, account.username, session)
        unanswered.close(ids, "attached", account.username, everyday_questions.TARGET, session=session)
        audit.record(session, account, "unanswered_everyday", everyday_questions.TARGET, {"questions": len(ids)})
    return RedirectResponse("/unanswered?done=everyday", status_code=303)


@requires_role("editor")
async def everyday_page(request: Request) -> Response:
    """The questions marked as private matters, to review and take off."""
    return render(
        request, "everyday_questions.html", questions=everyday_questions.marked(),
        notice=request.query_params.get("done", ""),
    )  # fmt: skip


@requires_role("editor")
async def unmark_everyday(request: Request) -> Response:
    """Take a question off the private matters; the citizens' questions it closed are open again."""

    def remove(question_id: int, session: Session) -> tuple[str, str] | None:
        removed = everyday_questions.unmark(question_id, session)
        return (everyday_questions.TARGET, removed.text) if removed else None

    return await _take_off(request, remove, "everyday_question_removed", "/unanswered/everyday-questions?done=removed")


async def _chosen_question(request: Request) -> tuple[list[int], str, FormData] | None:
    """The form's group of questions and its question, when the question is one of the group's."""
    form = await request.form()
    ids = _ids([v for v in form.getlist("ids") if isinstance(v, str)])
    question = str(form.get("question", "")).strip()
    rows = unanswered.get_rows(ids)
    if not rows or question not in {r.text for r in rows}:
        return None
    return ids, question, form


async def _take_off(
    request: Request, remove: Callable[[int, Session], tuple[str, str] | None], action: str, done: str
) -> Response:
    """Undo an attachment (``remove`` gives its target and question text): the
    citizens' questions it closed are open again, and the audit log says who."""
    form = await request.form()
    question_id = str(form.get("id", ""))
    account = current_user(request)
    assert account is not None
    with session_scope() as session:
        removed = remove(int(question_id), session) if question_id.isdigit() else None
        if removed is None:
            return render(request, "error.html", status_code=400, message="Không tìm thấy câu hỏi này.")
        target, text = removed
        reopened = unanswered.reopen(target, text, session)
        audit.record(session, account, action, target, {"reopened": reopened})
    return RedirectResponse(done, status_code=303)


@requires_role("editor")
async def handle(request: Request) -> Response:
    form = await request.form()
    ids = _ids([v for v in form.getlist("ids") if isinstance(v, str)])
    account = current_user(request)
    assert account is not None
    with session_scope() as session:
        closed = unanswered.close(ids, "handled", account.username, session=session)
        audit.record(session, account, "unanswered_handled", "unanswered", {"questions": closed})
    return RedirectResponse("/unanswered?done=handled", status_code=303)


routes = [
    Route("/unanswered", page, methods=["GET"]),
    Route("/unanswered/attach", attach, methods=["POST"]),
    Route("/unanswered/attach-catalog", attach_to_catalog, methods=["POST"]),
    Route("/unanswered/handled", handle, methods=["POST"]),
    Route("/unanswered/catalog-questions", catalog_questions, methods=["GET"]),
    Route("/unanswered/catalog-questions/remove", remove_catalog_question, methods=["POST"]),
    Route("/unanswered/everyday", mark_everyday, methods=["POST"]),
    Route("/unanswered/everyday-questions", everyday_page, methods=["GET"]),
    Route("/unanswered/everyday-questions/remove", unmark_everyday, methods=["POST"]),
]

"""The editors' card pages: the list, the edit form with its preview, drafts,
publishing, history with revert, and new cards from the national catalog.

Procedure cards live under ``/cards/<id>``, life-event cards under
``/life-events/<id>`` (the two kinds may share an id, e.g. ``ket-hon``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from console import audit, card_forms, unanswered_pages
from console.auth import current_user, requires_role
from console.card_forms import FormValues
from console.diffs import diff
from console.pages import render
from console.preview import preview
from database import session_scope
from knowledge import drafts, store
from knowledge.catalog_store import get_entry, portal_url
from knowledge.drafts import EditState, StaleEdit
from knowledge.models import CardRow, CatalogEntry
from knowledge.schema import Card, ProcedureCard
from nlu.text import fold
from settings import get_settings

BASES = {"procedure": "/cards", "life_event": "/life-events"}
KIND_LABELS = {"procedure": "Thủ tục", "life_event": "Sự kiện"}
STALE = (
    "Chưa lưu: thẻ vừa được người khác sửa sau khi anh/chị mở biểu mẫu. Nội dung anh/chị nhập vẫn còn nguyên "
    "dưới đây; anh/chị xem lại bản hiện tại (mục Lịch sử) rồi bấm lưu lần nữa nếu vẫn muốn thay."
)
NOTICES = {
    "draft": "Đã lưu bản nháp. Công dân chưa thấy thay đổi này cho đến khi xuất bản.",
    "published": "Đã xuất bản. Trợ lý trả lời theo nội dung mới trong vài giây.",
    "unchanged": "Không có gì thay đổi so với bản đang dùng.",
    "reverted": "Đã khôi phục phiên bản cũ (thành một phiên bản mới).",
    "discarded": "Đã bỏ bản nháp.",
}


def _kind(request: Request) -> str:
    return "procedure" if request.url.path.startswith("/cards") else "life_event"


def _user(request: Request) -> str:
    account = current_user(request)
    assert account is not None  # the guard ran
    return account.username


# -- The list -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListRow:
    card: Card
    href: str
    due: bool
    months: int
    has_draft: bool
    open_questions: int


def rows(today: dt.date | None = None) -> list[ListRow]:
    today = today or dt.date.today()
    months = get_settings().review_months
    with session_scope() as session:
        every_draft = {(d.kind, d.id): d.data for d in session.scalars(select(drafts.CardDraft))}
    with_drafts = set(every_draft)
    published = store.all_cards()
    # new cards not published yet are listed too (from their drafts), or no one would find them again
    unpublished = [store.to_card(kind, data) for (kind, _), data in every_draft.items() if data.get("id") is not None]
    known = {(c.kind, c.id) for c in published}
    cards = published + [c for c in unpublished if (c.kind, c.id) not in known]
    questions = unanswered_pages.open_counts()
    return [
        ListRow(
            card,
            f"{BASES[card.kind]}/{card.id}",
            card_forms.months_since(card.reviewed_at, today) >= months,
            card_forms.months_since(card.reviewed_at, today),
            (card.kind, card.id) in with_drafts,
            questions.get(card.id, 0) if card.kind == "procedure" else 0,
        )
        for card in sorted(cards, key=lambda c: (c.kind != "procedure", fold(c.name)))
    ]


def _matches(row: ListRow, q: str, field: str, event: str, older: str, no_code: bool, open_q: bool) -> bool:
    card = row.card
    if q:
        haystack = fold(" ".join([card.id, card.name, card.short_code, *card.aliases]))
        if not all(word in haystack for word in fold(q).split()):
            return False
    procedure = card if isinstance(card, ProcedureCard) else None
    if field and (procedure is None or procedure.field != field):
        return False
    if event and (procedure is None or event not in procedure.life_events) and card.id != event:
        return False
    if older.isdigit() and row.months < int(older):
        return False
    if no_code and (procedure is None or procedure.codes):
        return False
    return not (open_q and row.open_questions == 0)


@requires_role("editor")
async def card_list(request: Request) -> Response:
    params = request.query_params
    q, field, event = params.get("q", "").strip(), params.get("field", ""), params.get("life_event", "")
    kind = params.get("kind", "")
    older, no_code, open_q = params.get("older", ""), params.get("no_code") == "1", params.get("unanswered") == "1"
    every = rows()
    shown = [r for r in every if _matches(r, q, field, event, older, no_code, open_q) and kind in ("", r.card.kind)]
    fields = sorted({r.card.field for r in every if isinstance(r.card, ProcedureCard)}, key=fold)
    events = [(r.card.id, r.card.name) for r in every if r.card.kind == "life_event"]
    return render(
        request, "cards_list.html", rows=shown, total=len(every), fields=fields, events=events,
        filters={"q": q, "field": field, "life_event": event, "older": older, "no_code": no_code,
                 "unanswered": open_q},
        review_months=get_settings().review_months, kind_labels=KIND_LABELS,
    )  # fmt: skip


# -- Editing ----------------------------------------------------------------------------------------------


def _edit_page(
    request: Request,
    kind: str,
    card_id: str | None,
    values: FormValues,
    state: str,
    errors: card_forms.Errors | None = None,
    message: str | None = None,
    status_code: int = 200,
    shown: Card | None = None,
    **extra: object,
) -> Response:
    draft = drafts.get_draft(kind, card_id) if card_id else None
    published = store.get_card(kind, card_id) if card_id else None
    procedures = sorted(
        ((c.id, c.name) for c in store.all_cards() if isinstance(c, ProcedureCard)), key=lambda p: fold(p[1])
    )
    return render(
        request,
        "card_edit.html" if kind == "procedure" else "life_event_edit.html",
        status_code=status_code,
        kind=kind,
        base=BASES[kind],
        card_id=card_id,
        values=values,
        errors=errors or {},
        state=state,
        message=message,
        notice=NOTICES.get(request.query_params.get("done", "")),
        draft=draft,
        # a draft started before the card was published again (a revert, an attached question)
        draft_behind=draft is not None and draft.base_version < drafts.state(kind, draft.id).published,
        published=published,
        preview=preview(shown) if shown else [],
        procedures=procedures,
        forms=card_forms,
        blank_rows=card_forms.BLANK_ROWS,
        due=published is not None and card_forms.reviewed_long_ago(published, get_settings().review_months),
        **({"results": [], "q": "", "entry": None} | dict(extra)),
    )


@requires_role("editor")
async def edit(request: Request) -> Response:
    kind, card_id = _kind(request), request.path_params["card_id"]
    card = drafts.draft_card(kind, card_id) or store.get_card(kind, card_id)
    if card is None:
        return render(request, "error.html", status_code=404, message="Không có thẻ này.")
    return _edit_page(request, kind, card_id, card_forms.values_of(card), drafts.state(kind, card_id).token, shown=card)


@requires_role("editor")
async def save(request: Request) -> Response:
    kind, card_id = _kind(request), request.path_params["card_id"]
    if store.get_card(kind, card_id) is None and drafts.get_draft(kind, card_id) is None:
        return render(request, "error.html", status_code=404, message="Không có thẻ này.")
    form = await request.form()
    values = card_forms.values_from_form(form, kind)
    values["id"] = card_id  # an existing card keeps its id
    return await _store(request, kind, card_id, values, str(form.get("state", "")), str(form.get("action", "")))


async def _store(
    request: Request, kind: str, card_id: str | None, values: FormValues, token: str, action: str
) -> Response:
    """Save the draft or publish it; refuse a stale form or an invalid card with the editor's text kept.
    ``card_id`` is None for a new card."""
    opened = EditState.parse(token)
    card, errors = card_forms.parse(values, kind)
    if card is None or opened is None:
        message = "Chưa lưu: anh/chị sửa các ô được đánh dấu bên dưới."
        return _edit_page(request, kind, card_id, values, token, errors, message, status_code=400)
    user = _user(request)
    target = f"card:{kind}/{card.id}"
    try:
        with session_scope() as session:
            if action == "publish":
                before = session.get(CardRow, (kind, card.id))
                old = dict(before.data) if before else {}
                changed = drafts.publish(card, opened, user, session)
                new = card.model_dump(mode="json")
                fields = sorted(k for k in new.keys() | old.keys() if new.get(k) != old.get(k))
                audit.record(session, user, "card_publish", target, {"fields": fields})
                done = "published" if changed else "unchanged"
            else:
                drafts.save_draft(card, opened, user, session)
                audit.record(session, user, "card_draft", target, {})
                done = "draft"
    except StaleEdit:
        current = drafts.state(kind, card.id).token
        return _edit_page(request, kind, card_id, values, current, {}, STALE, status_code=409)
    except store.CardImportError as refused:
        errors = card_forms.store_errors(refused.errors)
        message = "Chưa lưu: anh/chị sửa các ô được đánh dấu bên dưới."
        return _edit_page(request, kind, card_id, values, token, errors, message, status_code=400)
    return RedirectResponse(f"{BASES[kind]}/{card.id}?done={done}", status_code=303)


@requires_role("editor")
async def discard(request: Request) -> Response:
    kind, card_id = _kind(request), request.path_params["card_id"]
    with session_scope() as session:
        if drafts.discard(kind, card_id, session):
            audit.record(session, _user(request), "card_discard_draft", f"card:{kind}/{card_id}", {})
    exists = store.get_card(kind, card_id) is not None
    return RedirectResponse(f"{BASES[kind]}/{card_id}?done=discarded" if exists else BASES[kind], status_code=303)


# -- History --------------------------------------------------------------------------------------------------


@requires_role("editor")
async def history(request: Request) -> Response:
    kind, card_id = _kind(request), request.path_params["card_id"]
    revisions = drafts.revisions(kind, card_id)
    if not revisions:
        return render(request, "error.html", status_code=404, message="Thẻ này chưa có phiên bản nào.")
    changes = [
        (revision, diff(revisions[i + 1].data if i + 1 < len(revisions) else None, revision.data))
        for i, revision in enumerate(revisions)
    ]
    card = store.get_card(kind, card_id)
    return render(
        request, "card_history.html", kind=kind, base=BASES[kind], card_id=card_id, name=card.name if card else card_id,
        changes=changes, current=revisions[0].version, notice=None,
    )  # fmt: skip


@requires_role("editor")
async def revert(request: Request) -> Response:
    kind, card_id = _kind(request), request.path_params["card_id"]
    form = await request.form()
    revision_id, published = str(form.get("revision_id", "")), str(form.get("published", ""))
    old = drafts.revision(int(revision_id)) if revision_id.isdigit() else None
    if old is None or (old.kind, old.id) != (kind, card_id):
        return render(request, "error.html", status_code=404, message="Không có phiên bản này.")
    user = _user(request)
    with session_scope() as session:
        row = session.get(CardRow, (kind, card_id))
        if row is None or str(row.version) != published:
            return render(request, "error.html", status_code=409, message=STALE.split(";")[0] + ".")
        store.save_card(store.to_card(kind, old.data), user, session=session)
        audit.record(session, user, "card_revert", f"card:{kind}/{card_id}", {"to_version": old.version})
    return RedirectResponse(f"{BASES[kind]}/{card_id}?done=reverted", status_code=303)


# -- New cards ------------------------------------------------------------------------------------------------


def from_catalog(entry: CatalogEntry, today: dt.date) -> FormValues:
    """A new card's form with what the national catalog says (name, code, agency, link)."""
    values = card_forms.values_of(None)
    values |= {
        "name": entry.name,
        "codes": entry.code,
        "agency": entry.agencies[0] if entry.agencies else (entry.authority or ""),
        "field": entry.fields[0] if entry.fields else "",
        "official_url": portal_url(entry),
        "aliases": entry.name,
        "reviewed_at": today.isoformat(),
        "source": f"Cổng Dịch vụ công quốc gia, thủ tục {entry.code}",
        "levels": ["tinh"] if entry.scope == "provincial" else [],
    }
    return values


def search_catalog(q: str, limit: int = 30) -> list[CatalogEntry]:
    if not q.strip():
        return []
    pattern = f"%{q.strip()}%"
    query = (
        select(CatalogEntry)
        .where(~CatalogEntry.withdrawn, or_(CatalogEntry.code.like(pattern), CatalogEntry.name.ilike(pattern)))
        .order_by(CatalogEntry.name)
        .limit(limit)
    )
    with session_scope() as session:
        return list(session.scalars(query))


@requires_role("editor")
async def new_card(request: Request) -> Response:
    kind = _kind(request)
    code, q, question = (request.query_params.get(k, "") for k in ("code", "q", "question"))
    entry = get_entry(code) if code and kind == "procedure" else None
    values = from_catalog(entry, dt.date.today()) if entry else card_forms.values_of(None)
    if kind == "life_event":
        values = card_forms.values_of(None) | {"event_steps": [], "aliases": "", "examples": ""}
    if question:
        values["examples"] = question
    results = search_catalog(q) if kind == "procedure" else []
    return _edit_page(request, kind, None, values, "0-0", results=results, q=q, entry=entry)


@requires_role("editor")
async def create(request: Request) -> Response:
    kind = _kind(request)
    form = await request.form()
    values = card_forms.values_from_form(form, kind)
    card_id = values["id"].strip()
    if store.get_card(kind, card_id) is not None or drafts.get_draft(kind, card_id) is not None:
        errors = {"id": "Mã thẻ này đã có. Anh/chị chọn mã khác."}
        message = "Chưa lưu: anh/chị sửa các ô được đánh dấu bên dưới."
        return _edit_page(request, kind, None, values, "0-0", errors, message, status_code=400)
    return await _store(request, kind, None, values, "0-0", str(form.get("action", "")))


def routes_for(base: str) -> list[Route]:
    return [
        Route(base, card_list if base == "/cards" else _life_events_list, methods=["GET"]),
        Route(f"{base}/new", new_card, methods=["GET"]),
        Route(f"{base}/new", create, methods=["POST"]),
        Route(base + "/{card_id}", edit, methods=["GET"]),
        Route(base + "/{card_id}", save, methods=["POST"]),
        Route(base + "/{card_id}/discard", discard, methods=["POST"]),
        Route(base + "/{card_id}/history", history, methods=["GET"]),
        Route(base + "/{card_id}/revert", revert, methods=["POST"]),
    ]


@requires_role("editor")
async def _life_events_list(request: Request) -> Response:
    return RedirectResponse("/cards?kind=life_event", status_code=303)


routes = routes_for("/cards") + routes_for("/life-events")

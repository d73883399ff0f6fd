"""Editing cards in the console (SQLite and PostgreSQL): the form and its
validation, the preview, draft -> publish, history and revert, optimistic
locking, life events, new cards from the catalog, the list's filters."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from console.models import AuditEntry
from database import session_scope
from knowledge import store
from knowledge.catalog_store import import_catalog
from knowledge.models import CardRevision, CardRow
from settings import get_settings
from tests.app.console_client import account, client, csrf, login


@pytest.fixture
def editor(database_url, monkeypatch):
    monkeypatch.setenv("TTHC_CONSOLE_KEY", "test-console-key-0123456789abcdef")
    get_settings.cache_clear()
    store.import_files()
    account("bien.tap", "editor")
    web = client()
    login(web, "bien.tap")
    return web


def _form(html: str) -> dict[str, str | list[str]]:
    """The fields of the card form as a browser would send them (first form with a state field)."""
    form = html[html.index('name="state"') - 200 :]
    form = form[: form.index("</form>")]
    data: dict[str, str | list[str]] = {"csrf_token": csrf(html)}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data.setdefault(name.group(1), [])
                data[name.group(1)].append(value.group(1))  # type: ignore[union-attr]
            continue
        data[name.group(1)] = _unescape(value.group(1) if value else "")
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = _unescape(text)
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        data[name] = chosen.group(1) if chosen else ""
    return data


def _unescape(text: str) -> str:
    return (
        text.replace("&#34;", '"').replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )


def _published_fee(card_id: str = "khai-sinh") -> str:
    card = store.get_card("procedure", card_id)
    return next(f.text for f in card.fees if f.channel == "direct")


def test_the_form_shows_every_aspect_as_web_chat_and_zalo(editor):
    page = editor.get("/cards/khai-sinh")
    assert page.status_code == 200
    card = store.get_card("procedure", "khai-sinh")
    assert card.name in page.text and 'name="documents-0-name"' in page.text and 'name="fees-direct-text"' in page.text
    assert page.text.count('data-testid="preview-web"') == 9  # the overview and eight aspects
    assert "Anh/chị gõ số thứ tự" in page.text  # Zalo's numbered options, from channels.render
    assert page.headers["cache-control"] == "no-store"
    life = editor.get("/life-events/sinh-con")
    assert life.status_code == 200 and 'name="steps-0-procedure"' in life.text


def test_a_draft_is_invisible_until_published_and_the_audit_log_says_who(editor):
    before = _published_fee()
    form = _form(editor.get("/cards/khai-sinh").text)
    form["fees-direct-text"] = "Lệ phí thử nghiệm 12.345 đồng"
    saved = editor.post("/cards/khai-sinh", data={**form, "action": "save"})
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=draft")
    assert _published_fee() == before  # citizens still get the published card
    page = editor.get("/cards/khai-sinh?done=draft").text
    assert "Lệ phí thử nghiệm 12.345 đồng" in page and "Bản nháp chưa xuất bản" in page

    form = _form(page)
    published = editor.post("/cards/khai-sinh", data={**form, "action": "publish"})
    assert published.headers["location"].endswith("done=published")
    assert _published_fee() == "Lệ phí thử nghiệm 12.345 đồng"
    assert "Bản nháp chưa xuất bản" not in editor.get("/cards/khai-sinh").text
    with session_scope() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "card_publish")).one()
        revision = session.scalars(select(CardRevision).order_by(CardRevision.revision_id.desc())).first()
    assert (entry.username, entry.target, entry.detail) == (
        "bien.tap",
        "card:procedure/khai-sinh",
        {"fields": ["fees"]},
    )
    assert (revision.id, revision.author) == ("khai-sinh", "bien.tap")


def test_a_bad_value_is_refused_next_to_its_field_with_the_text_kept(editor):
    before = _published_fee()
    form = _form(editor.get("/cards/khai-sinh").text)
    form["fees-direct-text"] = "Năm mươi nghìn"
    form["fees-direct-amount_vnd"] = "năm mươi"
    form["online_url"] = "http://khong-an-toan.example"
    refused = editor.post("/cards/khai-sinh", data={**form, "action": "publish"})
    assert refused.status_code == 400
    assert re.search(r'id="e-fees-direct-amount_vnd">Phải là số nguyên', refused.text)
    assert re.search(r'id="e-online_url">Phải là đường dẫn bắt đầu bằng https://', refused.text)
    assert 'aria-invalid="true"' in refused.text
    assert 'value="năm mươi"' in refused.text and 'value="Năm mươi nghìn"' in refused.text
    assert _published_fee() == before

    form["fees-direct-amount_vnd"], form["online_url"] = "-5", ""
    negative = editor.post("/cards/khai-sinh", data={**form, "action": "save"})
    assert negative.status_code == 400 and "Không được là số âm" in negative.text
    form["fees-direct-amount_vnd"], form["short_code"] = "50000", "KT"  # khai-tu's short code
    taken = editor.post("/cards/khai-sinh", data={**form, "action": "save"})
    assert taken.status_code == 400 and 'id="e-short_code">Mã ngắn “KT” đã được thẻ khác dùng' in taken.text


def test_a_stale_save_is_refused_and_the_second_editor_keeps_their_text(editor):
    account("bien.tap.2", "editor")
    other = client()
    login(other, "bien.tap.2")
    mine = _form(editor.get("/cards/khai-sinh").text)
    theirs = _form(other.get("/cards/khai-sinh").text)
    mine["fees-direct-text"] = "Bản của biên tập viên 1"
    assert editor.post("/cards/khai-sinh", data={**mine, "action": "publish"}).status_code == 303
    theirs["fees-direct-text"] = "Bản của biên tập viên 2"
    refused = other.post("/cards/khai-sinh", data={**theirs, "action": "publish"})
    assert refused.status_code == 409
    assert "vừa được người khác sửa" in refused.text and 'value="Bản của biên tập viên 2"' in refused.text
    assert _published_fee() == "Bản của biên tập viên 1"
    # a draft saved from a stale form is refused the same way
    assert other.post("/cards/khai-sinh", data={**theirs, "action": "save"}).status_code == 409
    # the refused page carries the current state: saving again, knowingly, works
    again = _form(refused.text)
    assert other.post("/cards/khai-sinh", data={**again, "action": "publish"}).status_code == 303
    assert _published_fee() == "Bản của biên tập viên 2"


def test_history_shows_a_readable_diff_and_revert_is_a_new_revision(editor):
    old = _published_fee()
    form = _form(editor.get("/cards/khai-sinh").text)
    form["fees-direct-text"] = "Lệ phí mới"
    editor.post("/cards/khai-sinh", data={**form, "action": "publish"})
    history = editor.get("/cards/khai-sinh/history")
    assert history.status_code == 200
    assert "+ text: Lệ phí mới" in history.text.replace("&#39;", "'") or "Lệ phí mới" in history.text
    assert re.search(r"<del>.*?" + re.escape(old[:20]), history.text, re.S)
    with session_scope() as session:
        first = session.scalars(
            select(CardRevision).where(CardRevision.id == "khai-sinh", CardRevision.version == 1)
        ).one()
        current = session.get(CardRow, ("procedure", "khai-sinh")).version
    stale = editor.post(
        "/cards/khai-sinh/revert",
        data={"revision_id": first.revision_id, "published": current - 1, "csrf_token": csrf(history.text)},
    )
    assert stale.status_code == 409
    reverted = editor.post(
        "/cards/khai-sinh/revert",
        data={"revision_id": first.revision_id, "published": current, "csrf_token": csrf(history.text)},
    )
    assert reverted.status_code == 303
    assert _published_fee() == old
    with session_scope() as session:
        assert session.get(CardRow, ("procedure", "khai-sinh")).version == current + 1
        actions = [e.action for e in session.scalars(select(AuditEntry))]
    assert "card_revert" in actions


def test_a_life_event_card_is_edited_the_same_way(editor):
    form = _form(editor.get("/life-events/sinh-con").text)
    form["steps-0-note"] = "Làm trong 60 ngày kể từ ngày sinh"
    assert editor.post("/life-events/sinh-con", data={**form, "action": "publish"}).status_code == 303
    assert store.get_card("life_event", "sinh-con").steps[0].note == "Làm trong 60 ngày kể từ ngày sinh"
    form = _form(editor.get("/life-events/sinh-con").text)
    form["steps-1-procedure"] = "khong-co-the-nay"
    refused = editor.post("/life-events/sinh-con", data={**form, "action": "publish"})
    assert refused.status_code == 400


def test_a_new_card_starts_from_a_catalog_entry(editor):
    entry = {"code": "1.999999", "name": "Thủ tục thử nghiệm cấp phép nuôi ong", "fields": ["Nông nghiệp"],
             "agencies": ["Ủy ban nhân dân cấp xã"], "targets": [], "scope": "national", "state": "ACTIVE"}  # fmt: skip
    import_catalog([json.dumps(entry, ensure_ascii=False)])
    found = editor.get("/cards/new?q=nuôi ong")
    assert "1.999999" in found.text
    page = editor.get("/cards/new?code=1.999999")
    assert 'value="Thủ tục thử nghiệm cấp phép nuôi ong"' in page.text and "Ủy ban nhân dân cấp xã" in page.text
    form = _form(page.text)
    form |= {"id": "nuoi-ong", "short_code": "NUOIONG", "summary": "Cấp phép nuôi ong.", "who": "Hộ gia đình",
             "levels": ["xa"]}  # fmt: skip
    created = editor.post("/cards/new", data={**form, "action": "publish"})
    assert created.status_code == 303, created.text
    card = store.get_card("procedure", "nuoi-ong")
    assert card.codes == ["1.999999"] and card.agency == "Ủy ban nhân dân cấp xã"
    again = editor.post("/cards/new", data={**form, "action": "publish"})
    assert again.status_code == 400 and "Mã thẻ này đã có" in again.text
    draft_only = form | {"id": "nuoi-ong-2", "short_code": "NUOIONG2", "name": "Nuôi ong (nháp)"}
    assert editor.post("/cards/new", data={**draft_only, "action": "save"}).status_code == 303
    assert store.get_card("procedure", "nuoi-ong-2") is None  # a draft: citizens do not see it
    assert "Nuôi ong (nháp)" in editor.get("/cards").text and "Có bản nháp" in editor.get("/cards").text


def test_the_list_filters_and_flags_cards_due_for_review(editor):
    card = store.get_card("procedure", "khai-sinh")
    old_day = dt.date.today() - dt.timedelta(days=800)
    store.save_card(card.model_copy(update={"reviewed_at": old_day, "codes": []}), "test")
    every = editor.get("/cards")
    assert every.status_code == 200 and "Cần rà soát" in every.text
    due = editor.get("/cards?older=24").text
    assert card.name in due and store.get_card("procedure", "khai-tu").name not in due
    assert card.name in editor.get("/cards?no_code=1").text
    assert card.name in editor.get("/cards?q=khai sinh").text
    assert store.get_card("procedure", "ho-chieu").name not in editor.get("/cards?q=khai sinh").text
    assert card.name in editor.get("/").text  # the start page's reminder
    with_field = editor.get(f"/cards?field={card.field}").text
    assert card.name in with_field


def test_a_draft_older_than_the_published_card_is_flagged(editor):
    form = _form(editor.get("/cards/khai-sinh").text)
    form["time"] = "Bản nháp cũ"
    editor.post("/cards/khai-sinh", data={**form, "action": "save"})
    card = store.get_card("procedure", "khai-sinh")
    store.save_card(card.model_copy(update={"where": "Xuất bản từ nơi khác"}), author="khac")
    assert "Bản nháp được bắt đầu từ phiên bản 1" in editor.get("/cards/khai-sinh").text

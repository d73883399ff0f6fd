"""Import and export of cards in the console (SQLite and PostgreSQL): a preview
first, then all or nothing; a card edited in the console is never silently
overwritten by a seed import."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile

import pytest
import yaml

from database import session_scope
from knowledge import store
from knowledge.loader import CARDS_DIR
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


def _seed(card_id: str, **changes: object) -> tuple[str, bytes]:
    raw = yaml.safe_load((CARDS_DIR / "procedures" / f"{card_id}.yaml").read_text(encoding="utf-8"))
    raw.update(changes)
    return f"{card_id}.yaml", yaml.safe_dump(raw, allow_unicode=True).encode()


def _preview(web, files: list[tuple[str, bytes]]):
    token = csrf(web.get("/transfer").text)
    return web.post("/transfer/preview", data={"csrf_token": token}, files=[("files", f) for f in files])


def _bundle(page: str) -> str:
    return html.unescape(re.search(r'name="bundle" value="([^"]*)"', page).group(1))


def test_export_then_import_the_same_cards_changes_nothing(editor):
    exported = editor.get("/transfer/export")
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
    assert "cards/procedures/khai-sinh.yaml" in names and "cards/catalog-questions.yaml" in names
    assert "cards/everyday-questions.yaml" in names
    assert len(names) == len(store.all_cards()) + 2
    preview = _preview(editor, [("the.zip", exported.content)])
    assert preview.status_code == 200
    assert preview.text.count("Không đổi") == len(store.all_cards())


def test_a_seed_import_keeps_console_edits_and_is_all_or_nothing(editor):
    card = store.get_card("procedure", "khai-sinh")
    store.save_card(card.model_copy(update={"time": "Sửa trên bảng điều khiển"}), author="bien.tap")
    files = [_seed("khai-sinh", time="Bản seed mới"), _seed("khai-tu", time="Khai tử: 1 ngày")]
    preview = _preview(editor, files)
    assert "Giữ bản đã sửa trên bảng điều khiển" in preview.text and "Cập nhật" in preview.text
    assert store.get_card("procedure", "khai-tu").time != "Khai tử: 1 ngày"  # a preview changes nothing

    bad = json.loads(_bundle(preview.text)) | {"procedures/ho-chieu.yaml": "id: ho-chieu\nname: ''\n"}
    token = csrf(preview.text)
    refused = editor.post("/transfer/import", data={"bundle": json.dumps(bad), "csrf_token": token})
    assert refused.status_code == 400 and "ho-chieu.yaml" in refused.text
    assert store.get_card("procedure", "khai-tu").time != "Khai tử: 1 ngày"  # nothing of a bad set is imported

    done = editor.post("/transfer/import", data={"bundle": _bundle(preview.text), "csrf_token": token, "force": "1"})
    assert done.status_code == 200 and "procedure/khai-sinh" in done.text
    assert store.get_card("procedure", "khai-tu").time == "Khai tử: 1 ngày"
    assert store.get_card("procedure", "khai-sinh").time == "Sửa trên bảng điều khiển"  # force is for admins only


def test_a_bad_upload_is_explained_and_cannot_be_confirmed(editor):
    broken = _preview(editor, [_seed("khai-sinh", fees=[{"channel": "bồ câu", "text": "0"}])])
    assert "fees.0.channel" in broken.text and 'action="/transfer/import"' not in broken.text
    assert "Giá trị không nằm trong danh sách cho phép" in broken.text and "Input should be" not in broken.text
    assert _preview(editor, [("ghi-chu.txt", b"hello")]).status_code == 400
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../../etc/procedures/x.yaml", "id: x")
        z.writestr("khac/y.yaml", "id: y")
    escaped = _preview(editor, [("a.zip", archive.getvalue())])
    assert escaped.status_code == 400 or "x.yaml" in escaped.text
    token = csrf(editor.get("/transfer").text)
    sneaky = {"../procedures/x.yaml": "id: x"}
    assert editor.post("/transfer/import", data={"bundle": json.dumps(sneaky), "csrf_token": token}).status_code == 400


def test_the_questions_attached_to_catalog_entries_travel_with_the_cards(editor):
    from knowledge import catalog_store
    from tests.app.test_catalog_import import portal

    catalog_store.import_catalog([portal("2.009999", "Đăng ký cơ sở gây nuôi chim yến")])
    with session_scope() as session:
        catalog_store.attach_question("2.009999", "nuôi yến có phải khai báo không", "bien.tap", session)
    exported = editor.get("/transfer/export").content
    questions = zipfile.ZipFile(io.BytesIO(exported)).read("cards/catalog-questions.yaml").decode()
    assert yaml.safe_load(questions) == [
        {"code": "2.009999", "text": "nuôi yến có phải khai báo không", "added_by": "bien.tap"}
    ]

    [attached] = catalog_store.attached_questions()
    with session_scope() as session:
        catalog_store.remove_question(attached.id, session)
    preview = _preview(editor, [("the.zip", exported)])
    assert "1 câu sẽ được gắn thêm" in preview.text
    assert catalog_store.attached_questions() == []  # a preview changes nothing
    done = editor.post("/transfer/import", data={"bundle": _bundle(preview.text), "csrf_token": csrf(preview.text)})
    assert done.status_code == 200 and "Đã gắn 1 câu hỏi mới" in done.text
    assert [q.text for q in catalog_store.attached_questions()] == ["nuôi yến có phải khai báo không"]
    again = _preview(editor, [("the.zip", exported)])
    assert "0 câu sẽ được gắn thêm" in again.text


def test_the_questions_marked_as_private_matters_travel_with_the_cards(editor):
    from knowledge import everyday_questions

    with session_scope() as session:
        everyday_questions.mark("làm lại phiếu bảo hành máy lạnh bị mất", "bien.tap", session)
    exported = editor.get("/transfer/export").content
    marked = zipfile.ZipFile(io.BytesIO(exported)).read("cards/everyday-questions.yaml").decode()
    assert yaml.safe_load(marked) == [{"text": "làm lại phiếu bảo hành máy lạnh bị mất", "added_by": "bien.tap"}]

    [question] = everyday_questions.marked()
    with session_scope() as session:
        everyday_questions.unmark(question.id, session)
    preview = _preview(editor, [("the.zip", exported)])
    assert "Câu hỏi việc riêng (không phải thủ tục): 1 câu sẽ được thêm" in preview.text
    assert everyday_questions.marked() == []  # a preview changes nothing
    done = editor.post("/transfer/import", data={"bundle": _bundle(preview.text), "csrf_token": csrf(preview.text)})
    assert done.status_code == 200 and "Đã thêm 1 câu hỏi việc riêng mới" in done.text
    assert [q.text for q in everyday_questions.marked()] == ["làm lại phiếu bảo hành máy lạnh bị mất"]
    assert "0 câu sẽ được thêm" in _preview(editor, [("the.zip", exported)]).text


def test_a_malformed_file_of_private_matters_stops_the_whole_import(editor):
    from knowledge import everyday_questions

    bad = yaml.safe_dump([{"text": ""}], allow_unicode=True).encode()
    preview = _preview(editor, [_seed("khai-tu", time="Khai tử: 1 ngày"), ("everyday-questions.yaml", bad)])
    assert "everyday-questions.yaml" in preview.text and "câu hỏi 1 · text" in preview.text
    assert "Không được để trống." in preview.text
    assert 'action="/transfer/import"' not in preview.text
    bundle = {
        "procedures/khai-tu.yaml": _seed("khai-tu", time="Khai tử: 1 ngày")[1].decode(),
        "everyday-questions.yaml": bad.decode(),
    }
    refused = editor.post("/transfer/import", data={"bundle": json.dumps(bundle), "csrf_token": csrf(preview.text)})
    assert refused.status_code == 400
    assert store.get_card("procedure", "khai-tu").time != "Khai tử: 1 ngày"
    assert everyday_questions.marked() == []


def test_a_question_for_no_entry_in_force_stops_the_whole_import(editor):
    from knowledge import catalog_store

    bad = yaml.safe_dump([{"code": "9.999999", "text": "hỏi gì đó"}], allow_unicode=True).encode()
    preview = _preview(editor, [_seed("khai-tu", time="Khai tử: 1 ngày"), ("catalog-questions.yaml", bad)])
    assert "câu hỏi 1" in preview.text and "9.999999" in preview.text
    assert 'action="/transfer/import"' not in preview.text
    bundle = {
        "procedures/khai-tu.yaml": _seed("khai-tu", time="Khai tử: 1 ngày")[1].decode(),
        "catalog-questions.yaml": bad.decode(),
    }
    refused = editor.post("/transfer/import", data={"bundle": json.dumps(bundle), "csrf_token": csrf(preview.text)})
    assert refused.status_code == 400 and "9.999999" in refused.text
    assert store.get_card("procedure", "khai-tu").time != "Khai tử: 1 ngày"
    assert catalog_store.attached_questions() == []


def test_what_is_wrong_is_said_in_vietnamese(editor):
    unknown = _preview(editor, [_seed("khai-sinh", related=["khong-co-the-nay"])])
    assert "khai-sinh · related: Có mã thẻ liên quan không tồn tại: khong-co-the-nay." in unknown.text
    renamed = _preview(editor, [("khai-sinh.yaml", _seed("khai-tu")[1])])
    assert "Mã thẻ “khai-tu” phải trùng với tên tệp." in renamed.text
    broken = _preview(editor, [("khai-sinh.yaml", b"id: khai-sinh\nname: [chua dong\n")])
    assert "khai-sinh.yaml: Không đọc được tệp: sai cú pháp YAML ở dòng 3." in broken.text
    malformed = yaml.safe_dump([{"code": "1.0011", "text": "hỏi gì đó"}], allow_unicode=True).encode()
    questions = _preview(editor, [("catalog-questions.yaml", malformed)])
    assert "câu hỏi 1 · code: Mã thủ tục quốc gia dạng 1.001193." in questions.text
    not_a_list = _preview(editor, [("catalog-questions.yaml", b"code: 1.001193")])
    assert "cả tệp: Tệp câu hỏi phải là một danh sách câu hỏi." in not_a_list.text
    for page in (unknown, renamed, broken, questions, not_a_list):
        assert page.status_code == 200 and 'action="/transfer/import"' not in page.text
        assert not re.search(r"unknown|differs|cannot read|should|not a list", page.text)


def test_an_entry_withdrawn_during_the_import_is_reported_not_counted_as_zero(editor, monkeypatch):
    """The questions are checked before the cards are imported and attached
    after: a catalog re-import in between must not pass as "0 attached"."""
    from knowledge import catalog_store
    from tests.app.test_catalog_import import portal

    catalog_store.import_catalog([portal("2.009999", "Đăng ký cơ sở gây nuôi chim yến")])
    questions = yaml.safe_dump([{"code": "2.009999", "text": "nuôi yến có phải khai báo không"}], allow_unicode=True)
    bundle = {"procedures/khai-tu.yaml": _seed("khai-tu", time="Khai tử: 1 ngày")[1].decode()}
    bundle["catalog-questions.yaml"] = questions
    import_files = store.import_files

    def import_while_the_catalog_changes(*args, **kwargs):
        catalog_store.import_catalog([portal("2.009998", "Một thủ tục khác")])  # 2.009999 is withdrawn
        return import_files(*args, **kwargs)

    monkeypatch.setattr(store, "import_files", import_while_the_catalog_changes)
    token = csrf(editor.get("/transfer").text)
    done = editor.post("/transfer/import", data={"bundle": json.dumps(bundle), "csrf_token": token})
    assert done.status_code == 409 and "Đã gắn 0" not in done.text
    assert "Chưa gắn câu hỏi nào" in done.text and "Mã thủ tục 2.009999 không có trong danh mục" in done.text
    assert store.get_card("procedure", "khai-tu").time == "Khai tử: 1 ngày"  # the cards are in
    assert catalog_store.attached_questions() == []

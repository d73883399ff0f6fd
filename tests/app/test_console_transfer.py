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
    assert "cards/procedures/khai-sinh.yaml" in names and len(names) == len(store.all_cards())
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

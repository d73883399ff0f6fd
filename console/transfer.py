"""Import and export of cards in the seed format (``knowledge/cards/``'s
YAML layout), so a province starts from the repository's cards and keeps its
own.

An import is shown first: each card new, changed (which fields), unchanged,
or kept because an editor changed it in the console since (a seed import
never overwrites that unless an admin says so), and every error with its
file and field. Nothing changes until the editor confirms, and then all or
nothing (``knowledge.store.import_files``). The confirmation carries the
uploaded files back in the form and is validated again, so what is imported
is exactly what was shown.

The export also carries the questions editors attached to catalog entries
(``catalog-questions.yaml``, as ``python -m knowledge export-questions``
writes it) and those they marked as private matters
(``everyday-questions.yaml``); an import attaches and marks them again,
checked before any card changes.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console import audit, reasons
from console.auth import current_user, has_role, requires_role
from console.pages import render
from knowledge import catalog_store, drafts, everyday_questions, store
from knowledge.loader import CardError, load_cards
from knowledge.schema import Card

MAX_BYTES = 5_000_000
MAX_FILES = 1000
SEED_AUTHOR = "seed"  # imports count as seed content; an editor's own edits are "edited since"
FOLDERS = ("procedures", "life_events")
QUESTIONS_FILE = "catalog-questions.yaml"
EVERYDAY_FILE = "everyday-questions.yaml"
QUESTION_FILES = (QUESTIONS_FILE, EVERYDAY_FILE)


class UploadRefused(ValueError):
    """The upload is not cards in the seed layout; the message is Vietnamese."""


@dataclass(frozen=True)
class Planned:
    card: Card
    status: str  # new | changed | same | kept
    fields: list[str]


def bundle_of(uploads: list[tuple[str, bytes]]) -> dict[str, str]:
    """Uploaded YAML files and zip archives as ``{"procedures/x.yaml": text}``."""
    bundle: dict[str, str] = {}
    total = 0
    for name, content in uploads:
        total += len(content)
        if total > MAX_BYTES:
            raise UploadRefused("Tệp tải lên quá lớn (tối đa 5 MB).")
        if name.lower().endswith(".zip"):
            bundle |= _from_zip(content)
        elif PurePosixPath(name).name in QUESTION_FILES:
            bundle[PurePosixPath(name).name] = _text(content, name)
        elif name.lower().endswith((".yaml", ".yml")):
            text = _text(content, name)
            bundle[f"{_folder_of(text)}/{PurePosixPath(name).stem}.yaml"] = text
        elif name:
            raise UploadRefused(f"Tệp {name}: chỉ nhận tệp .yaml hoặc .zip.")
    if not bundle:
        raise UploadRefused("Anh/chị chọn ít nhất một tệp thẻ (.yaml) hoặc một tệp .zip.")
    return bundle


def _from_zip(content: bytes) -> dict[str, str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise UploadRefused("Tệp .zip bị hỏng.") from None
    members = [m for m in archive.infolist() if not m.is_dir() and m.filename.endswith((".yaml", ".yml"))]
    if len(members) > MAX_FILES or sum(m.file_size for m in members) > MAX_BYTES:
        raise UploadRefused("Tệp .zip chứa quá nhiều hoặc quá lớn.")
    found: dict[str, str] = {}
    for member in members:
        path = PurePosixPath(member.filename)
        if path.name in QUESTION_FILES:
            found[path.name] = _text(archive.read(member), member.filename)
        elif path.parent.name in FOLDERS:
            found[f"{path.parent.name}/{path.stem}.yaml"] = _text(archive.read(member), member.filename)
    return found


def _text(content: bytes, name: str) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise UploadRefused(f"Tệp {name} không phải văn bản UTF-8.") from None


def _folder_of(text: str) -> str:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        return "procedures"  # the loader reports the YAML error with the file's name
    return "life_events" if isinstance(raw, dict) and raw.get("kind") == "life_event" else "procedures"


def _written(bundle: dict[str, str], directory: Path) -> list[Path]:
    """The bundle's cards as files in ``directory``, in the seed layout."""
    paths = []
    for relative, text in sorted(bundle.items()):
        if relative in QUESTION_FILES:
            continue
        folder, _, name = relative.partition("/")
        if folder not in FOLDERS or "/" in name or not name.endswith(".yaml") or name.startswith("."):
            raise UploadRefused(f"Đường dẫn không hợp lệ: {relative}")
        path = directory / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


@dataclass(frozen=True)
class PlannedQuestions:
    new: int  # questions the import attaches; those attached already are left as they are
    errors: list[CardError]


def plan_questions(bundle: dict[str, str]) -> PlannedQuestions | None:
    """What importing the bundle's attached questions would do (nothing changes);
    None when it carries none."""
    if QUESTIONS_FILE not in bundle:
        return None
    new, problems = catalog_store.attach_questions(bundle[QUESTIONS_FILE], dry_run=True)
    return PlannedQuestions(new, [_question_error(p, QUESTIONS_FILE) for p in problems])


def plan_everyday(bundle: dict[str, str]) -> PlannedQuestions | None:
    """What importing the bundle's questions marked as private matters would do
    (nothing changes); None when it carries none."""
    if EVERYDAY_FILE not in bundle:
        return None
    new, problems = everyday_questions.mark_questions(bundle[EVERYDAY_FILE], dry_run=True)
    return PlannedQuestions(new, [_question_error(p, EVERYDAY_FILE) for p in problems])


def _question_error(problem: catalog_store.QuestionProblem, file: str) -> CardError:
    """A question file's problem as the page lists it, in Vietnamese."""
    where = f"câu hỏi {problem.number}" if problem.number else "cả tệp"
    return CardError(file, f"{where} · {problem.field}" if problem.field else where, reasons.question_reason(problem))


def _card_error(error: CardError, folder: str) -> CardError:
    """A card's problem as the page lists it: the file as uploaded, the reason in Vietnamese."""
    file = error.file.removeprefix(folder + "/")
    return CardError(file, "" if error.field == "-" else error.field, reasons.card_reason(error))


def plan(bundle: dict[str, str]) -> tuple[list[Planned], list[CardError]]:
    """What an import would do, and what is wrong with it (file names relative)."""
    with tempfile.TemporaryDirectory() as folder:
        cards, found = load_cards(_written(bundle, Path(folder)))
        errors = [_card_error(e, folder) for e in found]
    incoming = {(c.kind, c.id): c for c in cards}
    after = {(c.kind, c.id): c for c in store.all_cards()} | incoming
    checks = store.check_cards(list(after.values()))
    errors += [_card_error(e, "") for e in checks if tuple(e.file.split("/", 1)) in incoming]
    planned = []
    for card in sorted(cards, key=lambda c: (c.kind, c.id)):
        current = store.get_card(card.kind, card.id)
        if current is None:
            planned.append(Planned(card, "new", []))
            continue
        old, new = current.model_dump(mode="json"), card.model_dump(mode="json")
        fields = sorted(k for k in new if new[k] != old.get(k))
        history = drafts.revisions(card.kind, card.id)
        edited = bool(history) and history[0].author != SEED_AUTHOR
        planned.append(Planned(card, "same" if not fields else "kept" if edited else "changed", fields))
    return planned, errors


def _page(request: Request, status_code: int = 200, **context: object) -> Response:
    """The transfer page; what is not given is not shown."""
    hidden = dict.fromkeys(("planned", "questions", "everyday", "message", "result", "unattached"))
    shown: dict[str, object] = {**hidden, "errors": [], "bundle": ""} | context
    return render(request, "transfer.html", status_code=status_code, **shown)


@requires_role("editor")
async def page(request: Request) -> Response:
    return _page(request)


@requires_role("editor")
async def export(request: Request) -> Response:
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        count = store.export_cards(Path(folder))
        questions, attached = catalog_store.questions_yaml()
        everyday, marked = everyday_questions.questions_yaml()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(folder).rglob("*.yaml")):
                archive.write(path, f"cards/{path.relative_to(folder)}")
            archive.writestr(f"cards/{QUESTIONS_FILE}", questions)
            archive.writestr(f"cards/{EVERYDAY_FILE}", everyday)
    details = {"cards": count, "questions": attached, "everyday": marked}
    audit.record(None, current_user(request), "cards_export", "cards", details)
    headers = {"content-disposition": 'attachment; filename="the-thu-tuc.zip"', "cache-control": "no-store"}
    return Response(buffer.getvalue(), media_type="application/zip", headers=headers)


@requires_role("editor")
async def preview(request: Request) -> Response:
    form = await request.form(max_part_size=MAX_BYTES)
    uploads = []
    for item in form.getlist("files"):
        if isinstance(item, UploadFile):
            uploads.append((item.filename or "", await item.read(MAX_BYTES + 1)))
    try:
        bundle = bundle_of(uploads)
        planned, errors = plan(bundle)
    except UploadRefused as refused:
        return _page(request, 400, message=str(refused))
    questions, everyday = plan_questions(bundle), plan_everyday(bundle)
    errors += [e for plan_ in (questions, everyday) if plan_ for e in plan_.errors]
    return _page(
        request, planned=planned, questions=questions, everyday=everyday, errors=errors, bundle=json.dumps(bundle)
    )


@requires_role("editor")
async def confirm(request: Request) -> Response:
    form = await request.form(max_part_size=MAX_BYTES * 2)
    account = current_user(request)
    assert account is not None
    force = form.get("force") == "1" and has_role(account, ("admin",))
    try:
        bundle = json.loads(str(form.get("bundle", "")))
        if not isinstance(bundle, dict) or not all(isinstance(v, str) for v in bundle.values()):
            raise UploadRefused("Dữ liệu nhập không hợp lệ.")
        questions, everyday = plan_questions(bundle), plan_everyday(bundle)
        refused_questions = [e for plan_ in (questions, everyday) if plan_ for e in plan_.errors]
        if refused_questions:
            return _page(request, 400, errors=refused_questions, message="Không nhập gì: có lỗi.")
        with tempfile.TemporaryDirectory() as folder:
            try:
                result = store.import_files(_written(bundle, Path(folder)), author=SEED_AUTHOR, force=force)
            except store.CardImportError as refused:
                errors = [_card_error(e, folder) for e in refused.errors]
                return _page(request, 400, errors=errors, message="Không nhập thẻ nào: có lỗi.")
    except (ValueError, UploadRefused) as refused:
        message = str(refused) if isinstance(refused, UploadRefused) else "Dữ liệu nhập không hợp lệ."
        return _page(request, 400, message=message)
    attached, problems = catalog_store.attach_questions(bundle[QUESTIONS_FILE]) if questions else (0, [])
    marked, _ = everyday_questions.mark_questions(bundle[EVERYDAY_FILE]) if everyday else (0, [])
    details = {"changed": result.changed, "kept": result.kept, "force": force}
    details |= {"questions": attached, "everyday": marked}
    audit.record(None, account, "cards_import", "cards", details)
    if problems:  # the catalog changed since the check above: the cards are in, the questions are not
        unattached = [_question_error(p, QUESTIONS_FILE) for p in problems]
        return _page(request, 409, result=result, unattached=unattached)
    return _page(
        request,
        result=result,
        questions=PlannedQuestions(attached, []) if questions else None,
        everyday=PlannedQuestions(marked, []) if everyday else None,
    )


routes = [
    Route("/transfer", page, methods=["GET"]),
    Route("/transfer/export", export, methods=["GET"]),
    Route("/transfer/preview", preview, methods=["POST"]),
    Route("/transfer/import", confirm, methods=["POST"]),
]

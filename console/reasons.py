"""What the knowledge layer refuses, said in Vietnamese for editors.

The card loader, the store's checks across cards and the import of attached
questions describe problems in English, for the command line, each with a
``kind`` (pydantic's error type, or their own). The console shows editors the
reason for that kind from here, whether on the card form or on the import page.
"""

from __future__ import annotations

from knowledge.catalog_store import QuestionProblem
from knowledge.loader import CardError

_FIELDS = {
    "int_parsing": "Phải là số nguyên (số đồng, không dấu chấm, không chữ).",
    "int_from_float": "Phải là số nguyên.",
    "greater_than_equal": "Không được là số âm.",
    "missing": "Bắt buộc phải có.",
    "string_too_short": "Không được để trống.",
    "string_too_long": "Quá dài.",
    "string_type": "Phải là chữ.",
    "too_short": "Cần ít nhất một mục.",
    "date_parsing": "Ngày không hợp lệ (ngày/tháng/năm).",
    "date_from_datetime_parsing": "Ngày không hợp lệ (ngày/tháng/năm).",
    "literal_error": "Giá trị không nằm trong danh sách cho phép.",
    "extra_forbidden": "Trường không được phép.",
    "model_type": "Phải gồm các trường dạng “tên: giá trị”.",
    "dict_type": "Phải gồm các trường dạng “tên: giá trị”.",
    "list_type": "Phải là một danh sách.",
}
_PATTERNS = {
    "id": "Chỉ chữ thường không dấu, số và gạch ngang, ví dụ: khai-sinh.",
    "short_code": "2-10 chữ in hoa hoặc số, bắt đầu bằng chữ, ví dụ: KS.",
    "codes": "Mã thủ tục quốc gia dạng 1.001193.",
    "code": "Mã thủ tục quốc gia dạng 1.001193.",
    "related": "Mã thẻ (chữ thường không dấu, gạch ngang).",
    "life_events": "Mã sự kiện (chữ thường không dấu, gạch ngang).",
}
_UNKNOWN = {
    "related": "Có mã thẻ liên quan không tồn tại: {subject}.",
    "life_events": "Có mã sự kiện không tồn tại: {subject}.",
    "steps": "Có thủ tục không tồn tại: {subject}.",
}
_OWN = {
    "folder": "Thẻ phải nằm trong thư mục procedures/ hoặc life_events/.",
    "yaml": "Không đọc được tệp: sai cú pháp YAML{subject}.",
    "not_mapping": "Tệp thẻ phải gồm các trường dạng “tên: giá trị”.",
    "id_mismatch": "Mã thẻ “{subject}” phải trùng với tên tệp.",
    "repeated": "Mã ngắn “{subject}” đã được thẻ khác dùng.",
    "not_list": "Tệp câu hỏi phải là một danh sách câu hỏi.",
    "not_in_force": "Mã thủ tục {subject} không có trong danh mục hoặc đã bị bãi bỏ.",
}


def field_reason(kind: str, location: tuple, detail: str = "") -> str:
    """Pydantic's reason (``kind``, its error type) for the field at ``location``."""
    if kind == "string_pattern_mismatch":
        return _PATTERNS.get(str(location[0]) if location else "", "Không đúng định dạng.")
    if kind == "value_error" and "https" in detail:
        return "Phải là đường dẫn bắt đầu bằng https://"
    return _FIELDS.get(kind, "Giá trị không hợp lệ.")


def card_reason(error: CardError) -> str:
    """The reason a card is refused, from the loader or the store's checks."""
    if error.kind == "unknown":
        return _UNKNOWN.get(error.field, "Có mã không tồn tại: {subject}.").format(subject=error.subject)
    if error.kind == "yaml":
        return _OWN["yaml"].format(subject=f" ở dòng {error.subject}" if error.subject else "")
    if error.kind in _OWN:
        return _OWN[error.kind].format(subject=error.subject)
    return field_reason(error.kind, _location(error.field), error.message)


def question_reason(problem: QuestionProblem) -> str:
    """The reason a file of attached questions is refused."""
    if problem.kind == "yaml":
        return _OWN["yaml"].format(subject="")
    if problem.kind in _OWN:
        return _OWN[problem.kind].format(subject=problem.subject)
    return field_reason(problem.kind, _location(problem.field), problem.reason)


def _location(field: str) -> tuple:
    """A dotted field ("documents.0.name") back as pydantic's location."""
    return tuple(int(part) if part.isdigit() else part for part in field.split(".") if part and part != "-")

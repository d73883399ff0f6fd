"""The status vocabulary, in plain Vietnamese, with what the citizen does next."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Status:
    label: str  # what the status is, in plain words
    next_step: str  # what the citizen should do now


STATUSES: dict[str, Status] = {
    "received": Status(
        "Cơ quan đã tiếp nhận hồ sơ.",
        "Anh/chị chưa cần làm gì thêm, chờ đến ngày hẹn trả kết quả.",
    ),
    "processing": Status(
        "Hồ sơ đang được giải quyết.",
        "Anh/chị chưa cần làm gì thêm; em sẽ báo khi có kết quả nếu anh/chị đăng ký nhận tin.",
    ),
    "supplement_required": Status(
        "Hồ sơ cần bổ sung giấy tờ.",
        "Anh/chị bổ sung theo yêu cầu của cơ quan, trước hạn ghi bên dưới, để hồ sơ được tiếp tục giải quyết.",
    ),
    "overdue": Status(
        "Hồ sơ đã quá ngày hẹn mà chưa có kết quả. Em thành thật xin lỗi anh/chị.",
        "Cơ quan phải gửi văn bản xin lỗi và hẹn lại ngày trả. Anh/chị có quyền hỏi lý do tại bộ phận một cửa "
        "hoặc gọi tổng đài.",
    ),
    "result_ready": Status(
        "Hồ sơ đã có kết quả.",
        "Anh/chị mang phiếu hẹn và giấy tờ tùy thân (thẻ căn cước) đến nhận kết quả, hoặc nhận bản điện tử nếu có.",
    ),
    "returned": Status(
        "Kết quả đã được trả cho anh/chị.",
        "Anh/chị kiểm tra lại thông tin trên giấy tờ; nếu có sai sót, báo ngay cho bộ phận một cửa.",
    ),
    "rejected": Status(
        "Hồ sơ không được giải quyết.",
        "Anh/chị xem lý do bên dưới. Anh/chị có thể nộp lại hồ sơ khi đủ điều kiện, hoặc hỏi cán bộ để được hướng dẫn.",
    ),
    "withdrawn": Status(
        "Hồ sơ đã được rút theo đề nghị của người nộp.",
        "Nếu vẫn cần làm thủ tục, anh/chị nộp hồ sơ mới.",
    ),
}

"""What citizens type on Zalo, and what they mean.

Keys are folded (lower case, no diacritics); values are written in full
Vietnamese and folded where they are used. Only unambiguous or overwhelmingly
common readings belong here: "hs" is "hồ sơ" in this domain, not "học sinh".
"""

ABBREVIATIONS: dict[str, str] = {
    # negation and particles
    "k": "không",
    "ko": "không",
    "kg": "không",
    "kh": "không",
    "khg": "không",
    "hok": "không",
    "hong": "không",
    "hem": "không",
    "j": "gì",
    "z": "vậy",
    "v": "vậy",
    "dc": "được",
    "dk": "đăng ký",
    "dky": "đăng ký",
    "r": "rồi",
    "ms": "mới",
    "vs": "với",
    "trc": "trước",
    "ntn": "như thế nào",
    "bn": "bao nhiêu",
    "bnhieu": "bao nhiêu",
    "nhiu": "nhiêu",
    "bik": "biết",
    "bit": "biết",
    "ng": "người",
    "mk": "mình",
    "mik": "mình",
    "mjk": "mình",
    "mh": "mình",
    "e": "em",
    "a": "anh",
    "c": "chị",
    "ad": "admin",
    "tks": "cảm ơn",
    "thanks": "cảm ơn",
    "thank": "cảm ơn",
    "thks": "cảm ơn",
    # documents and agencies
    "hs": "hồ sơ",
    "cccd": "căn cước công dân",
    "cmnd": "chứng minh nhân dân",
    "cmt": "chứng minh nhân dân",
    "gks": "giấy khai sinh",
    "gplx": "giấy phép lái xe",
    "blx": "bằng lái xe",
    "bhyt": "bảo hiểm y tế",
    "bhxh": "bảo hiểm xã hội",
    "bh": "bảo hiểm",
    "tctn": "trợ cấp thất nghiệp",
    "hkd": "hộ kinh doanh",
    "dn": "doanh nghiệp",
    "dkkd": "đăng ký kinh doanh",
    "mst": "mã số thuế",
    "lltp": "lý lịch tư pháp",
    "gpxd": "giấy phép xây dựng",
    "gcn": "giấy chứng nhận",
    "qsdd": "quyền sử dụng đất",
    "xn": "xác nhận",
    "tthn": "tình trạng hôn nhân",
    "dddt": "định danh điện tử",
    "vpgt": "vi phạm giao thông",
    "ubnd": "ủy ban nhân dân",
    "ub": "ủy ban",
    "dvc": "dịch vụ công",
    "tthc": "thủ tục hành chính",
    "sdt": "số điện thoại",
    "dt": "điện thoại",
    "tp": "thành phố",
    "gd": "gia đình",
    "cq": "cơ quan",
    "csgt": "cảnh sát giao thông",
    "cty": "công ty",
    "tk": "tài khoản",
    "nv": "nhân viên",
    "vk": "vợ",
    "ck": "chồng",
    "gpkd": "giấy phép kinh doanh",
    "ld": "lao động",
    "bhtn": "bảo hiểm thất nghiệp",
    "qd": "quyết định",
    "llttp": "lý lịch tư pháp",
    "hgd": "hộ gia đình",
    "dkkh": "đăng ký kết hôn",
    "dkks": "đăng ký khai sinh",
    "dktt": "đăng ký thường trú",
    "hdld": "hợp đồng lao động",
    "cavet": "cà vẹt",  # the vehicle registration certificate, in the South
}

# Shorthand with more than one common reading: the procedure matcher tries
# each reading and keeps what matches best ("dk ks cho con": khai sinh, not a
# hotel; "hc het han": hộ chiếu; "thu tuc hc": hành chính). The tokenizer
# leaves them as typed.
AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "ks": ("khai sinh", "khách sạn"),
    "kt": ("khai tử", "kiểm tra", "kinh tế"),
    "hc": ("hộ chiếu", "hành chính"),
    "sd": ("sổ đỏ", "sử dụng"),
    "xd": ("xây dựng", "xác định"),
    "gp": ("giấy phép",),
    "gt": ("giao thông", "giấy tờ", "giới thiệu"),
    "tt": ("tạm trú", "thường trú", "thông tin"),
    "cn": ("chứng nhận", "công nhân", "cá nhân", "chi nhánh"),  # "giấy cn"
    "nc": ("nước", "nói chuyện"),  # "nc ngoài"
}

# What citizens call a procedure's object, and what the official names say:
# the matcher reads a message both ways ("sổ đỏ bị mất" also as "giấy chứng
# nhận quyền sử dụng đất bị mất", the words of the catalog's names). Keys are
# folded phrases.
OFFICIAL_TERMS: dict[str, str] = {
    "bang lai": "giấy phép lái xe",
    "visa": "thị thực",
    "e visa": "thị thực điện tử",
    "ho khau": "thường trú",
    "o nha tro": "tạm trú",
    "o tro": "tạm trú",
    "nhap khau": "đăng ký thường trú",
    "chuyen khau": "đăng ký thường trú",
    "giay phep kinh doanh": "giấy chứng nhận đăng ký kinh doanh",
    "bang tot nghiep": "văn bằng tốt nghiệp",
    "lam lai": "cấp lại",
    "lam moi": "cấp mới",
    "nghi huu": "hưởng lương hưu",
    "cong chung": "chứng thực",
    "sao y": "chứng thực bản sao",
    "mat viec": "thất nghiệp",
    "giay chung tu": "trích lục khai tử",
    "cong to dien": "cấp điện",
    "keo dien": "cấp điện",
    "mo cong ty": "thành lập doanh nghiệp",
    "mo doanh nghiep": "thành lập doanh nghiệp",
    "giai the cong ty": "giải thể doanh nghiệp",
    "mo truong": "thành lập trường",
    "nhan luong huu": "lĩnh lương hưu",
    "xin giay phep": "cấp giấy phép",
    "ghi sai": "cải chính đính chính",
    "chung minh thu": "chứng minh nhân dân",
    "qua doi": "mất",  # the polite word for died; the cards say "người mất", "đã mất"
}

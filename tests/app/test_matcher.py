"""The procedure matcher over the real seed cards."""

import math
import unicodedata
from dataclasses import replace

import pytest

from knowledge.store import validate_files
from nlu.abroad import for_abroad, says_abroad, says_foreigner
from nlu.aspects import asked_aspects
from nlu.matcher import (
    ABSTAIN_SCORE,
    ASKED_MARGIN,
    ASKED_MIN_WORDS,
    BEST_CARD_SCORE,
    CANDIDATE_SCORE,
    CARD_PREFERENCE,
    CARD_SCORE,
    OUT_OF_SCOPE_SURE,
    OVERRIDE_SCORE,
    Candidate,
    CardText,
    CatalogCandidate,
    CatalogText,
    EverydayText,
    Match,
    Matcher,
    asked_part,
    asking_sentence,
    card_text,
    cards_of_codes,
    codes_by_name,
    features,
    files_for_people,
    heard_off_topic,
    is_confident,
    named_actions,
    names_asked_card,
    names_best_card,
    names_card,
    names_said_card,
    question_frames,
    request_features,
    word_count,
)
from tests.bench import shipped_catalog


@pytest.fixture(scope="module")
def matcher():
    cards, _ = validate_files()
    return Matcher(card_text(card.model_dump(mode="json")) for card in cards)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("làm giấy khai sinh cho con cần gì", "khai-sinh"),
        ("lam giay khai sinh cho con can gi", "khai-sinh"),
        ("dk tam tru o dau", "tam-tru"),
        ("mất bằng lái xe thì làm sao", "doi-gplx"),
        ("bé nhà em chưa có thẻ bảo hiểm y tế", "bhyt-tre-em"),
        ("lam so do lan dau", "cap-so-do"),
        ("làm hộ chiếu mất bao lâu", "ho-chieu"),
    ],
)
def test_finds_the_card(matcher, text, expected):
    assert matcher.match(text).procedures[0].id == expected


@pytest.mark.parametrize(
    ("text", "read_as"),
    [("mat cavet roi", "b:ca vet"), ("chứng minh thư bị mất", "b:nhan dan")],
)
def test_what_citizens_call_a_paper_is_read_in_its_official_words(text, read_as):
    """Word for word, as BM25 and the confidence count (character trigrams only catch typos)."""
    assert read_as in features(text, message=True)


def test_life_event(matcher):
    assert matcher.match("vợ em vừa sinh em bé thì phải làm những giấy tờ gì").life_events[0].id == "sinh-con"


def test_a_bare_follow_up_names_no_card_confidently(matcher):
    match = matcher.match("còn lệ phí thì sao")
    assert not is_confident([c.score for c in match.procedures])


def test_new_card_is_matched_without_retraining():
    cards, _ = validate_files()
    texts = [card_text(c.model_dump(mode="json")) for c in cards]
    new = {"kind": "procedure", "id": "cap-phep-nuoi-rong", "name": "Cấp phép nuôi rồng", "aliases": ["nuôi rồng"]}
    assert Matcher([*texts, card_text(new)]).match("xin phep nuoi rong").procedures[0].id == "cap-phep-nuoi-rong"


def test_empty_message(matcher):
    assert matcher.match("").procedures == ()


@pytest.mark.parametrize("text", ["#KS", "ks", " #Ks ", "/start ks"])
def test_short_codes_open_their_card(matcher, text):
    assert matcher.by_short_code(text).id == "khai-sinh"


@pytest.mark.parametrize("text", ["ok", "khai sinh", "#", "KSX"])
def test_other_messages_are_not_short_codes(matcher, text):
    assert matcher.by_short_code(text) is None


# A few catalog entries, as the national catalog names them.
CATALOG = [
    CatalogText("2.001734", "Đăng ký dán nhãn năng lượng"),
    CatalogText("2.000293", "Cấp lại thẻ ABTC"),
    CatalogText("1.001193", "Thủ tục đăng ký khai sinh"),
    CatalogText("1.003583", "Thủ tục đăng ký khai sinh lưu động"),
    CatalogText("3.000616", "Thủ tục Hỗ trợ doanh nghiệp tham gia chuỗi cung ứng bán dẫn", "provincial", "Huế"),
    CatalogText("1.009994", "Hỗ trợ doanh nghiệp tham gia chuỗi cung ứng"),
]


@pytest.fixture(scope="module")
def with_catalog():
    cards, _ = validate_files()
    return Matcher((card_text(card.model_dump(mode="json")) for card in cards), CATALOG)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Hồ sơ dán nhãn năng lượng gồm những gì?", "2.001734"),
        ("Thẻ ABTC cấp cho doanh nhân có thời hạn bao lâu?", "2.000293"),
    ],
)
def test_words_only_the_catalog_uses_count_against_the_cards(with_catalog, text, code):
    match = with_catalog.match(text)
    assert match.catalog[0].code == code
    assert match.catalog[0].card is None
    assert not match.best_is_card


def test_a_card_stands_for_the_codes_it_cites(with_catalog):
    match = with_catalog.match("làm giấy khai sinh cho con cần gì")
    assert match.best_is_card
    assert (match.catalog[0].code, match.catalog[0].card) == ("1.001193", "khai-sinh")


@pytest.mark.parametrize(("text", "card"), [("dk ks cho con", "khai-sinh"), ("hc het han", "ho-chieu")])
def test_ambiguous_shorthand_is_read_every_way(with_catalog, text, card):
    assert with_catalog.match(text).procedures[0].id == card


def test_other_provinces_procedures_rank_after_national_ones(with_catalog):
    codes = [c.code for c in with_catalog.match("hỗ trợ doanh nghiệp tham gia chuỗi cung ứng").catalog]
    assert codes.index("1.009994") < codes.index("3.000616")
    cards, _ = validate_files()
    at_home = Matcher((card_text(c.model_dump(mode="json")) for c in cards), CATALOG, home_province="Huế")
    question = "hỗ trợ doanh nghiệp tham gia chuỗi cung ứng bán dẫn"

    def score(matcher: Matcher) -> float:
        return next(c.score for c in matcher.match(question).catalog if c.code == "3.000616")

    assert score(at_home) > score(with_catalog)  # the assistant's own province is not discounted


@pytest.mark.parametrize(
    ("text", "code", "card"), [("thủ tục 1.001193", "1.001193", "khai-sinh"), ("mã TTHC 2.000293?", "2.000293", None)]
)
def test_asking_by_code(with_catalog, text, code, card):
    named = with_catalog.by_code(text)
    assert (named.code, named.card) == (code, card)


def test_an_unknown_code_names_nothing(with_catalog):
    assert with_catalog.by_code("thủ tục 9.999999") is None


@pytest.fixture(scope="module")
def national():
    """Cards with the whole national catalog, as the set-up imports it."""
    from nlu.everyday import everyday_matters

    cards, _ = validate_files()
    return Matcher(
        (card_text(card.model_dump(mode="json")) for card in cards), shipped_catalog(), everyday=everyday_matters()
    )


@pytest.mark.parametrize(
    "text",
    [
        "hôm nay đội tuyển đá bóng với ai, xem kênh nào",
        "cho em công thức pha trà sữa trân châu",
        "bai hat nao dang hot nhat",
    ],
)
def test_a_question_about_something_else_is_not_confident(national, text):
    assert national.match(text).confidence < ABSTAIN_SCORE


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("đăng ký dán nhãn năng lượng cho tủ lạnh thì làm sao", "2.001734"),
        ("xin cap lai the ABTC bi mat", "2.000293"),
    ],
)
def test_a_question_about_a_procedure_without_a_card_is_confident(national, text, code):
    match = national.match(text)
    assert match.confidence >= ABSTAIN_SCORE
    assert code in [c.code for c in match.catalog[:3]]


def test_one_button_per_name():
    twins = [
        CatalogText("1.000001", "Cấp giấy phép nuôi ong mật"),
        CatalogText("3.000001", "Cấp giấy phép nuôi ong mật", "provincial", "Huế"),
        CatalogText("1.000002", "Gia hạn giấy phép nuôi ong mật"),
    ]
    codes = [c.code for c in Matcher([], twins).match("xin giấy phép nuôi ong mật").catalog]
    assert codes[:2] == ["1.000001", "1.000002"]
    assert "3.000001" not in codes


def test_the_sentence_that_asks_weighs_more():
    story = "Tôi làm công nhân ở Hàn Quốc năm năm, hợp đồng sắp hết. Xin hỏi về nước thì đăng ký thường trú thế nào?"
    asking = request_features(story)
    assert "b:thuong tru" in asking
    assert "w:han" not in asking
    assert request_features("đăng ký thường trú thế nào?") == set()


def test_a_long_question_with_a_story_finds_its_card(national):
    story = (
        "Tôi đi làm ở Hàn Quốc đã năm năm, hợp đồng lao động sắp hết và tháng sau tôi về nước. "
        "Công ty mới ở quê yêu cầu nộp giấy tờ chứng minh không có án tích. "
        "Xin hỏi tôi cần làm thủ tục gì để được cấp phiếu lý lịch tư pháp?"
    )
    assert national.match(story).procedures[0].id == "ly-lich-tu-phap"


def test_a_message_is_also_read_in_official_words():
    assert "b:giay phep" in features("mất bằng lái rồi", message=True)
    # the cards' own phrases are indexed as written
    assert "b:giay phep" not in features("bằng lái")


def test_official_words_are_found_in_shorthand_and_the_longer_first():
    # "e" is shorthand for "em": "e-visa" is read "em visa", and "e visa"
    # ("thị thực điện tử") applies before "visa" ("thị thực").
    assert "b:thuc dien" in features("xin e-visa online", message=True)
    assert "b:thuc dien" not in features("xin visa online", message=True)


def test_passed_away_is_read_as_the_cards_word_for_died(national):
    # "qua đời" is how citizens write it; the cards write "người mất", "đã mất".
    assert "w:mat" in features("mẹ tôi qua đời", message=True)
    match = national.match("mẹ tôi qua đời, nghe nói làm một lần là xong cả khai tử, cắt hộ khẩu với tiền mai táng")
    assert match.procedures[0].id == "lien-thong-khai-tu" and match.procedures[0].score >= CARD_SCORE


@pytest.mark.parametrize(
    "text", ["công ty tnhh một thành viên của tôi muốn giải thể thì làm sao", "giải thể công ty cổ phần cần hồ sơ gì"]
)
def test_dissolving_a_company_does_not_name_the_registration_card(national, text):
    # The card cites the registration of every company type; its words match a
    # question about dissolving one but for the action.
    match = national.match(text)
    registration = next(c for c in match.procedures if c.id == "thanh-lap-doanh-nghiep")
    assert registration.score < CARD_SCORE
    assert match.catalog[0].card is None


def test_dissolving_a_company_is_read_in_the_official_words(national):
    assert national.match("giải thể công ty cổ phần cần hồ sơ gì").catalog[0].name.startswith("Giải thể doanh nghiệp")


def test_actions_are_where_a_thing_starts_stops_or_is_withdrawn():
    assert named_actions(features("giải thể công ty")) != named_actions(features("thành lập công ty")) != 0
    assert named_actions(features("cấp lại giấy phép, gia hạn hộ chiếu, điều chỉnh thông tin")) == 0


@pytest.mark.parametrize(
    ("text", "card"),
    [("đk ks cho con", "khai-sinh"), ("hc hết hạn", "ho-chieu"), ("rút bh 1 lần", "bhxh-mot-lan"), ("đkkh", "ket-hon")],
)
def test_shorthand_inside_sentences_with_the_whole_catalog(national, text, card):
    assert national.match(text).procedures[0].id == card


def test_diacritics_tell_apart_words_that_fold_alike():
    cards = [card_text({"id": "khai-sinh", "name": "Đăng ký khai sinh", "aliases": ["làm giấy tờ cho em bé"]})]
    matcher = Matcher(cards)
    same, other = matcher.match("làm giấy tờ cho bé"), matcher.match("làm giấy tờ cho bể")
    assert same.procedures[0].score > other.procedures[0].score
    # without diacritics both readings stay possible
    assert matcher.match("lam giay to cho be").procedures[0].id == "khai-sinh"


def test_the_frame_of_a_question_is_not_what_it_is_about():
    assert not {"w:thu", "w:hoi", "b:cho em"} & set(features("cho em hỏi thủ tục nuôi ong", message=True))


@pytest.mark.parametrize(
    "opening",
    [
        "Kính đề nghị hướng dẫn",
        "Đề nghị cho biết",
        "Đề nghị cho em biết",
        "Đề nghị cơ quan chức năng hướng dẫn",
        "Kính đề nghị quý cơ quan giải đáp",
        "Xin hướng dẫn",
        "Vui lòng giải đáp",
        "Tôi muốn hỏi",
        "Chúng tôi cần biết",
    ],
)
def test_a_formal_opening_is_a_frame_too(opening):
    """ "Đề nghị" also starts official names: the opening must not match them."""
    matcher = Matcher(
        [card_text({"id": "nuoi-ong", "name": "Cấp phép nuôi ong"})],
        [CatalogText("1.000001", "Đề nghị hưởng miễn trừ đối với thỏa thuận nuôi ong")],
    )
    match = matcher.match(f"{opening} hồ sơ xin cấp phép nuôi ong gồm những gì")
    assert not {"w:de", "w:nghi", "w:muon"} & set(features(f"{opening} nuôi ong", message=True))
    assert match.procedures[0].score > match.best_entry


def test_the_portals_field_labels_and_the_official_level_are_a_frame(national):
    """They say which part of a procedure is asked, or who handles hundreds of
    them: "giải quyết … Ủy ban nhân dân cấp xã" made this a land dispute settled by the commune."""
    question = "Xin cho biết thời hạn giải quyết việc đăng ký khai sinh tại Ủy ban nhân dân cấp xã là mấy ngày?"
    assert not {"b:thoi han", "b:cap xa", "b:nhan dan"} & set(features(question, message=True))
    match = national.match(question)
    assert match.procedures[0].id == "khai-sinh"
    assert match.procedures[0].score > match.best_entry


@pytest.mark.parametrize(
    "question",
    [
        "đăng ký kết hôn giữa công dân việt nam với người nước ngoài",
        "Cấp giấy xác nhận tình trạng hôn nhân cho công dân Việt Nam đang ở nước ngoài",
    ],
)
def test_a_question_about_the_variant_abroad_gets_its_entry_not_the_card(national, question):
    """ "Công dân Việt Nam" is not a frame: an official name says it of the variant for those abroad."""
    match = national.match(question)
    assert match.catalog[0].card is None
    assert match.best_entry > match.procedures[0].score
    assert match.procedures[0].id in match.said  # the card's name is said, but its variant's more fully
    assert not names_said_card(match, _ASK)


def test_a_citizens_own_words_for_the_commune_are_kept():
    """ "ở ubnd xã" may be what tells a commune's certification from a card."""
    assert "b:dan xa" in features("chứng thực hợp đồng ở ubnd xã", message=True)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("thẻ bhyt trẻ em cần hỏi ở đâu", "w:em"),  # a child, not "em" asking
        ("em muốn xin hướng dẫn viên du lịch", "b:huong dan"),  # a tour guide, not "guidance"
    ],
)
def test_words_that_only_look_like_a_formal_opening_are_kept(text, kept):
    assert kept in features(text, message=True)


def test_siblings_that_differ_by_an_aside_take_one_place():
    siblings = [
        CatalogText("1.000001", "Trình báo mất thẻ nuôi ong (thực hiện tại cấp tỉnh)"),
        CatalogText("1.000002", "Trình báo mất thẻ nuôi ong (thực hiện tại cấp huyện)"),
        CatalogText("1.000003", "Thủ tục trình báo mất thẻ nuôi ong."),
        CatalogText("1.000004", "Cấp mới thẻ nuôi ong (thực hiện tại cấp trung ương)"),
    ]
    codes = [c.code for c in Matcher([], siblings).match("mất thẻ nuôi ong thì trình báo ở đâu").catalog]
    assert len(codes) == 2
    assert codes[0] in {"1.000001", "1.000002", "1.000003"}
    assert codes[1] == "1.000004"


@pytest.mark.parametrize("organisations_only", ["1.000001", "1.000002"])
def test_an_entry_only_organisations_file_ranks_after_one_a_person_may_file(organisations_only):
    names = {"1.000001": "Đăng ký trại nuôi ong mật", "1.000002": "Đăng ký trại nuôi ong rừng"}
    entries = [
        CatalogText(code, name, targets=("Doanh nghiệp",) if code == organisations_only else ("Công dân Việt Nam",))
        for code, name in names.items()
    ]
    match = Matcher([], entries).match("đăng ký trại nuôi ong")
    assert [c.code for c in match.catalog][-1] == organisations_only
    assert match.catalog[0].score > match.catalog[1].score


@pytest.mark.parametrize(
    ("targets", "people"),
    [
        (["Công dân Việt Nam", "Doanh nghiệp"], True),
        (["Người nước ngoài"], True),
        (["Doanh nghiệp", "Hợp tác xã", "Tổ chức (không bao gồm doanh nghiệp, HTX)"], False),
        ([], True),  # the export names no one: not held against it
    ],
)
def test_who_may_file_an_entry_is_read_from_its_targets(targets, people):
    assert files_for_people(targets) is people


def test_bm25_is_okapi_over_the_names():
    """bm25s with the matcher's terms gives the classic Okapi weight:
    idf log(1 + (N - df + 0.5) / (df + 0.5)), tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl))."""
    entries = [
        CatalogText("1.000001", "Nuôi ong"),
        CatalogText("1.000002", "Nuôi cá"),
        CatalogText("1.000003", "Trồng lúa"),
    ]
    matcher = Matcher([], entries)
    ong = matcher._columns["w:ong"]
    # a document's terms: its name's words and word pairs (short names have no separate head)
    lengths = [len([f for f in features(e.name) if not f.startswith("c:")]) for e in entries]
    tf, dl, avgdl = 1, lengths[0], sum(lengths) / len(lengths)
    expected = math.log(1 + (3 - 1 + 0.5) / (1 + 0.5)) * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * dl / avgdl))
    assert matcher._bm25_scores([ong]) == pytest.approx([expected, 0.0, 0.0])


def test_a_message_without_diacritics_is_weaker_evidence(national):
    written, folded = national.match("đăng ký khai sinh cho con"), national.match("dang ky khai sinh cho con")
    assert folded.procedures[0].id == written.procedures[0].id == "khai-sinh"
    assert folded.confidence < written.confidence


def test_a_life_event_and_a_procedure_may_share_an_id():
    """The procedure passes its score to the life event of the same id, and
    the catalog entry it cites to itself, not to the life event."""
    cards = [
        CardText("procedure", "ket-hon", ("đăng ký kết hôn",), life_events=("ket-hon",), codes=("1.000894",)),
        CardText("life_event", "ket-hon", ("lấy vợ lấy chồng",)),
    ]
    entries = [CatalogText("1.000894", "Thủ tục đăng ký kết hôn"), CatalogText("2.000001", "Cấp giấy phép xây dựng")]
    match = Matcher(cards, entries).match("đăng ký kết hôn")
    assert match.procedures[0].id == "ket-hon"
    assert match.life_events[0].id == "ket-hon"
    assert match.life_events[0].score == pytest.approx(match.procedures[0].score * 0.8, abs=1e-3)


def test_a_question_attached_to_an_entry_finds_it_in_other_words():
    """Citizens say "kéo điện", the catalog "cấp điện mới": among all the shipped
    entries, an editor's attached question carries the citizens' words to it."""
    cards, _ = validate_files()
    texts = [card_text(card.model_dump(mode="json")) for card in cards]
    catalog = shipped_catalog()
    asked = "nhà e mới xây xong, muốn kéo điện về lắp công tơ thì làm sao"
    assert Matcher(texts, catalog).match(asked).catalog[0].code != "3.000001"
    question = "nhà mới xây muốn kéo điện về lắp công tơ thì làm hồ sơ thế nào"
    attached = [replace(e, questions=(question,)) if e.code == "3.000001" else e for e in catalog]
    after = Matcher(texts, attached).match(asked)
    assert after.catalog[0].code == "3.000001" and not after.best_is_card


def test_shorthand_with_several_readings_inside_a_sentence_finds_the_official_name():
    """In "giấy cn", "cn" is "chứng nhận" (also "công nhân", "cá nhân", "chi nhánh")."""
    cards, _ = validate_files()
    matcher = Matcher([card_text(card.model_dump(mode="json")) for card in cards], shipped_catalog())
    match = matcher.match("giấy cn đăng ký hộ kinh doanh bị mất")
    assert match.catalog[0].name.startswith("Cấp lại Giấy chứng nhận đăng ký hộ kinh doanh")
    assert not match.best_is_card  # not the card about registering one


def test_one_place_stands_for_the_entries_of_one_name_at_home_and_nationally():
    seals = [
        CatalogText("1.115231", "Đăng ký mẫu con dấu mới"),
        CatalogText("2.001428", "Đăng ký mẫu con dấu mới (thực hiện tại cấp tỉnh)"),
        CatalogText("3.000111", "Đăng ký mẫu con dấu mới", "provincial", "Lào Cai"),
        CatalogText("2.001410", "Đăng ký lại mẫu con dấu (thực hiện tại cấp tỉnh)"),
    ]
    [first, *others] = Matcher([], seals, home_province="Huế").match("đăng ký mẫu con dấu mới ở đâu").catalog
    assert {first.code, *first.siblings} == {"1.115231", "2.001428"}  # not Lào Cai's own
    assert all(not ({c.code, *c.siblings} & {first.code, *first.siblings}) for c in others)


def _matched(best: float) -> Match:
    return Match((), (), catalog=(CatalogCandidate("1.000001", "Thủ tục", best),), confidence=0.6)


@pytest.mark.parametrize(
    ("intent", "best", "off_topic"),
    [
        ({"name": "out_of_scope", "confidence": OUT_OF_SCOPE_SURE}, OVERRIDE_SCORE - 0.01, True),
        ({"name": "out_of_scope", "confidence": OUT_OF_SCOPE_SURE - 0.01}, OVERRIDE_SCORE - 0.01, False),
        ({"name": "out_of_scope", "confidence": 1.0}, OVERRIDE_SCORE, False),
        ({"name": "ask_procedure", "confidence": 1.0}, 0.1, False),
        ({}, 0.1, False),
    ],
)
def test_a_sure_out_of_scope_verdict_stands_against_a_middling_match(intent, best, off_topic):
    assert heard_off_topic(intent, _matched(best)) is off_topic


def test_nothing_matched_and_sure_out_of_scope_is_off_topic():
    assert heard_off_topic({"name": "out_of_scope", "confidence": 0.99}, Match((), ()))


@pytest.mark.parametrize(
    ("scores", "best_entry", "offered"),
    [
        ((0.27, 0.26), 0.265, ["a"]),  # the best match, though under CANDIDATE_SCORE
        ((0.27, 0.26), 0.28, []),  # an entry without a card is better
        ((BEST_CARD_SCORE - 0.01,), 0.1, []),  # best, but too weak to offer
        ((CANDIDATE_SCORE, 0.29), 0.5, ["a"]),  # a candidate whatever the entries
    ],
)
def test_a_card_is_offered_from_the_candidate_score_or_when_it_beats_every_entry(scores, best_entry, offered):
    cards = tuple(Candidate(name, score) for name, score in zip("ab", scores, strict=False))
    assert [c.id for c in Match(cards, (), best_entry=best_entry).candidate_cards] == offered


def test_the_best_card_of_a_long_question_is_offered_though_it_scores_low(national):
    story = (
        "Tháng trước tôi bị công an giao thông lập biên bản vì chạy quá tốc độ và tạm giữ bằng lái. "
        "Nay tôi muốn nộp tiền phạt để lấy lại giấy tờ nhưng ở xa. Đề nghị cho biết có thể nộp qua mạng được không?"
    )
    match = national.match(story)
    best = match.procedures[0]
    assert best.id == "nop-phat-giao-thong" and best.score < CANDIDATE_SCORE  # what the story costs
    assert [c.id for c in match.candidate_cards][:1] == ["nop-phat-giao-thong"]
    assert best.score > match.catalog[0].score  # the action offers it (a card without a national code)


@pytest.mark.parametrize(
    ("card", "best_other", "named"),
    [
        (CARD_SCORE, 0.0, True),
        (CARD_SCORE - 0.01, 0.0, False),  # a weak card is offered, not named
        (0.6, 0.6 / CARD_PREFERENCE - 0.01, True),  # cards are preferred to entries that score a little more
        (0.6, 0.6 / CARD_PREFERENCE + 0.01, False),  # an entry without a card beats it clearly
    ],
)
def test_a_card_is_named_from_its_score_unless_an_entry_beats_it_clearly(card, best_other, named):
    assert names_card(card, best_other) is named


def test_words_the_asking_sentence_repeats_cover_a_phrase_at_most_once():
    """The asking sentence weighs double; a phrase it covers is covered once,
    not twice (a score above 1 once named a card for its question frame)."""
    matcher = Matcher([CardText("procedure", "x", ("giấy tờ gì",))])
    match = matcher.match("Tôi ở xa. Xin hỏi giấy tờ gì?")
    assert 0 < match.procedures[0].score <= 1.0


def _asked_cards(count: int) -> list[CardText]:
    topics = ["nuôi ong", "trồng lúa", "bán cá", "mở quán", "xây bể", "đào ao", "cắt tóc", "sửa xe", "dạy bơi", "dệt"]
    return [
        CardText("procedure", f"card-{i}", (f"giấy phép {topic}", f"xin phép {topic} cần giấy tờ gì"), named_phrases=1)
        for i, topic in enumerate(topics[:count])
    ]


def test_words_most_cards_ask_with_are_a_question_frame():
    cards = _asked_cards(10)
    frames = question_frames(cards, [[features(p) for p in card.phrases] for card in cards])
    assert {"b:giay to", "b:to gi", "w:gi", "b:xin phep"} <= frames
    assert "b:nuoi ong" not in frames  # one card's topic
    assert "b:giay phep" not in frames  # in the names, not the questions


def test_a_few_cards_cannot_tell_a_frame():
    cards = _asked_cards(9)
    assert question_frames(cards, [[features(p) for p in card.phrases] for card in cards]) == set()


def test_a_story_that_asks_for_papers_does_not_name_a_card_whose_aliases_ask_so(national):
    """The marriage card's aliases ask "lấy vợ cần làm giấy tờ gì"; a tenant
    asking what papers to bring shares only that frame with it (it was named, at 0.52)."""
    story = (
        "Tôi quê ở Nghệ An, mới vào Sài Gòn làm công nhân, đang ở nhà trọ. "
        "Chủ nhà bảo phải khai báo với công an phường. Xin hỏi tôi cần mang theo giấy tờ gì?"
    )
    match = national.match(story)
    marriage = next(c.score for c in match.procedures if c.id == "ket-hon")
    assert marriage < CARD_SCORE
    assert "ket-hon" not in [c.id for c in match.candidate_cards]


def test_living_in_a_rented_room_is_read_as_temporary_residence(national):
    """A tenant lives "ở nhà trọ", "ở trọ": the temporary residence card. A
    landlord who opens one ("mở nhà trọ") asks about a business, not that card."""
    story = (
        "Tôi quê ở Nghệ An, mới vào Sài Gòn làm công nhân, đang ở nhà trọ. "
        "Chủ nhà bảo phải khai báo với công an phường. Xin hỏi tôi cần mang theo giấy tờ gì?"
    )
    best = national.match(story).procedures[0]
    assert best.id == "tam-tru" and best.score >= CARD_SCORE
    assert national.match("e đang ở trọ gần trường, có phải khai báo gì ko ạ").procedures[0].id == "tam-tru"
    assert national.match("mở nhà trọ cho thuê cần giấy phép gì").procedures[0].id != "tam-tru"


def test_a_word_no_document_uses_weighs_against_the_confidence():
    """It names what the message is about and no procedure covers ("shopee"):
    it counts as two words, a number as one, as does a known word that matches elsewhere."""
    matcher = Matcher([CardText("procedure", "ong", ("đăng ký nuôi ong",)), CardText("procedure", "ca", ("nuôi cá",))])
    known = matcher.match("đăng ký nuôi ong cá").confidence
    assert matcher.match("đăng ký nuôi ong lợn").confidence < known
    assert matcher.match("đăng ký nuôi ong 2024").confidence == pytest.approx(known)


def test_an_everyday_matter_that_explains_the_message_better_takes_it_from_the_card():
    """A bank card is not the citizen-ID card, though both are "làm lại thẻ"."""
    card = CardText("procedure", "can-cuoc", ("cấp lại thẻ căn cước", "làm lại thẻ căn cước bị mất"), named_phrases=1)
    bank = EverydayText("bank-cards", ("thẻ ATM", "thẻ ATM bị nuốt", "làm lại thẻ ngân hàng"))
    matcher = Matcher([card], everyday=[bank])
    about_bank = matcher.match("thẻ atm bị nuốt thì làm lại thế nào")
    assert about_bank.everyday == Candidate("bank-cards", about_bank.everyday.score)
    assert about_bank.about_everyday_matter
    assert not matcher.match("làm lại thẻ căn cước bị mất").about_everyday_matter
    assert [c.id for c in about_bank.procedures] == ["can-cuoc"]  # still ranked: the decision is the caller's


def test_everyday_matters_are_neither_cards_nor_catalog_entries():
    bank = EverydayText("bank-cards", ("thẻ ATM ngân hàng",))
    match = Matcher([], [CatalogText("1.000001", "Cấp thẻ căn cước")], everyday=[bank]).match("thẻ atm ngân hàng")
    assert match.procedures == () and [c.code for c in match.catalog] == ["1.000001"]
    assert match.best_entry < match.everyday.score and match.about_everyday_matter


def test_without_everyday_matters_nothing_is_taken_for_one():
    card = CardText("procedure", "can-cuoc", ("cấp lại thẻ căn cước",))
    match = Matcher([card]).match("làm lại thẻ atm")
    assert match.everyday is None and not match.about_everyday_matter


def test_an_everyday_matters_spelling_does_not_make_a_procedures_word_match():
    """ "bể" (a pool) folds to "be" as "bé" (a baby) does: that an everyday
    matter writes "bể" does not make it the cards' "bé"."""
    card = CardText("procedure", "khai-sinh", ("khai sinh cho bé",))
    pools = EverydayText("swimming", ("bể bơi", "học bơi"))
    matcher = Matcher([card], everyday=[pools])
    [baby] = matcher.match("khai sinh cho bé").procedures
    [pool] = matcher.match("khai sinh cho bể").procedures
    assert baby.score == 1.0 and pool.score < 0.9


_ASK = {"name": "ask_procedure", "confidence": 0.99}
# Says the card's official name in the sentence that asks; the rest dilutes every score.
_SAYS_TEMPORARY_RESIDENCE = (
    "Người đã có nơi thường trú nay đến chỗ ở hợp pháp khác để lao động thời vụ thì bắt buộc đăng ký tạm trú hay không?"
)


def test_the_sentence_that_asks_is_the_last_with_a_question():
    assert (
        asking_sentence("Mẹ tôi mới mất. Tôi ở xa. Xin hỏi làm khai tử ở đâu? Cảm ơn") == "Xin hỏi làm khai tử ở đâu?"
    )
    assert asking_sentence("làm khai tử ở đâu?") is None  # one sentence: the whole message asks


def test_a_card_whose_official_name_is_said_is_named_under_the_card_score(national):
    match = national.match(_SAYS_TEMPORARY_RESIDENCE)
    best = match.procedures[0]
    assert best.id == "tam-tru" and BEST_CARD_SCORE <= best.score < CARD_SCORE
    assert "tam-tru" in match.said
    assert names_said_card(match, _ASK)


def test_a_card_whose_name_is_said_is_offered_when_only_an_entry_for_those_abroad_scores_more():
    assert [c.id for c in _said(best_entry=0.3).candidate_cards] == ["a"]
    assert _said(best_entry=0.3, rival_entry=0.3).candidate_cards == ()


@pytest.mark.parametrize(
    ("text", "abroad"),
    [
        ("đăng ký kết hôn với người nước ngoài", True),
        ("đkkh với ng nước ngoài", True),
        ("lấy chồng Nhật cần giấy tờ gì", True),
        ("con tôi sinh ở Hàn Quốc", True),
        ("Việt kiều về nước mua nhà", True),
        ("đăng ký kết hôn giữa hai công dân Việt Nam", False),
        ("nhận cha, mẹ, con ở trong nước", False),
        ("Đăng ký kết hôn giữa công dân Việt Nam với công dân Mỹ", True),
        ("kết hôn với người Hồng Kông", True),
        ("chồng tôi là người Anh", True),
        ("làm hộ chiếu ở công an tỉnh", False),
        ("nộp ở phòng tư pháp", False),
        ("người lao động ở Lào Cai", False),
        ("đăng ký kết hôn với anh ấy", False),
    ],
)
def test_a_message_says_abroad_by_the_word_or_the_country(text, abroad):
    assert says_abroad(text) is abroad


@pytest.mark.parametrize(
    ("name", "abroad"),
    [
        ("Thủ tục đăng ký kết hôn có yếu tố nước ngoài", True),
        ("Thủ tục đăng ký việc giám hộ giữa công dân Việt Nam cư trú ở nước ngoài với nhau", True),
        ("Khai báo tạm trú cho người nước ngoài tại Việt Nam bằng Phiếu khai báo tạm trú", True),
        ("Thủ tục Chứng thực chữ ký người dịch trong các văn bản dịch từ tiếng nước ngoài sang tiếng Việt", False),
        ("Thủ tục đăng ký kết hôn", False),
    ],
)
def test_an_official_name_is_for_those_abroad_when_it_qualifies_who_or_where(name, abroad):
    assert for_abroad(name) is abroad


def test_an_entry_for_those_abroad_that_clearly_beats_a_name_said_still_counts(national):
    """ "Ý" is abroad, though ``says_abroad`` does not know it: the entry scores far more."""
    match = national.match("Xin hỏi đăng ký nhận cha, mẹ, con giữa các công dân Việt Nam tạm trú tại Ý với nhau?")
    assert match.procedures[0].id == "nhan-cha-me-con" and "nhan-cha-me-con" in match.said
    assert match.procedures[0].score < match.best_entry * 0.7 and match.rival_entry == match.best_entry
    assert not names_said_card(match, _ASK)


def test_an_entry_for_those_abroad_does_not_count_against_a_name_said_when_nothing_abroad_is(national):
    """The catalog's "… kết hôn giữa công dân Việt Nam tạm trú ở nước ngoài với
    nhau" shares "giữa công dân Việt Nam" with a question about marriage at home."""
    match = national.match("Xin hỏi lệ phí đăng ký kết hôn giữa hai công dân Việt Nam tại xã hiện nay là bao nhiêu?")
    assert match.procedures[0].id == "ket-hon" and "ket-hon" in match.said
    assert match.catalog[0].card is None and match.best_entry > match.procedures[0].score > match.rival_entry
    assert names_said_card(match, _ASK)


@pytest.mark.parametrize(
    "question",
    [
        "Thủ tục ghi chú đăng ký kết hôn đã làm ở nước ngoài vào sổ hộ tịch như thế nào?",
        "Đăng ký thay đổi nội dung đăng ký thành lập doanh nghiệp thế nào?",
        "Đăng ký xe rồi có phải nộp lệ phí trước bạ không?",
        "Xóa đăng ký thường trú cần giấy tờ gì?",
    ],
)
def test_a_name_said_does_not_outrank_another_procedure_asked_about(national, question):
    """The card's name is said, but the question asks about the entry that scores more."""
    match = national.match(question)
    assert match.procedures[0].id in match.said
    assert match.rival_entry > match.procedures[0].score
    assert not names_said_card(match, _ASK)


def test_the_cards_procedure_at_another_level_is_covered_by_the_card():
    catalog = [
        CatalogText("1.014063", "Cấp đổi thẻ căn cước"),
        CatalogText("2.001195", "Cấp đổi thẻ căn cước (thực hiện tại cấp tỉnh)"),
        CatalogText("3.000001", "Cấp đổi thẻ căn cước", scope="provincial", province="Huế"),
        CatalogText("2.001194", "Cấp lại thẻ căn cước (thực hiện tại cấp tỉnh)"),
    ]
    by_code = {entry.code: entry for entry in catalog}
    covering = cards_of_codes({"1.014063": "can-cuoc"}, by_code, codes_by_name(catalog, "Hà Nội"))
    # Another province's own procedure of that name is not the citizen's; "cấp lại" is another procedure.
    assert covering == {"1.014063": {"can-cuoc"}, "2.001195": {"can-cuoc"}}


def test_the_same_procedure_at_another_level_neither_outranks_the_card_nor_takes_a_button(national):
    match = national.match("Cấp đổi thẻ căn cước (thực hiện tại cấp tỉnh)")
    assert match.procedures[0].id == "can-cuoc" and match.catalog[0].card == "can-cuoc"
    assert {"2.001195", "1.000889"}.isdisjoint(c.code for c in match.catalog)


def test_an_entry_whose_name_is_not_said_does_not_count_against_a_name_said(national):
    """ "Khai báo thông tin về cư trú đối với người chưa đủ điều kiện đăng ký
    thường trú" shares the card's name and "đối với người chưa" with the
    question, but the question does not say what the entry does ("khai báo")."""
    match = national.match(
        "Cho hỏi đăng ký thường trú đối với người chưa thành niên thì có cần cha mẹ đồng ý bằng văn bản không?"
    )
    assert match.procedures[0].id == "thuong-tru" and "thuong-tru" in match.said
    assert match.catalog[0].card is None and match.best_entry > match.procedures[0].score > match.rival_entry
    assert names_said_card(match, _ASK)


@pytest.mark.parametrize(
    ("text", "foreigner"),
    [
        ("đăng ký kết hôn với người nước ngoài", True),
        ("lay chong dai loan", True),
        ("lấy vợ Việt kiều", True),
        ("chồng tôi quốc tịch Trung Quốc", True),
        ("bố cháu là người Hồng Kông", True),
        ("có 2 quốc tịch", True),
        ("chồng đang làm việc ở Nhật", False),
        ("tôi đi du học Hàn Quốc", False),
        ("đăng ký kết hôn giữa hai công dân Việt Nam", False),
        ("người lao động ở Lào Cai", False),
        ("cựu chiến binh chống Mỹ", False),
        ("khang chien chong my", False),
        ("quốc tịch VN", False),
        ("người Thái ở Sơn La", False),  # an ethnic group of Viet Nam
        ("chồng Hùng mất rồi", False),
        ("nguoi y te", False),
    ],
)
def test_a_message_names_a_foreign_party_not_only_a_place_abroad(text, foreigner):
    assert says_foreigner(text) is foreigner


def test_a_name_said_only_in_the_story_is_not_said(matcher):
    match = matcher.match("Mẹ tôi đang hưởng trợ cấp xã hội hằng tháng. Xin hỏi thuê người chăm sóc ở đâu uy tín?")
    assert "tro-cap-xa-hoi" in matcher.match("trợ cấp xã hội hằng tháng").said
    assert match.said == frozenset()


def _said(**changes) -> Match:
    said = Match(
        (Candidate("a", 0.27), Candidate("b", 0.2)), (), best_entry=0.2, said=frozenset({"a"}), rival_entry=0.2
    )
    return replace(said, **changes)


@pytest.mark.parametrize(
    ("match", "intent", "named"),
    [
        (_said(), _ASK, True),
        (_said(said=frozenset({"b"})), _ASK, False),  # another card's name
        (_said(said=frozenset()), _ASK, False),
        (_said(best_entry=0.28), _ASK, True),  # only an entry for those abroad is better
        (_said(best_entry=0.28, rival_entry=0.28), _ASK, False),  # another entry is better
        (_said(best_entry=0.28, rival_entry=None), _ASK, False),  # by default, every entry counts
        (_said(procedures=(Candidate("a", BEST_CARD_SCORE - 0.01),), rival_entry=0.0), _ASK, False),  # too weak
        (_said(procedures=(Candidate("b", 0.3), Candidate("a", 0.27))), _ASK, False),  # not the best card
        (_said(), {"name": "life_event", "confidence": 0.99}, False),  # not heard as a procedure question
        (_said(procedures=()), _ASK, False),
    ],
)
def test_a_card_whose_name_is_said_is_named_only_when_every_sign_agrees(match, intent, named):
    assert names_said_card(match, intent) is named


# A story, then a question about two aspects of death registration: the story
# dilutes every score, so the card scores under CARD_SCORE.
_STORY_THEN_TWO_ASPECTS = (
    "Bố mẹ tôi đã lớn tuổi, sống ở quê, còn tôi đi làm xa nên ít về. Tuần trước bố tôi qua đời tại nhà sau thời "
    "gian dài bệnh nặng. Xin hỏi gia đình phải nộp giấy tờ gì, nộp ở đâu để được cấp giấy chứng tử?"
)


@pytest.mark.parametrize(
    ("text", "aspects"),
    [
        ("hồ sơ gồm những gì, lệ phí bao nhiêu", {"documents", "fees"}),
        ("lam ho chieu mat bao lau, nop o dau", {"time", "where"}),
        ("đăng ký tạm trú", set()),
        ("Mua xe máy trả góp ở Head Honda cần trả trước bao nhiêu phần trăm?", set()),
    ],
)
def test_the_aspects_a_message_asks(text, aspects):
    assert asked_aspects(text) == aspects


def test_a_story_before_a_question_about_two_aspects_names_its_card_under_the_card_score(national):
    match = national.match(_STORY_THEN_TWO_ASPECTS)
    best = match.procedures[0]
    assert best.id == "khai-tu" and BEST_CARD_SCORE <= best.score < CARD_SCORE
    assert match.asks == {"documents", "where"}  # the question's, not the story's "thời gian"
    assert names_best_card(match, match.best_entry, _ASK)


def test_the_story_does_not_ask(national):
    """Only the sentence that asks counts: "qua đời tại nhà" is not "làm tại nhà"."""
    story = _STORY_THEN_TWO_ASPECTS.split("Xin hỏi")[0]
    assert national.match(story + "Xin hỏi thủ tục này thế nào?").asks == frozenset()


def _asked(**changes) -> Match:
    asked = Match(
        (Candidate("a", 0.28), Candidate("b", 0.2)),
        (),
        best_entry=0.22,
        asks=frozenset({"documents", "fees"}),
        word_count=ASKED_MIN_WORDS,
    )
    return replace(asked, **changes)


@pytest.mark.parametrize(
    ("match", "named"),
    [
        (_asked(), True),
        (_asked(asks=frozenset({"fees"})), False),  # one aspect: "giá bao nhiêu" asks about anything
        (_asked(word_count=ASKED_MIN_WORDS - 1), False),  # a short question scoring this low is a weak match
        (_asked(everyday=Candidate("life-insurance", 0.27)), False),  # an everyday matter is as likely
        (_asked(everyday=Candidate("life-insurance", 0.28 / ASKED_MARGIN - 0.001)), True),
        (_asked(best_entry=0.29), False),  # an entry without a card is better
        (_asked(procedures=(Candidate("a", 0.28), Candidate("b", 0.28 / ASKED_MARGIN + 0.001))), False),  # close
        (_asked(procedures=(Candidate("a", BEST_CARD_SCORE - 0.01),), best_entry=0.1), False),  # too weak
        (_asked(procedures=()), False),
    ],
)
def test_a_card_is_named_by_the_aspects_asked_only_with_a_clear_lead(match, named):
    assert names_asked_card(match) is named


@pytest.mark.parametrize(
    "text",
    [
        "Chuyển trường cho con từ Hà Nội về quê cần hồ sơ gì, nộp ở đâu?",
        "Con tôi chuẩn bị vào lớp 1, hồ sơ nhập học gồm những gì và nộp ở đâu?",
        "Đăng ký internet cáp quang cho nhà trọ cần giấy tờ gì, bao lâu lắp xong?",
    ],
)
def test_a_short_question_about_two_aspects_of_something_else_is_not_named_by_what_it_asks(national, text):
    match = national.match(text)
    assert len(match.asks) >= 2
    assert not names_asked_card(match)


def test_what_a_message_asks_is_every_question_it_ends_with():
    story = "Tôi mở quán cơm ở chợ được hai năm, nay muốn đăng ký cho đàng hoàng. "
    assert asked_part(story + "Cần hồ sơ gì? Lệ phí bao nhiêu? Mấy ngày thì có giấy ạ?") == (
        "Cần hồ sơ gì? Lệ phí bao nhiêu? Mấy ngày thì có giấy ạ?"
    )
    assert asked_part(story + "Xin hỏi cần hồ sơ gì. Em cảm ơn") == "Xin hỏi cần hồ sơ gì."
    assert asked_part("đăng ký hộ kinh doanh cần gì") == "đăng ký hộ kinh doanh cần gì"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Con tôi chuẩn bị vào lớp 1, hồ sơ nhập học gồm những gì?", 13),
        ("Ngày 15/03/2024 tôi nộp 2.000.000 đồng, số 0912.345.678", 5),  # numbers are not words
    ],
)
def test_word_count(text, count):
    assert word_count(text) == count


def test_word_count_reads_decomposed_text_as_composed():
    text = "Con tôi chuẩn bị vào lớp 1, hồ sơ nhập học gồm những gì và nộp ở đâu?"
    assert word_count(unicodedata.normalize("NFD", text)) == word_count(text)

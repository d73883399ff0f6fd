"""Maps a citizen's message to knowledge cards and national catalog entries,
in one ranking: the core of understanding "which procedure", in plain Python
with NumPy/SciPy (both environments have them).

Every card is described by phrases (official name, aliases, example
questions) and every catalog entry by its official name. Phrases and messages
are normalised (no accents, abbreviations expanded) and turned into weighted
features: syllables, syllable pairs and character trigrams (for typos).
Feature weights are inverse document frequencies over cards *and* catalog
entries, so words that every procedure uses ("thủ tục", "cấp", "giấy") count
for little, and words that only catalog procedures use ("dán nhãn năng
lượng", "ABTC") count against the cards: a question about a procedure without
a card finds its catalog entry instead of the nearest card. A document's score
is its best phrase's F-score of covering the phrase and explaining the message,
fused with Okapi BM25 over its names (which favours the rare words a message
shares with a long official name). A message is also read in the official
names' words ("bằng lái" -> "giấy phép lái xe"), and in a long message the
sentence that asks weighs more than the story before it. A document that
names only the opposite action ("thành lập" for "giải thể") counts for less.
BM25 ranks without the question frames most cards' example questions share
("cần giấy tờ gì", "ở đâu"): how a citizen asks is not what about.
Everyday matters (``EverydayText``: a bank card, private insurance) are
documents too, after the catalog: their words count against the cards as the
catalog's do, and one that clearly explains the message better than every
procedure means no procedure is the answer (``Match.about_everyday_matter``).

How sure the match is (``Match.confidence``) is a separate figure: the best
BM25 per square root of the message's words, which separates questions about
a procedure from questions about anything else better than the scores that rank.

A card covers the catalog codes it cites: those entries rank as the card.

BM25 is ``bm25s``'s, built from the same folded, abbreviation-expanded words
and word pairs as the F-score (token ids are the index's columns), with the
classic Okapi term weight: ATIRE's ``tf (k1 + 1) / (tf + k1 (1 - b + b dl/avgdl))``
and Lucene's ``log(1 + (N - df + 0.5) / (df + 0.5))``. Where JAX is installed
(the engine), importing bm25s starts JAX's CPU backend: about 40 MB of the engine.
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

import bm25s
import numpy as np
from scipy import sparse

from nlu.abbreviations import OFFICIAL_TERMS
from nlu.abroad import for_abroad, says_abroad
from nlu.aspects import asked_aspects
from nlu.text import fold, nfc, normalize, readings

# bm25s sets its own logger to DEBUG on import: every index build would print.
logging.getLogger("bm25s").setLevel(logging.WARNING)

_UNIGRAM, _BIGRAM, _TRIGRAM = 1.0, 1.6, 0.25
# A message about a procedure is weaker evidence for the life events it
# belongs to ("bố tôi mất, làm khai tử" -> người thân qua đời).
_LIFE_EVENT_SHARE = 0.8
# An example question is weaker evidence than a name or an alias: a question
# about something else easily shares half its words with some example.
_EXAMPLE_SHARE = 0.85
# Provincial procedures of other provinces rank after national ones.
_OTHER_PROVINCE_SHARE = 0.9
# Procedures only organisations file (a company, an association, a state body)
# rank after those a person may file: the assistant's users are people, asking
# for themselves, their household or their small business. Chosen on the
# catalog dev half (docs/evaluation.md, twelfth pass): 0.7 to 0.95 gained alike.
_ORGANISATIONS_ONLY_SHARE = 0.9
_BETA = 1.5  # > 1: covering the phrase weighs more than explaining the whole message
# Okapi BM25 over each document's names (a card's name and aliases, an
# entry's official name and its head), fused with the F-score: BM25 favours
# the rare words a message shares with a long official name, the F-score
# phrases the message covers fully. The fused score keeps the F-score's scale
# (the best document's F-score), so thresholds stay comparable.
_BM25_K1, _BM25_B = 1.2, 0.75
_BM25_SHARE = 0.5
# In a long message with a story first, the sentence that asks weighs more.
_REQUEST_BOOST = 2.0
_CONFIDENCE_HALF = 7.0  # BM25 per square root of the message's words that makes a confidence of 0.5
# A message without diacritics matches folded words, each of which stands for
# several words ("ban" is bán, bạn, bàn, bản...): the same BM25 is weaker
# evidence. 7/8 puts the no-diacritics threshold in the middle of the dev
# half's gap between its off-topic questions and its procedures found.
_FOLDED_EVIDENCE = 0.875
# How citizens ask, not what about: the words and word pairs that the example
# questions of at least this share of the procedure cards use ("cần giấy tờ
# gì", "ở đâu", "bao lâu", "được không"). Rare in official names, they weighed
# in BM25 as much as a procedure's own words, so "… Xin hỏi tôi cần mang theo
# giấy tờ gì?" after a story about renting a room named the marriage card,
# whose aliases ask "lấy vợ cần làm giấy tờ gì". BM25 ranks without them; the
# confidence still counts them. Chosen on the dev sets: 0.2 to 0.7 gave the
# same within two questions, 0.3 the most right ones. Fewer than
# ``_FRAME_MIN_CARDS`` cards cannot tell a frame from a shared topic.
_FRAME_SHARE = 0.3
_FRAME_MIN_CARDS = 10

# What a procedure does to what it concerns: dissolving a company ("giải thể")
# is not founding one ("thành lập"), though the rest of the words match. A
# document whose phrases name only other of these actions than the message is
# weaker evidence. Only where a thing starts, stops or is withdrawn: citizens
# say "làm lại", "đổi", "gia hạn" or "sửa" for one another, and a card's
# phrases name only some of the changes it covers.
_ACTIONS = {
    "create": ("thanh lap",),
    "end": ("giai the", "cham dut"),
    "pause": ("tam ngung", "tam dung"),
    "revoke": ("thu hoi",),
    "cancel": ("huy bo",),
}
_ACTION_BITS = {f"b:{words}": 1 << bit for bit, group in enumerate(_ACTIONS.values()) for words in group}
# 0.2 to 0.8 chose the same on the dev half; at 0.8 "giải thể công ty TNHH" still
# named the registration card, which cites the registration of every company type,
# and at 0.5 (once question frames left BM25) the registration of a one-member
# company, whose name the question holds whole, still ranked first.
_ACTION_MISMATCH = 0.4

# A national procedure code as the portal prints it: "1.001193", "2.000986".
_CODE = re.compile(r"(?<![0-9.])([0-9]\.[0-9]{6})(?![0-9])")
# What staff put on posters and links: "#KS", "KS", "/start ks" (Telegram).
_SHORT_CODE_MESSAGE = re.compile(r"^\s*(?:/start\s+|#)?([A-Za-z][A-Za-z0-9]{1,9})\s*$")


@dataclass(frozen=True)
class CardText:
    """What the matcher needs of a card."""

    kind: str  # "procedure" or "life_event"
    id: str
    phrases: tuple[str, ...]  # name and aliases first, then example questions
    life_events: tuple[str, ...] = ()  # of a procedure
    short_code: str | None = None
    codes: tuple[str, ...] = ()  # national codes the card covers
    named_phrases: int = 0  # how many of ``phrases`` are the name and aliases (0: all)


@dataclass(frozen=True)
class CatalogText:
    """What the matcher needs of a national catalog entry."""

    code: str
    name: str
    scope: str = "national"  # national | provincial
    province: str | None = None
    questions: tuple[str, ...] = ()  # citizens' questions editors attached to it
    targets: tuple[str, ...] = ()  # who may file it, as the export says (``files_for_people``)


# Who the portal's export says may file a procedure, when that is a person
# rather than an organisation (a company, a cooperative, an association, a state body).
_PEOPLE = frozenset(
    {
        "Công dân Việt Nam",
        "Công dân Việt Nam mà không xác định được nơi thường trú hoặc nơi tạm trú",
        "Người Việt Nam định cư ở nước ngoài",
        "Người nước ngoài",
        "Người nước ngoài cư trú tại Việt Nam",
        "Người nước ngoài đã cư trú tại Việt Nam",
        "Cán bộ, công chức, viên chức",
        "Đảng viên",
    }
)


def files_for_people(targets: Iterable[str]) -> bool:
    """Whether a person may file a procedure whose export names these ``targets``
    (an entry that names no one is taken as one)."""
    named = set(targets)
    return not named or bool(named & _PEOPLE)


@dataclass(frozen=True)
class EverydayText:
    """A private or commercial matter next to the procedures: a bank card, a
    motorbike insurance sold by a company, a driving school's fee. Matched as
    a card is, so that a question about it is not taken for the procedure
    whose words it borrows ("làm lại thẻ ATM" is not "làm lại thẻ căn cước")."""

    id: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Candidate:
    id: str
    score: float


@dataclass(frozen=True)
class CatalogCandidate:
    code: str
    name: str
    score: float
    card: str | None = None  # the card that covers this code, if any
    siblings: tuple[str, ...] = ()  # other codes of the same name (other levels): one place for all


@dataclass(frozen=True)
class Match:
    procedures: tuple[Candidate, ...]  # cards, best first
    life_events: tuple[Candidate, ...]
    catalog: tuple[CatalogCandidate, ...] = ()  # catalog entries and cards' codes, best first
    # How well the best document explains the message, 0..1: low for a
    # question about something else, whatever the ranking says.
    confidence: float = 0.0
    best_entry: float = 0.0  # the best score of a catalog entry without a card
    everyday: Candidate | None = None  # the everyday matter that best explains the message
    said: frozenset[str] = frozenset()  # the cards whose official name the asking sentence says (``names_said_card``)
    # The best entry without a card that counts against the best card when the
    # asking sentence says its name (``stands_by_name``): those whose head the
    # message says too, but not those for people abroad (``for_abroad``: "Đăng
    # ký kết hôn giữa công dân Việt Nam … ở nước ngoài") when the message says
    # nothing abroad (``says_abroad``); every entry when it does, or when the
    # card scores under ``_RIVAL_SHARE`` of the best entry.
    rival_entry: float | None = None  # None: ``best_entry``
    asks: frozenset[str] = frozenset()  # the aspects its questions ask (``asked_part``, ``nlu.aspects.asked_aspects``)
    word_count: int = 0  # the message's words (``word_count``): numbers and codes do not count

    @property
    def about_everyday_matter(self) -> bool:
        """Whether an everyday matter explains the message about as well as
        the best card, life event or catalog entry: then none is the answer
        ("mua xe máy" is a life event before it is a shop's)."""
        if self.everyday is None:
            return False
        best = max([c.score for c in (*self.procedures[:1], *self.life_events[:1], *self.catalog[:1])], default=0.0)
        return self.everyday.score >= best * EVERYDAY_SHARE

    @property
    def candidate_cards(self) -> tuple[Candidate, ...]:
        """The procedure cards worth offering: from ``CANDIDATE_SCORE`` up, and a
        card that beats every catalog entry without a card from ``BEST_CARD_SCORE``
        up (a long question with a story scores low, though its card is the best
        match), and the best card when the question says its name (``stands_by_name``)."""
        floor = _card_floor(self.best_entry)
        return tuple(c for c in self.procedures if c.score >= floor or self.stands_by_name(c))

    def stands_by_name(self, card: Candidate) -> bool:
        """Whether ``card`` is the best card, its official name said in the asking
        sentence, from ``BEST_CARD_SCORE`` up and above every rival entry (``rival_entry``)."""
        return (
            bool(self.procedures)
            and card.id == self.procedures[0].id
            and card.id in self.said
            and card.score >= BEST_CARD_SCORE
            and card.score > (self.best_entry if self.rival_entry is None else self.rival_entry)
        )

    @property
    def best_is_card(self) -> bool:
        """Whether a card is the best answer (not a catalog entry without a card)."""
        return bool(self.procedures) and (not self.catalog or self.catalog[0].card is not None)


def card_text(card: Mapping) -> CardText:
    """The phrases of a card given as a dict (YAML or JSON form)."""
    phrases = [card["name"], *card.get("aliases", []), *card.get("examples", [])]
    return CardText(
        kind=card.get("kind", "procedure"),
        id=card["id"],
        phrases=tuple(phrases),
        life_events=tuple(card.get("life_events", [])),
        short_code=card.get("short_code"),
        codes=tuple(card.get("codes", [])),
        named_phrases=1 + len(card.get("aliases", [])),
    )


# Keys are normalised as messages are ("e visa" -> "em visa"), and the longer
# applies first ("e visa" before "visa").
_OFFICIAL_TERMS = [
    (re.compile(rf"\b{re.escape(key)}\b"), fold(value))
    for key, value in sorted(((normalize(k), v) for k, v in OFFICIAL_TERMS.items()), key=lambda kv: -len(kv[0]))
]


# What frames a question says that it asks, not what about: "cho em hỏi",
# "xin cho biết", "thủ tục" ("thủ tục đăng ký học bơi" is not a procedure),
# and the portal's formal openings ("Kính đề nghị hướng dẫn", "Tôi muốn hỏi"):
# "đề nghị" also starts official names ("Đề nghị hưởng miễn trừ…"), so a
# formal frame that kept it matched them. So are the portal's field labels
# ("thời hạn giải quyết", "thành phần hồ sơ", "cơ quan thực hiện") and the
# official level ("tại Ủy ban nhân dân cấp xã", "Công an cấp xã"): they say
# which part of a procedure is asked, or who handles hundreds of them. Kept,
# they made "thời hạn giải quyết đăng ký khai sinh tại Ủy ban nhân dân cấp xã"
# an entry "Giải quyết tranh chấp đất đai thuộc thẩm quyền của Chủ tịch Ủy ban
# nhân dân cấp xã". A citizen's "công an phường", "ubnd xã" stays: it may be
# what tells a commune's certification from a card.
_PROCEDURE_WORD = re.compile(
    r"\b(?:(?:cho|xin cho) (?:em |minh |toi |chau |anh |chi )?(?:hoi|biet)|xin hoi|thu tuc(?: hanh chinh)?"
    r"|(?:kinh )?de nghi (?:co quan(?: chuc nang| co tham quyen)? |quy co quan )?"
    r"(?:cho (?:em |minh |toi |chung toi |chau )?biet|huong dan(?! vien)|giai dap)"
    r"|kinh de nghi|(?:xin|vui long) (?:huong dan(?! vien)|giai dap)"
    r"|(?:chung toi|toi|(?<!tre )em|minh|chau) (?:muon|can|xin) (?:hoi|biet)"
    r"|thoi han giai quyet|thanh phan(?: ho so)?(?: va so luong ho so)?|trinh tu(?: va cach thuc)? thuc hien"
    r"|cach thuc thuc hien|co quan (?:co tham quyen )?(?:thuc hien|giai quyet|tiep nhan)|doi tuong thuc hien"
    r"|ket qua thuc hien|(?:(?:tai|o|cua) )?(?:uy ban nhan dan|cong an) cap (?:xa|huyen|tinh))\b"
)


def named_actions(feature_names: Iterable[str]) -> int:
    """The actions (``_ACTIONS``) among these features ("b:giai the"), as bits."""
    found = 0
    for name in feature_names:
        found |= _ACTION_BITS.get(name, 0)
    return found


def _without_frame(reading: str) -> str:
    """A folded reading without what frames the question (``_PROCEDURE_WORD``), single-spaced."""
    return " ".join(_PROCEDURE_WORD.sub(" ", reading).split())


def _with_official_terms(variants: list[str]) -> list[str]:
    """Each reading, and each reading in the official names' words."""
    variants = [_without_frame(reading) for reading in variants]
    extra = []
    for reading in variants:
        official = reading
        for phrase, words in _OFFICIAL_TERMS:
            official = phrase.sub(words, official)
        if official != reading:
            extra.append(official)
    return variants + extra


def features(text: str, message: bool = False) -> dict[str, float]:
    """Weighted features of every reading of ``text`` (ambiguous shorthand
    contributes each of its readings: the index decides which one matches);
    a citizen's ``message`` is also read in the official names' words."""
    feats: dict[str, float] = {}
    variants = readings(text)
    for reading in _with_official_terms(variants) if message else variants:
        words = reading.split()
        for word in words:
            feats["w:" + word] = _UNIGRAM
            padded = f" {word} "
            for i in range(len(padded) - 2):
                feats["c:" + padded[i : i + 3]] = _TRIGRAM
        for first, second in pairwise(words):
            feats[f"b:{first} {second}"] = _BIGRAM
    return feats


_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.?!;])\s+|\n+")
_REQUEST_CUE = re.compile(r"\?|\b(?:xin hoi|muon|can|thu tuc|lam the nao|nhu the nao|lam sao|o dau)\b")


def request_features(text: str) -> set[str]:
    """The features of the sentence that asks (``asking_sentence``); none in a one-sentence message."""
    asking = asking_sentence(text)
    return set(features(asking)) if asking else set()


# A card whose name a question says outranks an entry whose name the question
# does not say, or one for people abroad when nothing abroad is said, down to
# this share of the entry's score. Chosen for those abroad: on the dev sets
# the card was right at 0.74 and 0.89; the review's questions about a country
# ``_ABROAD`` does not know scored 0.57 to 0.67.
_RIVAL_SHARE = 0.7


def asking_sentence(text: str) -> str | None:
    """The sentence that asks, in a message of several sentences ("Tôi sinh
    năm 1946, … Nay tôi muốn đăng ký khai sinh …"): the last one with a
    question mark or a request word; None in a one-sentence message."""
    sentences = [s for s in _SENTENCE_END.split(text.strip()) if s.strip()]
    if len(sentences) < 2:
        return None
    asking = [s for s in sentences if _REQUEST_CUE.search(fold(s))]
    return asking[-1] if asking else None


def asked_part(text: str) -> str:
    """What a message asks, without the story before it: every sentence that
    ends in a question mark ("… cần hồ sơ gì? Lệ phí bao nhiêu?"), else the
    sentence that asks (``asking_sentence``), else the whole message."""
    questions = [s for s in _SENTENCE_END.split(text.strip()) if s.rstrip().endswith("?")]
    if questions:
        return " ".join(questions)
    return asking_sentence(text) or text


def word_count(text: str) -> int:
    """The words of ``text``: what whitespace separates and holds a letter
    (a date, an amount or a phone number is not three words)."""
    return sum(any(char.isalpha() for char in token) for token in text.split())


# Where an official name stops naming the procedure and starts qualifying it:
# "Cấp giấy phép lao động | đối với người lao động nước ngoài ...",
# "Đăng ký nghĩa vụ quân sự chuyển đi | khi thay đổi nơi cư trú ..." ("khi":
# chosen on the dev half, where other clause words changed nothing).
_QUALIFIER = re.compile(r"\s(?:đối với|theo|tại|thuộc|trong trường hợp|trường hợp|khi)\s|[(;,:]", re.IGNORECASE)
_HEAD_WORDS = re.compile(r"^(?:thủ tục\s+)", re.IGNORECASE)


def catalog_phrases(name: str) -> tuple[str, ...]:
    """An entry's official name, and its head when a qualifier follows: a
    citizen names the head ("giấy phép lao động"), rarely the qualifiers."""
    name = _HEAD_WORDS.sub("", name.strip())
    head = _QUALIFIER.split(name, maxsplit=1)[0].strip()
    return (name, head) if head and head != name and len(head.split()) >= 2 else (name,)


_ASIDE = re.compile(r"\([^)]*\)?")
_LEADING_PROCEDURE = re.compile(r"^thủ tục\s+")


def sibling_key(name: str) -> str:
    """What names one procedure among its siblings: the same procedure at
    several levels or in several provinces differs only in an aside
    ("(thực hiện tại cấp tỉnh)"), a leading "Thủ tục" or punctuation."""
    text = _LEADING_PROCEDURE.sub("", _ASIDE.sub(" ", nfc(name).lower()).strip())
    return " ".join(_WORD.findall(text))


def codes_by_name(catalog: Iterable[CatalogText], home_province: str | None) -> dict[str, list[str]]:
    """The codes of each procedure name (``sibling_key``): one procedure at several
    levels. Other provinces' own procedures are left out: not the citizen's."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for entry in catalog:
        if entry.scope != "provincial" or entry.province == home_province:
            by_name[sibling_key(entry.name)].append(entry.code)
    return by_name


def cards_of_codes(
    card_codes: Mapping[str, str], by_code: Mapping[str, CatalogText], by_name: Mapping[str, list[str]]
) -> dict[str, set[str]]:
    """The cards that cover each code: a card's own codes, and the same procedure
    at other levels (``codes_by_name``: "Cấp đổi thẻ căn cước (thực hiện tại cấp
    tỉnh)" is the card's "Cấp đổi thẻ căn cước"), which must neither outrank the card nor
    take a second button beside it."""
    covering: dict[str, set[str]] = defaultdict(set)
    for code, card_id in card_codes.items():
        covering[code].add(card_id)
        entry = by_code.get(code)
        for sibling in by_name.get(sibling_key(entry.name), []) if entry else []:
            covering[sibling].add(card_id)
    return covering


def find_codes(text: str) -> list[str]:
    """National procedure codes written in a message ("thủ tục 1.001193")."""
    return _CODE.findall(text)


class Matcher:
    """An index of cards and catalog entries, built once per change of either."""

    def __init__(
        self,
        cards: Iterable[CardText],
        catalog: Iterable[CatalogText] = (),
        home_province: str | None = None,
        everyday: Iterable[EverydayText] = (),
    ) -> None:
        self._cards = list(cards)
        card_codes = {code: card.id for card in self._cards if card.kind == "procedure" for code in card.codes}
        self._catalog = list(catalog)
        self._everyday = list(everyday)
        self._procedures_end = len(self._cards) + len(self._catalog)
        self._by_code = {entry.code: entry for entry in self._catalog}
        self._card_of_code = card_codes
        # Documents: cards first, then catalog entries, then everyday matters; one row per phrase.
        names = [catalog_phrases(entry.name) for entry in self._catalog]
        documents = (
            [card.phrases for card in self._cards]
            + [(*name, *entry.questions) for name, entry in zip(names, self._catalog, strict=True)]
            + [matter.phrases for matter in self._everyday]
        )
        # How many of a document's phrases name it; the rest (questions) weigh less.
        named_counts = (
            [card.named_phrases for card in self._cards]
            + [len(name) if entry.questions else 0 for name, entry in zip(names, self._catalog, strict=True)]
            + [0] * len(self._everyday)
        )
        phrase_features = [[features(p) for p in phrases] for phrases in documents]
        # Each entry's head (``catalog_phrases``): the last of its name's phrases.
        heads = [phrase_features[len(self._cards) + i][len(name) - 1] for i, name in enumerate(names)]
        df: dict[str, int] = defaultdict(int)
        for doc_features in phrase_features:
            for feat in {f for feats in doc_features for f in feats}:
                df[feat] += 1
        total = len(documents) + 1
        self._columns = {feat: i for i, feat in enumerate(df)}
        self._feature_names = list(df)
        self._idf = np.array([max(math.log(total / (df[f] + 0.5)), 0.0) for f in df], dtype=np.float64)
        procedure_features = {f for doc in phrase_features[: self._procedures_end] for phrase in doc for f in phrase}
        self._of_procedures = np.array([f in procedure_features for f in df], dtype=bool)
        rows, cols, values, owner, shares = [], [], [], [], []
        for d, doc_features in enumerate(phrase_features):
            named = named_counts[d]
            for p, feats in enumerate(doc_features):
                row = len(owner)
                owner.append(d)
                shares.append(_EXAMPLE_SHARE if named and p >= named else 1.0)
                for feat, base in feats.items():
                    rows.append(row)
                    cols.append(self._columns[feat])
                    values.append(base)
        row_index, col_index = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)
        shape = (len(owner), len(self._columns))
        weights = np.array(values) * self._idf[col_index] if values else np.array([])
        # Which phrase has which feature; a phrase's mass is the weight of all its features.
        self._phrases = sparse.csc_matrix((np.ones(len(values)), (row_index, col_index)), shape=shape)
        self._phrase_mass = np.bincount(row_index, weights=weights, minlength=len(owner)).astype(np.float64)
        self._phrase_mass[self._phrase_mass == 0] = 1.0
        # A document's phrases are consecutive rows: its score is the best of
        # them, one ``reduceat`` per message (NumPy 1.23's ``maximum.at``, in
        # the engine, took 40 % of the matcher's time under load).
        self._owners, self._first_phrase = np.unique(np.array(owner, dtype=np.int64), return_index=True)
        self._phrase_share = np.array(shares, dtype=np.float64)
        self._discount = np.ones(len(documents))
        for i, entry in enumerate(self._catalog):
            if entry.scope == "provincial" and entry.province != home_province:
                self._discount[len(self._cards) + i] = _OTHER_PROVINCE_SHARE
            if not files_for_people(entry.targets):
                self._discount[len(self._cards) + i] *= _ORGANISATIONS_ONLY_SHARE
        self._actions = np.array(
            [named_actions(f for feats in doc_features for f in feats) for doc_features in phrase_features],
            dtype=np.int64,
        )
        self._short_codes = {c.short_code.upper(): c for c in self._cards if c.short_code}
        self._bm25 = self._bm25_index(phrase_features)
        # Read as messages are, without their frame; a name that lists
        # alternatives ("Cấp, cấp đổi, cấp lại thẻ căn cước") is said only whole.
        names = [
            (card.id, _without_frame(readings(_ASIDE.sub(" ", card.phrases[0]))[0]))
            for card in self._cards
            if card.kind == "procedure"
        ]
        self._official_names = [(card, f" {name} ") for card, name in names if name]
        self._for_abroad = np.array([for_abroad(entry.name) for entry in self._catalog], dtype=bool)
        self._head_words, self._head_sizes, self._head_vocabulary = _head_words(heads)
        self._in_bm25 = np.array([not feat.startswith("c:") for feat in self._feature_names], dtype=bool)
        frames = question_frames(self._cards, phrase_features[: len(self._cards)])
        self._frame = np.array([feat in frames for feat in self._feature_names], dtype=bool)
        # The procedures' spellings: "bể" in an everyday matter ("bể bơi") must
        # not make "bể" match the procedures' "bé".
        self._forms: dict[str, set[str]] = defaultdict(set)
        for phrases in documents[: self._procedures_end]:
            for phrase in phrases:
                for word in set(_WORD.findall(nfc(phrase).lower())):
                    self._forms[fold(word) if not word.isascii() else word].add(word)
        self._names = [sibling_key(entry.name) for entry in self._catalog]
        self._codes_by_name = codes_by_name(self._catalog, home_province)
        # Score propagation as index pairs, so a message costs a few vector
        # operations instead of a Python loop over every entry.
        # (A life event and a procedure may share an id: "ket-hon".)
        events = {card.id: i for i, card in enumerate(self._cards) if card.kind == "life_event"}
        procedures = {card.id: i for i, card in enumerate(self._cards) if card.kind == "procedure"}
        event_links = [(c, events[e]) for c, card in enumerate(self._cards) for e in card.life_events if e in events]
        self._event_sources, self._event_targets = _index_pairs(event_links)
        covering = cards_of_codes(card_codes, self._by_code, self._codes_by_name)
        code_links = [
            (len(self._cards) + i, procedures[card_id])
            for i, entry in enumerate(self._catalog)
            for card_id in covering.get(entry.code, ())
        ]
        self._code_sources, self._code_targets = _index_pairs(code_links)
        self._covered = np.array([entry.code in covering for entry in self._catalog], dtype=bool)

    def _bm25_index(self, phrase_features: list[list[dict[str, float]]]) -> sparse.csr_matrix | None:
        """BM25 over each document's names, each phrase adding its words and
        word pairs once (not example questions: their words say little about
        the procedure; not character trigrams: they are there for typos)."""
        corpus = [
            [
                self._columns[feat]
                for feats in doc_features[: (self._cards[d].named_phrases if d < len(self._cards) else 0) or None]
                for feat in feats
                if not feat.startswith("c:")
            ]
            for d, doc_features in enumerate(phrase_features)
        ]
        if not any(corpus):
            return None
        retriever = bm25s.BM25(k1=_BM25_K1, b=_BM25_B, method="atire", idf_method="lucene", dtype="float64")
        retriever.index((corpus, dict(self._columns)), create_empty_token=False, show_progress=False)
        # bm25s weighs each (term, document); the sums run as one sparse product:
        # its own loop calls ``add.at`` once per term, slow in the engine's NumPy 1.23.
        weights = retriever.scores
        shape = (len(weights["indptr"]) - 1, weights["num_docs"])
        return sparse.csr_matrix((weights["data"], weights["indices"], weights["indptr"]), shape=shape)

    def _bm25_scores(self, columns: list[int]) -> np.ndarray:
        """Each document's BM25 for these terms (index columns; a repeated term counts again)."""
        if not columns or self._bm25 is None:
            return np.zeros(len(self._discount))
        terms, counts = np.unique(np.array(columns, dtype=np.int64), return_counts=True)
        # The terms' rows read straight from the CSR arrays and summed with one
        # ``bincount``, in the order SciPy's row slice and product add them (so
        # the same sums): SciPy's checks on the sliced matrix cost more than the sums.
        index = self._bm25
        starts, lengths = index.indptr[terms], index.indptr[terms + 1] - index.indptr[terms]
        offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        positions = offsets + np.arange(int(lengths.sum()))
        weights = index.data[positions] * np.repeat(counts.astype(np.float64), lengths)
        return np.bincount(index.indices[positions], weights=weights, minlength=index.shape[1])

    def _other_words(self, text: str) -> set[str]:
        """Folded words the message writes with diacritics that no name or
        alias uses: "bể bơi" is not "bé" though both fold to "be"."""
        other = set()
        for word in _WORD.findall(text.lower()):
            if not word.isascii():
                folded = fold(word)
                forms = self._forms.get(folded)
                if forms is not None and nfc(word) not in forms:
                    other.add(folded)
        return other

    def _procedure_column(self, feature: str) -> int | None:
        """The feature's column, if a card or catalog entry uses it."""
        column = self._columns.get(feature)
        return column if column is not None and self._of_procedures[column] else None

    def _feature_at(self, column: int) -> str:
        return self._feature_names[column]

    def by_short_code(self, text: str) -> CardText | None:
        """The card a deep-link message names by its short code, if any."""
        found = _SHORT_CODE_MESSAGE.match(text)
        return self._short_codes.get(found.group(1).upper()) if found else None

    def __len__(self) -> int:
        return len(self._cards)

    @property
    def catalog_size(self) -> int:
        return len(self._catalog)

    def match(self, text: str, limit: int = 5) -> Match:
        scored = self._scores(text)
        if scored is None:
            return Match((), ())
        scores, confidence = scored
        self._propagate_to_life_events(scores)
        entries = scores[len(self._cards) : self._procedures_end][~self._covered]
        best_entry = round(float(entries.max()), 4) if entries.size else 0.0
        procedures = self._top_cards(scores, "procedure", limit)
        said = self._names_said(asking_sentence(text) or text)
        rival = best_entry
        if procedures and procedures[0].id in said and not says_abroad(text):
            rival = self._rival_of_name_said(scores, procedures[0].score, best_entry, text)
        match = Match(
            procedures=procedures,
            life_events=self._top_cards(scores, "life_event", limit),
            confidence=round(confidence, 4),
            best_entry=best_entry,
            everyday=self._best_everyday(scores),
            said=said,
            rival_entry=rival,
            asks=asked_aspects(asked_part(text)),
            word_count=word_count(text),
        )
        return replace(match, catalog=self._top_catalog(scores, limit, match))

    def _rival_of_name_said(self, scores: np.ndarray, card: float, best_entry: float, text: str) -> float:
        """The best entry without a card that counts against a card whose name a
        message ``text`` says, when it says nothing abroad: only the entries whose
        head the message says too (``_heads_said``: "xóa đăng ký thường trú" is
        another procedure than "đăng ký thường trú"; "đăng ký thường trú đối với
        người chưa thành niên" only shares a qualifier with "Khai báo thông tin về
        cư trú đối với người chưa đủ điều kiện đăng ký thường trú"), and none for
        people abroad or foreigners. Unless the card scores under ``_RIVAL_SHARE``
        of the best: then every entry counts (a place abroad ``says_abroad`` does
        not know is likelier: "… tạm trú tại Ý")."""
        if card < best_entry * _RIVAL_SHARE:
            return best_entry
        rivals = ~self._covered & ~self._for_abroad & self._heads_said(text)
        entries = scores[len(self._cards) : self._procedures_end][rivals]
        return round(float(entries.max()), 4) if entries.size else 0.0

    def _heads_said(self, text: str) -> np.ndarray:
        """Which entries' heads (``catalog_phrases``) the message says: all their
        words, in any reading of its shorthand."""
        said = np.zeros(len(self._head_vocabulary))
        for word in {word for reading in readings(text) for word in reading.split()}:
            if (column := self._head_vocabulary.get(word)) is not None:
                said[column] = 1.0
        return (self._head_words @ said == self._head_sizes) & (self._head_sizes > 0)

    def _names_said(self, text: str) -> frozenset[str]:
        """The procedure cards whose official name (without its aside) ``text``
        says word for word, in any reading of its shorthand; not in the official
        names' words ("mở cty" is not "thành lập doanh nghiệp" said)."""
        spoken = [f" {_without_frame(reading)} " for reading in readings(text)]
        return frozenset(card for card, name in self._official_names if any(name in reading for reading in spoken))

    def _scores(self, text: str) -> tuple[np.ndarray, float] | None:
        """Each document's score for ``text`` and the confidence of the best;
        None when nothing in the message is known."""
        message_features = features(text, message=True)
        other = self._other_words(text)
        known = [
            (self._columns[f], base)
            for f, base in message_features.items()
            if f in self._columns and not (f[0] != "c" and other.intersection(f[2:].split()))
        ]
        if not known:
            return None
        # Words no card or procedure uses cannot point anywhere: they do not
        # count against anything either ("Xin cho biết ..." around a question).
        columns = np.array([c for c, _ in known], dtype=np.int64)
        request = request_features(text)
        boost = np.array([_REQUEST_BOOST if self._feature_at(c) in request else 1.0 for c in columns])
        query = np.array([base for _, base in known]) * self._idf[columns] * boost
        query_mass = query.sum() or 1.0
        overlap = self._phrases[:, columns] @ query
        recall = np.minimum(overlap / self._phrase_mass, 1.0)
        precision = overlap / query_mass
        b2 = _BETA * _BETA
        with np.errstate(divide="ignore", invalid="ignore"):
            phrase_scores = np.where(overlap > 0, (1 + b2) * precision * recall / (b2 * precision + recall), 0.0)
        scores = np.zeros(len(self._discount))
        scores[self._owners] = np.maximum.reduceat(phrase_scores * self._phrase_share, self._first_phrase)
        # Scales and the confidence are the procedures' (cards and catalog):
        # an everyday matter is measured against them, never sets them.
        end = self._procedures_end
        best = scores[:end].max(initial=0.0)
        terms = [c for c in columns.tolist() if self._in_bm25[c]]
        topic = [c for c in terms if not self._frame[c]]
        asked = [c for c in topic if self._feature_at(c) in request]
        ranking = self._bm25_scores(topic)
        plain = ranking + self._bm25_scores([c for c in terms if self._frame[c]])
        bm25 = ranking + (_REQUEST_BOOST - 1) * self._bm25_scores(asked)
        top_bm25 = bm25[:end].max(initial=0.0)
        # An everyday matter's many phrases repeat its words ("thuê phòng trọ
        # giá rẻ", "tìm phòng trọ gần trường"): its BM25 can tie the best
        # procedure's, not outgrow it.
        np.minimum(bm25[end:], top_bm25, out=bm25[end:])
        if best > 0 and top_bm25 > 0:
            scores = (1 - _BM25_SHARE) * scores + _BM25_SHARE * best * bm25 / top_bm25
        # BM25 grows with the message: per square root of its words, it
        # separates questions about a procedure from questions about anything else.
        # A word no procedure uses counts twice: it names what the message is
        # about and no procedure covers ("shopee", "vinamilk"). Numbers count once.
        words = sum(
            1 + (self._procedure_column(f) is None and f[2:].isalpha()) for f in message_features if f.startswith("w:")
        )
        explained = plain[:end].max(initial=0.0) / math.sqrt(max(words, 1))
        if text.isascii():
            explained *= _FOLDED_EVIDENCE
        asked_actions = named_actions(message_features)
        if asked_actions:
            other_action = (self._actions != 0) & (self._actions & asked_actions == 0)
            scores = np.where(other_action, scores * _ACTION_MISMATCH, scores)
        return scores * self._discount, explained / (explained + _CONFIDENCE_HALF)

    def _propagate_to_life_events(self, scores: np.ndarray) -> None:
        np.maximum.at(scores, self._event_targets, scores[self._event_sources] * _LIFE_EVENT_SHARE)
        # A card answers for the catalog codes it covers.
        np.maximum.at(scores, self._code_targets, scores[self._code_sources])

    def _top_cards(self, scores: np.ndarray, kind: str, limit: int) -> tuple[Candidate, ...]:
        card_scores = scores[: len(self._cards)].tolist()
        top: list[Candidate] = []
        for c in np.argsort(-scores[: len(self._cards)], kind="stable").tolist():
            if len(top) == limit or card_scores[c] <= 0:  # best first: the rest score no more
                break
            if self._cards[c].kind == kind:
                top.append(Candidate(self._cards[c].id, round(card_scores[c], 4)))
        return tuple(top)

    def _best_everyday(self, scores: np.ndarray) -> Candidate | None:
        matters = scores[self._procedures_end :]
        if not matters.size or matters.max() <= 0:
            return None
        best = int(matters.argmax())
        return Candidate(self._everyday[best].id, round(float(matters[best]), 4))

    def _top_catalog(self, scores: np.ndarray, limit: int, match: Match) -> tuple[CatalogCandidate, ...]:
        """Catalog entries best first; a card stands for its first code (once),
        when it is a candidate at all (a card's many phrases share a word or
        two with most questions: they must not crowd the entries out; see
        ``Match.candidate_cards``)."""
        ranked: dict[str, CatalogCandidate] = {}
        floor = _card_floor(match.best_entry)
        by_name = {c.id for c in match.procedures[:1] if match.stands_by_name(c)}
        for c, card in enumerate(self._cards):
            if card.kind == "procedure" and card.codes and (scores[c] >= floor or card.id in by_name):
                code = card.codes[0]
                name = self._by_code[code].name if code in self._by_code else card.phrases[0]
                ranked[code] = CatalogCandidate(code, name, round(float(scores[c]), 4), card.id)
        entry_scores = scores[len(self._cards) : self._procedures_end]
        # The same procedure of several provinces or levels carries one name:
        # one button per name (the best ranked: national before other provinces').
        names = {sibling_key(c.name) for c in ranked.values()}
        added = 0
        for i in _best_first(entry_scores, limit * 6):
            if added == limit:  # the rest score no more than these: none can make the first ``limit``
                break
            entry = self._catalog[i]
            score = float(entry_scores[i])
            name = self._names[i]
            if score <= 0 or self._covered[i] or entry.code in ranked or name in names:
                continue
            names.add(name)
            siblings = tuple(code for code in self._codes_by_name.get(name, ()) if code != entry.code)
            ranked[entry.code] = CatalogCandidate(entry.code, entry.name, round(score, 4), siblings=siblings)
            added += 1
        return tuple(sorted(ranked.values(), key=lambda c: -c.score)[:limit])

    def by_code(self, text: str) -> CatalogCandidate | None:
        """The card or catalog entry a message names by its national code."""
        for code in find_codes(text):
            card = self._card_of_code.get(code)
            entry = self._by_code.get(code)
            if card is not None or entry is not None:
                name = entry.name if entry else next(c.phrases[0] for c in self._cards if c.id == card)
                return CatalogCandidate(code, name, 1.0, card)
        return None


def question_frames(cards: list[CardText], phrase_features: list[list[dict[str, float]]]) -> set[str]:
    """The features that the example questions of at least ``_FRAME_SHARE`` of
    the procedure cards use; ``phrase_features`` are the features of each
    card's phrases, in the order of ``cards``."""
    procedures = [(card, feats) for card, feats in zip(cards, phrase_features, strict=True) if card.kind == "procedure"]
    if len(procedures) < _FRAME_MIN_CARDS:
        return set()
    users: dict[str, int] = defaultdict(int)
    for card, feats in procedures:
        questions = feats[card.named_phrases :] if card.named_phrases else []
        for feat in {f for phrase in questions for f in phrase}:
            users[feat] += 1
    return {feat for feat, count in users.items() if count >= _FRAME_SHARE * len(procedures)}


def _head_words(heads: list[dict[str, float]]) -> tuple[sparse.csr_matrix, np.ndarray, dict[str, int]]:
    """The words of each entry's head (its ``features``) as an entries × words 0/1
    matrix, how many each head has, and the words' columns."""
    vocabulary: dict[str, int] = {}
    pairs = [
        (i, vocabulary.setdefault(feat[2:], len(vocabulary)))
        for i, feats in enumerate(heads)
        for feat in feats
        if feat.startswith("w:")
    ]
    rows, cols = _index_pairs(pairs)
    matrix = sparse.csr_matrix((np.ones(len(pairs)), (rows, cols)), shape=(len(heads), len(vocabulary)))
    return matrix, np.asarray(matrix.sum(axis=1)).ravel(), vocabulary


def _index_pairs(pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """(sources, targets) as index arrays."""
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    sources, targets = zip(*pairs, strict=True)
    return np.array(sources, dtype=np.int64), np.array(targets, dtype=np.int64)


def _best_first(scores: np.ndarray, count: int) -> np.ndarray:
    """The positions of the ``count`` best scores, best first, ties by
    position: what a stable sort of all of them gives, without sorting all."""
    if count >= len(scores):
        return np.argsort(-scores, kind="stable")
    cutoff = np.partition(scores, len(scores) - count)[len(scores) - count]
    chosen = np.flatnonzero(scores >= cutoff)
    return chosen[np.argsort(-scores[chosen], kind="stable")][:count]


# A card is answered without asking only when it clearly beats the next one;
# otherwise the citizen chooses among the candidates.
CONFIDENT_SCORE = 0.5
CONFIDENT_MARGIN = 0.08
CANDIDATE_SCORE = 0.3
# A card that beats every catalog entry without a card is offered from this
# score up: a long question with a story before it explains little of the
# message, so its card scores low though it is the best match. Chosen on the
# cards' dev set (its long formal batch) and the catalog dev half: 0.2 cost
# the catalog two more places, 0.28 gained half as many cards.
BEST_CARD_SCORE = 0.25
# A message of ASKED_MIN_WORDS words or more whose questions ask
# ASKED_ASPECTS aspects of a procedure or more names its best card from
# BEST_CARD_SCORE (``names_asked_card``), when that card beats every entry
# without a card, and the next card and the best everyday matter by
# ASKED_MARGIN. A short question scoring that low is a weak match whatever it
# asks ("Chuyển trường cho con về quê cần hồ sơ gì, nộp ở đâu?" is not a
# residence registration). Chosen on the dev sets (docs/evaluation.md,
# fifteenth pass).
ASKED_ASPECTS = 2
ASKED_MARGIN = 1.15
ASKED_MIN_WORDS = 25
# Life-event cards have few, generic phrases ("sinh con"); with the catalog's
# words in the weights their scores run lower than procedures'.
LIFE_EVENT_SCORE = 0.25
# Below this a card is not named as the answer (it may still be offered as a
# choice): chosen with ABSTAIN_SCORE on the dev half of the catalog questions,
# where a lower value named cards for questions about other procedures.
CARD_SCORE = 0.325
# A card is named unless an entry without a card beats it clearly (by this
# share): cards are what citizens ask most, and a formal question about a
# card shares its official words with many entries. Chosen on the dev half.
CARD_PREFERENCE = 0.9
# Below this ``Match.confidence``, neither a card nor a catalog entry is
# offered: the assistant says it does not know. Chosen on the dev half of
# tests/data/eval/catalog.yml (docs/evaluation.md), never on the half that is
# reported, together with OUT_OF_SCOPE_SURE.
ABSTAIN_SCORE = 0.475
# An everyday matter (``EverydayText``) that scores at least this share of the
# best card, life event or catalog entry is what the message is about: nothing
# is offered. Chosen on the dev sets (cards, catalog, near the domain): 1.3
# lost no card and no catalog question and named the fewest unrelated cards;
# 1.0 to 1.2 cost a catalog question ("xe hợp đồng 16 chỗ" needing a badge
# is not a minibus rental), 1.4 and up named more unrelated cards.
EVERYDAY_SHARE = 1.3
# From this best catalog score up, the match overrules the intent classifier
# when it hears a weak intent ("sổ đỏ" -> a procedure question).
OVERRIDE_SCORE = 0.55
# The other way round: when the classifier is this sure that a message is out
# of scope, it overrules a match weaker than OVERRIDE_SCORE. An off-topic
# question shares a word or two with some procedure ("lương giáo viên").
# Chosen with ABSTAIN_SCORE on the dev half (0.5 to 0.9 chose alike).
OUT_OF_SCOPE_SURE = 0.7


def heard_off_topic(intent: Mapping[str, Any], match: Match, override_score: float = OVERRIDE_SCORE) -> bool:
    """Whether the classifier's ``intent`` ({"name", "confidence"}) surely puts the
    message out of scope and no catalog entry or card matches well enough to overrule it."""
    best = match.catalog[0].score if match.catalog else 0.0
    return (
        intent.get("name") == "out_of_scope"
        and intent.get("confidence", 0.0) >= OUT_OF_SCOPE_SURE
        and best < override_score
    )


def names_card(card: float, best_other: float, min_score: float = CARD_SCORE) -> bool:
    """Whether a card scoring ``card`` is the answer (named, not only offered),
    when the best catalog entry without a card scores ``best_other``."""
    return card >= max(min_score, best_other * CARD_PREFERENCE)


def names_said_card(match: Match, intent: Mapping[str, Any]) -> bool:
    """Whether the best card is the answer, though it scores under ``CARD_SCORE``
    (whatever the component's ``min_score``), because the message says its
    official name word for word ("… thì phải đăng ký tạm trú?"): a long question
    explains little of itself by any name, but the name is there
    (``Match.stands_by_name``). The classifier must hear a procedure question."""
    return (
        bool(match.procedures) and intent.get("name") == "ask_procedure" and match.stands_by_name(match.procedures[0])
    )


def names_asked_card(match: Match) -> bool:
    """Whether the best card is the answer from ``BEST_CARD_SCORE`` (whatever the
    component's ``min_score``) because a long message asks several aspects of a
    procedure ("hồ sơ gồm gì, nộp ở đâu, mất bao lâu"): a story before such a
    question explains little of the message by any name, but what it asks is a
    procedure's. The card must lead clearly: above every entry without a card,
    and ``ASKED_MARGIN`` above the next card and the best everyday matter
    ("bảo hiểm nhân thọ" asks documents and time too)."""
    if match.word_count < ASKED_MIN_WORDS or len(match.asks) < ASKED_ASPECTS or not match.procedures:
        return False
    best = match.procedures[0].score
    rivals = [c.score for c in (*match.procedures[1:2], *([match.everyday] if match.everyday else []))]
    return best >= BEST_CARD_SCORE and best > match.best_entry and all(best >= r * ASKED_MARGIN for r in rivals)


def names_best_card(match: Match, best_other: float, intent: Mapping[str, Any], min_score: float = CARD_SCORE) -> bool:
    """Whether the best card offered (``Match.candidate_cards``) is the answer:
    by its score (``names_card``), by its name said (``names_said_card``) or by
    the aspects asked (``names_asked_card``). The one rule the NLU component and
    the evaluation's abstain scan both apply."""
    cards = match.candidate_cards
    return bool(cards) and (
        names_card(cards[0].score, best_other, min_score) or names_said_card(match, intent) or names_asked_card(match)
    )


def _card_floor(best_entry: float) -> float:
    """The score from which a card is offered, given the best entry without a card."""
    return min(CANDIDATE_SCORE, max(BEST_CARD_SCORE, math.nextafter(best_entry, math.inf)))


def is_confident(scores: list[float]) -> bool:
    """Whether the best of ``scores`` (best first) is safe to answer directly."""
    if not scores or scores[0] < CONFIDENT_SCORE:
        return False
    return len(scores) == 1 or scores[0] - scores[1] >= CONFIDENT_MARGIN

"""Maps a citizen's message to knowledge cards: the core, in plain Python.

Shared by the Rasa component (``nlu.procedure_matcher``) and the app. Each
card is described by phrases (official name, aliases, example questions);
phrases and messages are normalised (no accents, abbreviations expanded) and
turned into weighted features: syllables, syllable pairs and character
trigrams (for typos). A card's score for a message is its best phrase's
score, which rewards phrases the message covers fully and messages the phrase
explains well. Feature weights are inverse card frequencies, so words that
every card uses ("thủ tục", "giấy tờ", "lệ phí") count for little.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise

from nlu.text import normalize

_UNIGRAM, _BIGRAM, _TRIGRAM = 1.0, 1.6, 0.25
# A message about a procedure is weaker evidence for the life events it
# belongs to ("bố tôi mất, làm khai tử" -> người thân qua đời).
_LIFE_EVENT_SHARE = 0.8


@dataclass(frozen=True)
class CardText:
    """What the matcher needs of a card."""

    kind: str  # "procedure" or "life_event"
    id: str
    phrases: tuple[str, ...]
    life_events: tuple[str, ...] = ()  # of a procedure
    short_code: str | None = None


@dataclass(frozen=True)
class Candidate:
    id: str
    score: float


@dataclass(frozen=True)
class Match:
    procedures: tuple[Candidate, ...]  # best first
    life_events: tuple[Candidate, ...]


def card_text(card: Mapping) -> CardText:
    """The phrases of a card given as a dict (YAML or JSON form)."""
    phrases = [card["name"], *card.get("aliases", []), *card.get("examples", [])]
    return CardText(
        kind=card.get("kind", "procedure"),
        id=card["id"],
        phrases=tuple(phrases),
        life_events=tuple(card.get("life_events", [])),
        short_code=card.get("short_code"),
    )


# What staff put on posters and links: "#KS", "KS", "/start ks" (Telegram).
_SHORT_CODE_MESSAGE = re.compile(r"^\s*(?:/start\s+|#)?([A-Za-z][A-Za-z0-9]{1,9})\s*$")


def features(text: str) -> dict[str, float]:
    words = normalize(text).split()
    feats: dict[str, float] = defaultdict(float)
    for word in words:
        feats["w:" + word] = _UNIGRAM
        padded = f" {word} "
        for i in range(len(padded) - 2):
            feats["c:" + padded[i : i + 3]] = _TRIGRAM
    for first, second in pairwise(words):
        feats[f"b:{first} {second}"] = _BIGRAM
    return dict(feats)


class Matcher:
    def __init__(self, cards: Iterable[CardText]) -> None:
        self._cards = list(cards)
        phrase_features = [[features(p) for p in card.phrases] for card in self._cards]
        df: dict[str, int] = defaultdict(int)
        for card_feats in phrase_features:
            for feat in {f for feats in card_feats for f in feats}:
                df[feat] += 1
        total = len(self._cards) + 1
        self._idf = {feat: math.log(total / (count + 0.5)) for feat, count in df.items()}
        self._default_idf = math.log(total / 0.5)
        # Inverted index: feature -> [(card index, phrase index)]
        self._index: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._phrase_mass: list[list[float]] = []
        for c, card_feats in enumerate(phrase_features):
            masses = []
            for p, feats in enumerate(card_feats):
                masses.append(sum(self._weight(f, w) for f, w in feats.items()) or 1.0)
                for feat in feats:
                    self._index[feat].append((c, p))
            self._phrase_mass.append(masses)

        self._short_codes = {c.short_code.upper(): c for c in self._cards if c.short_code}

    def by_short_code(self, text: str) -> CardText | None:
        """The card a deep-link message names by its short code, if any."""
        found = _SHORT_CODE_MESSAGE.match(text)
        return self._short_codes.get(found.group(1).upper()) if found else None

    def __len__(self) -> int:
        return len(self._cards)

    def _weight(self, feat: str, base: float) -> float:
        return base * max(self._idf.get(feat, self._default_idf), 0.0)

    def match(self, text: str, limit: int = 5) -> Match:
        query = features(text)
        if not query:
            return Match((), ())
        # Words no card uses cannot point to a card: they do not count
        # against the cards either ("Xin cho biết ..." around a question).
        query_mass = sum(self._weight(f, w) for f, w in query.items() if f in self._index) or 1.0
        shared: dict[tuple[int, int], float] = defaultdict(float)
        for feat, base in query.items():
            weight = self._weight(feat, base)
            for key in self._index.get(feat, ()):
                shared[key] += weight
        best: dict[int, float] = {}
        for (c, p), overlap in shared.items():
            phrase_cover = overlap / self._phrase_mass[c][p]
            query_cover = overlap / query_mass
            score = _harmonic(phrase_cover, query_cover, beta=1.5)
            if score > best.get(c, 0.0):
                best[c] = score
        self._propagate_to_life_events(best)
        ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)
        return Match(
            procedures=self._top(ranked, "procedure", limit),
            life_events=self._top(ranked, "life_event", limit),
        )

    def _propagate_to_life_events(self, best: dict[int, float]) -> None:
        positions = {card.id: i for i, card in enumerate(self._cards) if card.kind == "life_event"}
        for c, score in list(best.items()):
            for event in self._cards[c].life_events:
                if event in positions:
                    e = positions[event]
                    best[e] = max(best.get(e, 0.0), score * _LIFE_EVENT_SHARE)

    def _top(self, ranked: list[tuple[int, float]], kind: str, limit: int) -> tuple[Candidate, ...]:
        top = [Candidate(self._cards[c].id, round(s, 4)) for c, s in ranked if self._cards[c].kind == kind]
        return tuple(top[:limit])


def _harmonic(recall: float, precision: float, beta: float) -> float:
    """F-beta: beta > 1 weighs covering the phrase above explaining the message."""
    if recall <= 0 or precision <= 0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


# A card is answered without asking only when it clearly beats the next one;
# otherwise the citizen chooses among the candidates.
CONFIDENT_SCORE = 0.5
CONFIDENT_MARGIN = 0.08
CANDIDATE_SCORE = 0.3


def is_confident(scores: list[float]) -> bool:
    """Whether the best of ``scores`` (best first) is safe to answer directly."""
    if not scores or scores[0] < CONFIDENT_SCORE:
        return False
    return len(scores) == 1 or scores[0] - scores[1] >= CONFIDENT_MARGIN

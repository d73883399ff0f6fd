"""Which card's facts explain a message: a second view of the cards, beside
their names.

The matcher ranks cards by their names, aliases and example questions. A
long question with a story before it ("Con tôi là sinh viên quê Thanh Hóa,
thuê trọ ở Hà Nội…") tells its procedure by its situation, and shares few
words with any name: its card ranks first but scores low. What a card says
(who files it, under which conditions, with which documents, in which steps,
for which result) holds the situation's words. When both views point at the
same card, the card is the answer more surely than either view says alone.

The facts are indexed with Okapi BM25 (``bm25s``) over the same folded,
abbreviation-expanded words and word pairs as the matcher's; there are only
as many documents as cards, so a message costs one sum over its terms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import bm25s
import numpy as np

# What describes the procedure itself: not fees, time or place, which every
# card words alike ("ngày làm việc", "Trung tâm phục vụ hành chính công").
_FACT_FIELDS = ("summary", "who", "conditions", "result")
_BM25_K1, _BM25_B = 1.2, 0.75


def card_facts(card: Mapping[str, Any]) -> str:
    """The text of a card (YAML or JSON form) that says what its procedure is for and needs."""
    parts = [str(card.get(field) or "") for field in _FACT_FIELDS]
    for document in card.get("documents") or []:
        parts += [document.get("name") or "", document.get("note") or ""]
    parts += [str(step) for step in card.get("steps") or []]
    return " . ".join(part for part in parts if part)


class FactsIndex:
    """BM25 of a message's terms against each card's facts.

    ``terms`` of a document or message are the matcher's features without
    character trigrams (they are there for typos, not for evidence)."""

    def __init__(self, card_ids: list[str], card_terms: list[Iterable[str]]) -> None:
        self._ids = card_ids
        documents = [list(terms) for terms in card_terms]
        vocabulary = {term: i for i, term in enumerate(sorted({t for terms in documents for t in terms}))}
        self._weights: dict[str, np.ndarray] = {}
        if not vocabulary:
            return
        retriever = bm25s.BM25(k1=_BM25_K1, b=_BM25_B, method="atire", idf_method="lucene", dtype="float64")
        corpus = [[vocabulary[t] for t in terms] for terms in documents]
        retriever.index((corpus, vocabulary), create_empty_token=False, show_progress=False)
        scores = retriever.scores
        for term, row in vocabulary.items():
            weights = np.zeros(len(card_ids))
            start, end = scores["indptr"][row], scores["indptr"][row + 1]
            weights[scores["indices"][start:end]] = scores["data"][start:end]
            self._weights[term] = weights

    def best(self, message_terms: Iterable[str], margin: float) -> str | None:
        """The card whose facts explain the message best, if it beats the
        next by ``margin`` (a ratio of scores); None when no fact word is shared."""
        weights = [self._weights[t] for t in set(message_terms) if t in self._weights]
        if not weights or len(self._ids) < 2:
            return None
        scores = np.sum(weights, axis=0)
        second, first = np.argsort(scores)[-2:]
        if scores[first] <= 0 or scores[first] < margin * scores[second]:
            return None
        return self._ids[first]

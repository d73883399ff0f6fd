"""``nlu.char_ngrams``: the same features as Rasa's ``CountVectorsFeaturizer``
with ``char_wb``, entry for entry, though a message is counted once."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import CountVectorizer

from nlu.char_ngrams import CharNgramFeaturizer, sentence_of
from nlu.tokenizer import VietnameseTokenizer

TRAINING = [
    ("đăng ký khai sinh cho con", "ask_procedure"),
    ("lệ phí làm hộ chiếu bao nhiêu", "ask_procedure"),
    ("dk ket hon o dau", "ask_procedure"),
    ("chào ad", "greet"),
    ("hồ sơ 000.00.12.H29-240101-0001 đến đâu rồi", "check_status"),
]
MESSAGES = [
    "Xin cho biết thủ tục cấp lại giấy phép lái xe hạng B2 bị mất cần những gì?",
    "gplx het han 3 thang roi lam lai o dau",
    "sđ",
    "!!!",
    "hộ chiếu hộ chiếu hộ chiếu",
    "thủ tục 1.001193",
]


@pytest.mark.parametrize(
    "tokens", [["dang_ky", "khai_sinh"], ["a", "bb", "a"], ["ho chieu", "X1", "__NUMBER__"], ["z"]]
)
def test_a_sentence_is_the_sum_of_its_words(tokens):
    vectorizer = CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), token_pattern=None)
    vectorizer.fit(["dang_ky khai_sinh ho chieu", "a bb x1 __number__"])
    sequence = vectorizer.transform(tokens)
    sequence.sort_indices()
    counted = vectorizer.transform([" ".join(tokens)])
    counted.sort_indices()
    _same(sentence_of(sequence), counted.tocoo())


def _same(left, right) -> None:
    assert left.shape == right.shape
    for name in ("data", "row", "col"):
        mine, theirs = getattr(left, name), getattr(right, name)
        assert mine.dtype == theirs.dtype, name
        assert np.array_equal(mine, theirs), name


def _trained(cls: type[CountVectorsFeaturizer], tmp_path, config: dict) -> CountVectorsFeaturizer:
    (tmp_path / cls.__name__).mkdir()
    storage = LocalModelStorage(tmp_path / cls.__name__)
    context = ExecutionContext(GraphSchema({}), "test")
    featurizer = cls.create({**cls.get_default_config(), **config}, storage, Resource(cls.__name__), context)
    examples = [Message(data={TEXT: text, INTENT: intent}) for text, intent in TRAINING]
    data = TrainingData(examples)
    _tokenizer().process_training_data(data)
    featurizer.train(data)
    featurizer.process_training_data(data)
    return featurizer


def _tokenizer() -> VietnameseTokenizer:
    return VietnameseTokenizer(VietnameseTokenizer.get_default_config())


def _features(featurizer: CountVectorsFeaturizer, text: str) -> tuple:
    message = Message(data={TEXT: text})
    _tokenizer().process([message])
    featurizer.process([message])
    return message.get_sparse_features(TEXT)


@pytest.mark.parametrize("config", [{"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5}, {"analyzer": "word"}])
def test_messages_get_rasas_features(tmp_path, config):
    rasa = _trained(CountVectorsFeaturizer, tmp_path, config)
    ours = _trained(CharNgramFeaturizer, tmp_path, config)
    for text in MESSAGES:
        (rasa_sequence, rasa_sentence), (sequence, sentence) = _features(rasa, text), _features(ours, text)
        _same(sequence.features, rasa_sequence.features)
        _same(sentence.features, rasa_sentence.features)

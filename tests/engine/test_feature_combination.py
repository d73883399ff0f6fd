"""``engine.feature_combination``: the same combined features as Rasa's
deep copy and ``scipy.sparse.hstack``, entry for entry."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from scipy import sparse

from engine import feature_combination

rasa_combine = Message._combine_features


def _random_coo(rng: np.random.Generator, rows: int, columns: int, dtype: type = np.int64) -> sparse.coo_matrix:
    dense = rng.integers(0, 3, size=(rows, columns)) * (rng.random((rows, columns)) < 0.2)
    return sparse.coo_matrix(dense.astype(dtype))


def _same(left: sparse.coo_matrix, right: sparse.coo_matrix) -> None:
    assert left.shape == right.shape
    for name in ("data", "row", "col"):
        mine, theirs = getattr(left, name), getattr(right, name)
        assert mine.dtype == theirs.dtype, name
        assert np.array_equal(mine, theirs), name


@pytest.mark.parametrize("rows", [1, 7])
@pytest.mark.parametrize("dtypes", [(np.int64, np.int64), (np.int64, np.float32), (np.float32, np.float64, np.int32)])
def test_the_same_matrix_as_scipys_hstack(rows, dtypes):
    rng = np.random.default_rng(rows)
    matrices = [
        _random_coo(rng, rows, width, dtype) for width, dtype in zip((40, 900, 3)[: len(dtypes)], dtypes, strict=True)
    ]
    _same(feature_combination.hstack(matrices), sparse.hstack(matrices))


def test_empty_matrices_stack_as_scipys():
    matrices = [sparse.coo_matrix((1, 5), dtype=np.int64), sparse.coo_matrix(np.array([[0, 2, 0]]))]
    _same(feature_combination.hstack(matrices), sparse.hstack(matrices))


def _features(matrix: sparse.coo_matrix, origin: str, kind: str = FEATURE_TYPE_SEQUENCE) -> Features:
    return Features(matrix, kind, TEXT, origin)


@pytest.mark.parametrize("kind", [FEATURE_TYPE_SEQUENCE, FEATURE_TYPE_SENTENCE])
def test_a_message_gets_the_same_features_as_with_rasas_combination(kind):
    rng = np.random.default_rng(3)
    rows = 6 if kind == FEATURE_TYPE_SEQUENCE else 1
    features = [_features(_random_coo(rng, rows, width), f"cvf-{width}", kind) for width in (120, 4000)]
    theirs = rasa_combine(features, ["cvf-120", "cvf-4000"])
    mine = feature_combination.combine_features(features, ["cvf-120", "cvf-4000"])
    _same(mine.features, theirs.features)
    assert (mine.type, mine.attribute, mine.origin) == (theirs.type, theirs.attribute, theirs.origin)
    assert mine.fingerprint() == theirs.fingerprint()
    # The inputs are left as they were: Rasa combined a copy.
    assert features[0].features.shape == (rows, 120)


def test_rows_that_do_not_match_get_rasas_error():
    rng = np.random.default_rng(5)
    features = [_features(_random_coo(rng, 3, 10), "a"), _features(_random_coo(rng, 4, 10), "b")]
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        feature_combination.combine_features(features, ["a", "b"])


def test_one_featurizer_and_dense_features_go_to_rasa():
    alone = [_features(sparse.coo_matrix(np.array([[1, 0, 2]])), "a")]
    combined = feature_combination.combine_features(alone, ["a"])
    _same(combined.features, alone[0].features)
    assert combined is not alone[0] and combined.features is not alone[0].features
    dense = [Features(np.ones((1, 3)), FEATURE_TYPE_SENTENCE, TEXT, name) for name in ("a", "b")]
    assert feature_combination.combine_features(dense, ["a", "b"]).features.shape == (1, 6)
    assert feature_combination.combine_features([], []) is None


def test_installed_a_message_reads_its_features_combined(monkeypatch):
    rng = np.random.default_rng(7)
    parts = [_features(_random_coo(rng, 4, width), name) for width, name in ((30, "words"), (500, "chars"))]
    message = Message(data={TEXT: "lệ phí hộ chiếu"}, features=parts)
    theirs, _ = message.get_sparse_features(TEXT)
    monkeypatch.setattr(Message, "_combine_features", staticmethod(feature_combination.combine_features))
    mine, _ = message.get_sparse_features(TEXT)
    _same(mine.features, theirs.features)

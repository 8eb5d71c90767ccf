"""Networks train on small folds with many classes (the hold-out adapts)."""

import numpy as np
import pytest
import torch
from skorch.dataset import ValidSplit

from skautoml.nets import ClassAwareValidSplit


def _split(splitter, y):
    dataset = torch.utils.data.TensorDataset(torch.zeros(len(y), 2))
    train, valid = splitter(dataset, y)
    return np.asarray(train.indices), np.asarray(valid.indices)


def test_large_folds_split_like_skorch():
    y = np.repeat(np.arange(3), 40)
    ours = _split(ClassAwareValidSplit(0.15, random_state=0), y)
    theirs = _split(ValidSplit(0.15, stratified=True, random_state=0), y)
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[1], theirs[1])


def test_small_fold_with_many_classes_holds_out_every_class():
    # 60 rows of 10 classes: 15 % is 9 rows, fewer than the classes
    y = np.repeat(np.arange(10), 6)
    with pytest.raises(ValueError):
        _split(ValidSplit(0.15, stratified=True, random_state=0), y)
    train, valid = _split(ClassAwareValidSplit(0.15, random_state=0), y)
    assert set(y[valid]) == set(range(10)) and set(y[train]) == set(range(10))
    assert len(train) + len(valid) == 60 and not set(train) & set(valid)


def test_a_class_with_one_row_falls_back_to_a_plain_split():
    y = np.array([0] * 10 + [1] * 10 + [2])
    train, valid = _split(ClassAwareValidSplit(0.15, random_state=0), y)
    assert len(train) + len(valid) == len(y) and len(valid) >= 1


def test_a_net_search_on_small_folds_of_ten_classes_succeeds():
    from sklearn.datasets import load_digits

    from skautoml import AutoFineTuneClassifier

    X, y = load_digits(return_X_y=True)
    X, y = X[:120], y[:120]
    clf = AutoFineTuneClassifier(
        search="random", search_space="nets", max_trials=1, cv=2, random_state=0, time_budget=None
    ).fit(X, y)
    assert list(clf.cv_results_["status"]) == ["ok"]

"""AutoFineTuneClassifier on images: every input form end to end, pickling."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skautoml import AutoFineTuneClassifier
from skautoml.nets import BackboneFeatures, backbone_available


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    idx = np.concatenate([np.flatnonzero(y == c)[:12] for c in range(4)])
    return X[idx], y[idx]


def _clf(**kw):
    params = dict(
        search="random",
        max_trials=1,
        cv=2,
        random_state=0,
        time_budget=None,
        search_space={"classifier": ["small_cnn"]},
    )
    params.update(kw)
    return AutoFineTuneClassifier(**params)


def test_flattened_digits_with_image_shape(digits):
    X, y = digits
    clf = _clf(image_shape=(8, 8), backbone="small_cnn", search_space="nets").fit(X, y)
    assert clf.image_format_.shape == (1, 8, 8)
    assert clf.best_candidate_.candidate.describe() == "small_cnn"
    assert clf.predict(X).shape == (48,)
    assert clf.score(X, y) > 0.5
    clone = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clone.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("form", ["grey", "last", "first"])
def test_image_array_forms(digits, form):
    X, y = digits
    img = (X.reshape(-1, 8, 8) * 16).astype(np.uint8)
    if form == "last":
        img = np.repeat(img[..., None], 3, axis=-1)
    elif form == "first":
        img = np.repeat(img[:, None], 3, axis=1)
    clf = _clf(search_space={"classifier": ["logistic_regression"]}).fit(img, y)
    assert clf.image_format_.shape[1:] == (8, 8)
    assert clf.n_features_in_ == int(np.prod(clf.image_format_.shape))
    assert clf.predict(img).shape == (48,)
    with pytest.raises(ValueError, match="shape"):
        clf.predict(img[:, :4, :4])


def test_tabular_is_unchanged(digits):
    X, y = digits
    clf = _clf(search_space={"classifier": ["logistic_regression"]}).fit(X, y)
    assert clf.image_format_ is None and clf.n_features_in_ == 64


@pytest.mark.skipif(
    not backbone_available("efficientnet_lite0"), reason="skautoml[pretrained] not installed"
)
def test_pretrained_probe_through_the_estimator(digits):
    X, y = digits
    clf = _clf(
        image_shape=(8, 8),
        max_trials=2,
        search_space={"classifier": ["probe_efficientnet_lite0"]},
    ).fit(X, y)
    assert clf.score(X, y) > 0.5
    feats = [
        s for s in clf.best_pipeline_[-1].named_steps.values() if isinstance(s, BackboneFeatures)
    ]
    assert feats and feats[0].cache_dir is None  # detached from the removed per-fit cache
    pickle.loads(pickle.dumps(clf)).predict(X)

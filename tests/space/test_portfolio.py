"""The portfolio of default candidates adapts to the size and width of the data."""

import math

import pytest

from skautoml.space import COMPONENTS, BuildContext, make_space
from skautoml.space._space import LARGE_DATA_CELLS, PORTFOLIO_ORDER, PORTFOLIO_ORDER_LARGE


def _classifiers(space):
    return [c.steps[-1].name for c in space.portfolio()]


def _tree_params(space, name):
    (candidate,) = [c for c in space.portfolio() if c.steps[-1].name == name]
    return candidate.steps[-1].kwargs


def test_small_data_tries_strong_models_first():
    ctx = BuildContext(n_samples=400, n_features=30, n_classes=2)
    names = _classifiers(make_space(None, ctx))
    assert names == [n for n in PORTFOLIO_ORDER if n in names]
    assert names[0] == "hist_gradient_boosting"


def test_large_data_tries_cheap_models_first():
    # 3,750 MNIST digits: 3,750 x 784 x 10 cells
    ctx = BuildContext(n_samples=3750, n_features=784, n_classes=10)
    assert 3750 * 784 * 10 >= LARGE_DATA_CELLS
    names = _classifiers(make_space(None, ctx))
    # (the order lists the regressors too, after the classifiers)
    assert names == [n for n in PORTFOLIO_ORDER_LARGE if COMPONENTS[n].role == "classifier"]
    assert names[:2] == ["k_neighbors", "logistic_regression"]
    assert names[-1] == "hist_gradient_boosting"


@pytest.mark.parametrize("n_features", [13, 64, 784])
@pytest.mark.parametrize("tree", ["random_forest", "extra_trees"])
def test_trees_start_from_sqrt_features(tree, n_features):
    ctx = BuildContext(n_samples=500, n_features=n_features, n_classes=3)
    fraction = _tree_params(make_space(None, ctx), tree)["max_features"]
    assert fraction == pytest.approx(math.sqrt(n_features) / n_features)
    # what scikit-learn's max_features="sqrt" draws, give or take rounding
    assert max(1, int(fraction * n_features)) == int(math.sqrt(n_features))


def test_portfolio_candidates_are_in_the_space():
    ctx = BuildContext(n_samples=3750, n_features=784, n_classes=10)
    space = make_space(None, ctx)
    dims = dict(space.flat_dimensions())
    for candidate in space.portfolio():
        point = space.encode(candidate)
        for key, value in point.items():
            dim = dims[key]
            assert dim.clip(value) == value, (key, value)
        assert space.decode(point) == candidate


def test_image_data_puts_cheap_pixel_models_first_when_large():
    ctx = BuildContext(
        n_samples=3750, n_features=784, n_classes=10, kind="image", image_shape=(1, 28, 28)
    )
    space = make_space(None, ctx)
    # the stored warm-start portfolio (small CNNs) first, then the defaults:
    # among those, the cheap pixel models first on large data
    names = [c.steps[-1].name for c in space.portfolio()[len(space.portfolio_first) :]]
    assert names[:3] == ["k_neighbors", "logistic_regression", "svc"]
    assert {c.steps[-1].name for c in space.portfolio_first} == {"small_cnn"}

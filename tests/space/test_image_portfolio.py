"""The stored warm-start portfolio for image data, and network workloads."""

import json
from importlib import resources

from skautoml.space import COMPONENTS, BuildContext, Step, make_space, network_workload
from skautoml.space._portfolio import PORTFOLIO_FILE, image_portfolio, portfolio_entries
from skautoml.strategies import make_strategy

CTX = BuildContext(
    n_samples=100,
    n_features=784,
    n_classes=10,
    kind="image",
    image_shape=(1, 28, 28),
    backbones=("small_cnn", "efficientnet_lite0"),
)


def test_the_stored_portfolio_is_package_data_inside_the_searched_ranges():
    text = resources.files("skautoml.space").joinpath(PORTFOLIO_FILE).read_text()
    entries = json.loads(text)["entries"]
    assert entries and entries == list(portfolio_entries())
    for entry in entries:
        component = COMPONENTS[entry["component"]]
        for key, value in entry["params"].items():
            assert key in component.hyperparams, (entry, key)
            assert component.hyperparams[key].clip(value) == value, (entry, key)


def test_the_default_image_space_tries_the_portfolio_first():
    space = make_space(None, CTX)
    first = image_portfolio(space.slots[-1].options)
    assert first and space.portfolio()[: len(first)] == list(first)
    assert len(set(space.portfolio())) == len(space.portfolio())  # no candidate twice
    # only components the space offers
    classical = make_space("classical", CTX)
    assert all(c.steps[0].name in classical.slots[-1].options for c in classical.portfolio())


def test_every_strategy_takes_the_portfolio_candidates():
    space = make_space(None, CTX)
    expected = space.portfolio()[:2]
    for name in ("random", "bayes", "genetic"):
        strategy = make_strategy(name, space, 0)
        proposed = [p.candidate for p in strategy.ask(2)]
        assert proposed == expected, name


def test_workloads_of_image_networks():
    cnn = network_workload(Step.make("small_cnn", {"max_epochs": 8, "resolution": 16}), CTX)
    assert cnn.kind == "small_cnn" and cnn.mode == "train" and cnn.resolution == 16
    assert cnn.epochs >= 8  # raised by the small-data schedule on 100 rows
    probe = network_workload(Step.make("probe_efficientnet_lite0", {"resolution": 64}), CTX)
    assert probe.kind == "probe" and probe.mode == "features" and probe.epochs == 1
    tune = network_workload(Step.make("finetune_efficientnet_lite0", {"max_epochs": 5}), CTX)
    assert tune.kind == "finetune" and tune.epochs == 5 and tune.backbone == "efficientnet_lite0"
    assert network_workload(Step.make("svc", {}), CTX) is None

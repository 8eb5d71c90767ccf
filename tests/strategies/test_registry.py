"""The strategy registry, the option check and the strategies' import layer."""

import ast
import inspect
from pathlib import Path

import pytest

import skautoml.strategies
from skautoml.space import BuildContext, make_space
from skautoml.strategies import (
    STRATEGIES,
    BayesStrategy,
    GeneticStrategy,
    Proposal,
    RandomStrategy,
    Strategy,
    make_strategy,
    strategy_options,
)

CTX = BuildContext(n_samples=90, n_features=5, n_classes=3, seed=0)
SMALL = {
    "scaler": ["passthrough", "standard_scaler"],
    "classifier": ["logistic_regression", "k_neighbors"],
}


@pytest.fixture(scope="module")
def space():
    return make_space(SMALL, CTX)


@pytest.fixture
def registry():
    """The registry's names before the test; names the test added are removed after it."""
    before = dict(STRATEGIES)
    yield before
    for name in set(STRATEGIES) - set(before):
        del STRATEGIES[name]
    STRATEGIES.update(before)


def test_built_in_strategies_are_registered():
    assert STRATEGIES["random"] is RandomStrategy
    assert STRATEGIES["bayes"] is BayesStrategy
    assert STRATEGIES["genetic"] is GeneticStrategy


def test_a_user_strategy_registers_itself_and_make_strategy_builds_it(space, registry):
    class PortfolioOnly(Strategy):
        """Proposes the space's portfolio, then stops."""

        name = "test_portfolio_only"
        option_names = ("population_size",)

        def ask(self, n):
            return self._take_portfolio(n)

        def tell(self, trials):
            pass

    assert "test_portfolio_only" not in registry
    assert STRATEGIES["test_portfolio_only"] is PortfolioOnly
    assert strategy_options("test_portfolio_only") == ("population_size",)
    strat = make_strategy("test_portfolio_only", space, 0, population_size=3)
    assert isinstance(strat, PortfolioOnly)
    assert strat.options == {"population_size": 3}
    proposals = strat.ask(2)
    assert proposals and all(isinstance(p, Proposal) for p in proposals)


def test_the_registry_fixture_cleans_up(registry):
    assert "test_portfolio_only" not in STRATEGIES
    assert STRATEGIES == registry


def test_subclasses_without_their_own_name_are_not_registered(registry):
    class Abstract(Strategy):
        pass

    class Variant(RandomStrategy):  # inherits name "random"
        pass

    assert STRATEGIES == registry
    assert STRATEGIES["random"] is RandomStrategy


def test_a_taken_name_raises_and_leaves_the_registry_alone(registry):
    with pytest.raises(ValueError, match="'random' is already registered"):

        class Impostor(RandomStrategy):
            name = "random"

    assert STRATEGIES == registry


def test_unknown_name_raises_value_error(space):
    with pytest.raises(ValueError, match="unknown search 'nope'"):
        make_strategy("nope", space, 0)
    with pytest.raises(ValueError, match="unknown search 'nope'"):
        strategy_options("nope")


def test_unknown_options_raise_type_error(space):
    with pytest.raises(TypeError, match=r"got unexpected option\(s\) 'populaton_size'"):
        make_strategy("genetic", space, 0, populaton_size=4)
    with pytest.raises(TypeError, match="unexpected option.*it accepts no options"):
        make_strategy("random", space, 0, colour="red")
    with pytest.raises(TypeError, match="unexpected option.*it accepts 'n_initial_points'"):
        BayesStrategy(space, 0, population_size=4)
    with pytest.raises(TypeError, match="unexpected option"):
        RandomStrategy(space, 0, generations=3)


def test_strategy_options_are_accepted_by_name(space):
    """The estimator forwards strategy_options(name) by name; the classes take each one."""
    assert strategy_options("genetic") == (
        "population_size",
        "generations",
        "mutation_rate",
        "crossover_rate",
    )
    assert strategy_options("random") == ()
    assert strategy_options("bayes") == ()
    for name in ("random", "bayes", "genetic"):
        params = inspect.signature(STRATEGIES[name].__init__).parameters
        assert set(strategy_options(name)) <= set(params)
    strat = make_strategy(
        "genetic", space, 0, population_size=4, generations=2, mutation_rate=0.5, crossover_rate=0.5
    )
    assert (strat.population_size, strat.generations) == (4, 2)


def test_constructor_settings_stay_accepted(space):
    assert BayesStrategy(space, 0, n_initial_points=2)._optimizer.n_initial_points_ == 2
    assert make_strategy("genetic", space, 0, max_height=8).grammar.max_height == 8


# -- the import layer ---------------------------------------------------------------
PACKAGE = Path(skautoml.strategies.__file__).parent
ALLOWED = {"space", "records", "exceptions"}
THIRD_PARTY = {"deap": {"_genetic", "_grammar"}, "skopt": {"_bayes"}}


def _imports(path):
    """(level, module) of every import in ``path``; absolute imports have level 0."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            yield node.level, node.module or ""
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield 0, alias.name


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.stem)
def test_strategies_import_only_space_records_exceptions_and_themselves(path):
    own = {p.stem for p in PACKAGE.glob("*.py")}
    for level, module in _imports(path):
        top = module.split(".")[0]
        if level == 1:
            assert top in own, module
        elif level >= 2 or top == "skautoml":
            inner = module.split(".")[1] if top == "skautoml" else top
            assert level <= 2 and inner in ALLOWED, f"{path.name} imports {module}"
        elif top in THIRD_PARTY:
            assert path.stem in THIRD_PARTY[top], f"{path.name} imports {module}"


def test_the_grammar_does_not_import_the_strategy():
    assert not {m for _, m in _imports(PACKAGE / "_grammar.py")} & {"_genetic", "_base"}

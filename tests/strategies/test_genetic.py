"""Genetic search specifics: valid variation, no repeats, the Pareto front, unions and stacking."""

import pickle
import random
import threading
import zlib

import numpy as np
import pytest
from deap import creator
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from skautoml import AutoFineTuneClassifier
from skautoml.exceptions import SearchWarning
from skautoml.records import Trial
from skautoml.space import (
    BuildContext,
    Candidate,
    StackingTransformer,
    Step,
    build_pipeline,
    make_space,
)
from skautoml.space._space import component_for
from skautoml.strategies import GeneticStrategy
from skautoml.strategies._grammar import Output, _all_steps, _Individual, tree_to_candidate

CTX = BuildContext(n_samples=90, n_features=5, n_classes=3, seed=0)
#: cheap models only, so that trees with unions and stacking stay fast to fit
CHEAP = {
    "scaler": ["passthrough", "standard_scaler", "robust_scaler"],
    "transformer": ["passthrough", "pca", "select_percentile"],
    "classifier": ["logistic_regression", "k_neighbors"],
}
OPERATORS = ("mutate_insert", "mutate_replace", "mutate_hyper", "mutate_shrink")


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=90, n_features=5, n_informative=3, n_classes=3, random_state=0
    )


def strategy(search_space=None, seed=0, **options):
    options.setdefault("population_size", 6)
    return GeneticStrategy(make_space(search_space, CTX), seed, **options)


def fake_score(candidate):
    """A deterministic stand-in for cross-validation (no processes, no fitting)."""
    return 0.5 + (zlib.crc32(repr(candidate).encode()) % 1000) / 2000


def drive(strat, n_trials, batch=3, fail_every=0):
    """The ask/tell loop of ``run_search`` without evaluation; returns the trials."""
    trials = []
    while len(trials) < n_trials:
        proposals = strat.ask(min(batch, n_trials - len(trials)))
        if not proposals:
            break
        told = []
        for p in proposals:
            failed = fail_every and len(trials) % fail_every == 0
            trial = Trial(
                number=len(trials),
                candidate=p.candidate,
                status="error" if failed else "ok",
                test_scores=() if failed else (fake_score(p.candidate),),
                error="boom" if failed else None,
                meta=tuple(sorted(p.meta.items())),
            )
            trials.append(trial)
            told.append(trial)
        strat.tell(told)
    return trials


def node(grammar, name):
    return grammar.pset.mapping[name]


def value(grammar, component, param, draw):
    kind = next(k for k, v in grammar.values.items() if v[:2] == (component, param))
    return grammar.value(kind, None, draw=draw)


def union_stacking_tree(grammar):
    """svc(stacking(feature_union(standard_scaler(X), pca(X)), logistic_regression(X)))."""
    g = grammar
    return _Individual(
        [
            node(g, "svc"),
            node(g, "stacking"),
            node(g, "feature_union"),
            node(g, "standard_scaler"),
            node(g, "X"),
            node(g, "pca"),
            node(g, "X"),
            value(g, "pca", "variance", 0.9),
            node(g, "logistic_regression"),
            node(g, "X"),
            value(g, "logistic_regression", "C", 1.0),
            value(g, "logistic_regression", "class_weight", "none"),
            value(g, "svc", "C", 1.0),
            value(g, "svc", "gamma", "scale"),
            value(g, "svc", "class_weight", "none"),
        ]
    )


# -- variation --------------------------------------------------------------------
def test_mutation_and_crossover_yield_valid_trees():
    grammar = strategy().grammar
    rng = random.Random(1)
    trees = [grammar.random_tree(rng) for _ in range(60)]
    for tree in trees:
        _assert_well_typed(tree)
    # the only invalid random trees are unions of twin branches, e.g. union(X, X)
    invalid = [t for t in trees if grammar.check(t) is None]
    assert len(invalid) < len(trees) / 4
    assert all(_has_twin_branches(t) for t in invalid)
    trees = [t for t in trees if grammar.check(t) is not None]
    seen_ops = set()
    for _ in range(400):
        tree = trees[rng.randrange(len(trees))]
        ops = grammar.mutation_operators(tree)
        op = ops[rng.randrange(len(ops))]
        seen_ops.add(op)
        child = grammar.mutate(tree, op, rng)
        assert child != tree or op == "mutate_hyper"
        _assert_well_typed(child)
        if grammar.check(child) is not None:  # only size limits may reject a child
            trees.append(child)
        else:
            assert (
                child.height > grammar.max_height
                or tree_to_candidate(child).complexity() > grammar.max_complexity
                or _has_twin_branches(child)
            )
        other = trees[rng.randrange(len(trees))]
        pair = grammar.crossover(tree, other, rng)
        if pair is not None:
            for c in pair:
                _assert_well_typed(c)
    assert seen_ops == set(OPERATORS)
    for tree in trees[-20:]:  # valid trees build into pipelines
        build_pipeline(grammar.check(tree), CTX)


def _assert_well_typed(tree):
    tree_to_candidate(tree)  # parses
    assert tree[0].ret is Output
    stack = [0]
    while stack:
        i = stack.pop()
        n = tree[i]
        j = i + 1
        for arg in getattr(n, "args", []):
            assert tree[j].ret is arg
            stack.append(j)
            j = tree.searchSubtree(j).stop


def _has_twin_branches(tree):
    c = tree_to_candidate(tree)
    return "feature_union" in repr(c)


def test_each_mutation_does_what_it_says():
    g = strategy().grammar
    rng = random.Random(0)
    tree = union_stacking_tree(g)
    base = tree_to_candidate(tree).complexity()
    for _ in range(20):
        assert tree_to_candidate(g.mutate_insert(tree, rng)).complexity() > base
        assert tree_to_candidate(g.mutate_shrink(tree, rng)).complexity() < base
        hyper = g.mutate_hyper(tree, rng)
        assert [n.name for n in hyper if not hasattr(n, "param")] == [
            n.name for n in tree if not hasattr(n, "param")
        ]
        replaced = g.mutate_replace(tree, rng)
        assert len(replaced) != len(tree) or [n.name for n in replaced] != [n.name for n in tree]


def test_crossover_swaps_subtrees_of_one_type():
    g = strategy().grammar
    rng = random.Random(0)
    a = union_stacking_tree(g)
    b = _Individual([node(g, "k_neighbors"), node(g, "robust_scaler"), node(g, "X")])
    b += [value(g, "k_neighbors", "n_neighbors", 5), value(g, "k_neighbors", "weights", "uniform")]
    for _ in range(20):
        c, d = g.crossover(a, b, rng)
        assert g.check(c) is not None and g.check(d) is not None
        assert sorted(map(str, c + d)) == sorted(map(str, a + b))  # material is conserved


def test_operators_leave_the_global_random_state_alone():
    state, np_state = random.getstate(), np.random.get_state()
    strat = strategy(seed=3)
    drive(strat, 30)
    assert random.getstate() == state
    np.testing.assert_array_equal(np.random.get_state()[1], np_state[1])


def test_numeric_hyperparameters_mutate_as_clipped_numbers():
    g = strategy().grammar
    rng = random.Random(0)
    tree = union_stacking_tree(g)
    values = []
    for _ in range(200):
        child = g.mutate_hyper(tree, rng)
        for n in child:
            if getattr(n, "param", None) == "C" and n.component == "svc":
                values.append(n.value)
    assert all(1e-2 <= v <= 1e3 for v in values)
    assert len(set(values)) > 5  # a continuum, not a few fixed terminals


# -- the strategy ---------------------------------------------------------------------
def test_no_candidate_is_proposed_twice_and_invalid_trees_are_never_proposed():
    strat = strategy(population_size=5)
    trials = drive(strat, 80, fail_every=7)
    candidates = [t.candidate for t in trials]
    assert len(candidates) == 80
    assert len(set(candidates)) == len(candidates)
    generations = [dict(t.meta)["generation"] for t in trials]
    assert generations == sorted(generations) and max(generations) >= 5
    for t in trials:
        meta = dict(t.meta)
        assert meta["operator"] in ("portfolio", "init", "crossover", *OPERATORS)
        if meta["operator"] in ("portfolio", "init"):
            assert meta["parents"] == "" or meta["generation"] > 0
        else:
            parents = [int(p) for p in meta["parents"].split(",")]
            assert all(p < t.number for p in parents)
            assert all(trials[p].ok for p in parents)  # failed trials never breed
    assert sum(dict(t.meta)["operator"] == "crossover" for t in trials) >= 1


def test_repeats_told_from_the_cache_are_handled():
    strat = strategy(population_size=4)
    first = drive(strat, 4)
    proposals = strat.ask(4)
    # the loop tells cached trials for repeats: tell an old one again
    strat.tell([first[0]])
    told = [
        Trial(number=4 + i, candidate=p.candidate, status="ok", test_scores=(0.6,))
        for i, p in enumerate(proposals)
    ]
    strat.tell(told)
    # the old record keeps its first result; the new ones are recorded once each
    assert strat._trials[first[0].candidate] == first[0]
    assert all(strat._trials[t.candidate] == t for t in told)
    following = strat.ask(4)
    assert following
    evaluated = {t.candidate for t in first} | {t.candidate for t in told}
    assert not {p.candidate for p in following} & evaluated  # no repeat is proposed


def test_generations_bound_the_search():
    strat = strategy(population_size=4, generations=2)
    trials = drive(strat, 100)
    per_generation = [0, 0, 0]
    for t in trials:
        per_generation[dict(t.meta)["generation"]] += 1
    # the initial population (the portfolio of defaults, then random trees), then
    # two bred generations of population_size offspring each
    assert per_generation[0] >= 4 and per_generation[1:] == [4, 4]
    assert len(trials) == sum(per_generation)
    assert strat.ask(3) == []


def test_same_seed_same_evolution_other_seed_other():
    a = [t.candidate for t in drive(strategy(seed=5), 30)]
    b = [t.candidate for t in drive(strategy(seed=5), 30)]
    c = [t.candidate for t in drive(strategy(seed=6), 30)]
    assert a == b and a != c


def test_batch_size_does_not_change_the_evolution():
    a = [t.candidate for t in drive(strategy(seed=2), 30, batch=1)]
    b = [t.candidate for t in drive(strategy(seed=2), 30, batch=4)]
    assert a == b


def test_pareto_front_is_non_dominated_and_covers_every_trial():
    strat = strategy(population_size=6)
    trials = drive(strat, 40, fail_every=5)
    front = strat.pareto_front()
    assert front
    points = [(f["score"], f["complexity"]) for f in front]
    for s, c in points:
        assert not any(s2 >= s and c2 <= c and (s2 > s or c2 < c) for s2, c2 in points), (
            "a front member is dominated"
        )
    for t in trials:
        if t.ok:
            s, c = t.mean_score, t.candidate.complexity()
            assert any(fs >= s and fc <= c for fs, fc in points)
    for f in front:
        assert isinstance(f["candidate"], Candidate)
        assert f["pipeline"] == f["candidate"].describe()
        assert f["complexity"] == f["candidate"].complexity()


def test_mandatory_slots_lead_every_path_and_fixed_steps_lead_every_candidate():
    ctx = BuildContext(
        n_samples=90, n_features=5, n_classes=3, has_missing=True, categorical_columns=(0,)
    )
    strat = GeneticStrategy(make_space("fast", ctx), 0, population_size=6)

    def imputes_first(steps):
        first = steps[0]
        if first.name == "feature_union":  # then every branch imputes first
            return all(imputes_first(b.steps) for b in first.kwargs["branches"])
        return first.name == "simple_imputer"

    for t in drive(strat, 40):
        steps = t.candidate.steps
        assert steps[0].name == "one_hot_encoder"
        assert imputes_first(steps[1:])
        for step in steps:
            if step.name == "stacking":
                assert imputes_first(step.kwargs["estimator"].steps)


# -- unions and stacking ----------------------------------------------------------------
def test_union_and_stacking_tree_builds_a_working_pipeline(data):
    X, y = data
    grammar = strategy().grammar
    tree = union_stacking_tree(grammar)
    assert grammar.check(tree) is not None
    candidate = tree_to_candidate(tree)
    assert candidate.describe() == (
        "feature_union[pca | standard_scaler] -> stacking[logistic_regression] -> svc"
    )
    pipe = build_pipeline(candidate, CTX).fit(X, y)
    assert pipe.predict_proba(X).shape == (len(X), 3)
    assert pipe.score(X, y) > 0.6
    # 5 scaled + 5 PCA features (variance 0.9 keeps some) + 3 stacked probabilities
    union_width = pipe[0].transform(X).shape[1]
    assert pipe[:2].transform(X).shape[1] == union_width + 3
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict(X), pipe.predict(X))


def test_union_with_twin_branches_is_invalid():
    g = strategy().grammar
    twin = _Individual(
        [
            node(g, "logistic_regression"),
            node(g, "feature_union"),
            node(g, "standard_scaler"),
            node(g, "X"),
            node(g, "standard_scaler"),
            node(g, "X"),
            value(g, "logistic_regression", "C", 1.0),
            value(g, "logistic_regression", "class_weight", "none"),
        ]
    )
    assert g.check(twin) is None
    assert g.check(_Individual(list(twin[:1]) + list(twin[2:]))) is None  # malformed


def test_stacking_appends_out_of_fold_predictions(data):
    X, y = data
    stack = StackingTransformer(LogisticRegression(max_iter=500), random_state=0)
    Xt = stack.fit_transform(X, y)
    oof = cross_val_predict(
        LogisticRegression(max_iter=500),
        X,
        y,
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        method="predict_proba",
    )
    np.testing.assert_allclose(Xt[:, :5], X)
    np.testing.assert_allclose(Xt[:, 5:], oof)
    # at predict time the model refit on every row is used: in-sample values differ
    in_sample = stack.transform(X)[:, 5:]
    assert not np.allclose(in_sample, oof)
    np.testing.assert_allclose(in_sample, stack.estimator_.predict_proba(X))


def test_composites_can_fill_a_linear_slot(data):
    X, y = data
    space = {"transformer": ["feature_union", "stacking"], "classifier": ["logistic_regression"]}
    clf = AutoFineTuneClassifier(
        search="random", max_trials=3, cv=2, random_state=0, search_space=space
    ).fit(X, y)
    assert set(clf.cv_results_["status"]) == {"ok"}


# -- the estimator ------------------------------------------------------------------
def genetic(**kwargs):
    params = dict(
        search="genetic",
        max_trials=8,
        cv=2,
        random_state=0,
        search_space=CHEAP,
        population_size=4,
        time_budget=None,  # no per-trial time limit: a loaded machine cannot change the search
    )
    params.update(kwargs)
    return AutoFineTuneClassifier(**params)


def test_estimator_records_genealogy_and_front_and_creates_no_creator_state(data):
    X, y = data
    before = set(vars(creator))
    clf = genetic().fit(X, y)
    assert set(vars(creator)) == before
    res = clf.cv_results_
    assert list(res["generation"]) == [0] * 4 + [1] * 4
    assert set(res["operator"][:4]) <= {"portfolio", "init"}
    assert all(p != "" for p in res["parents"][4:] if p is not None)
    assert len({t.candidate for t in clf.trials_}) == clf.n_trials_
    front = clf.pareto_front_
    ok = [(t.mean_score, t.candidate.complexity()) for t in clf.trials_ if t.ok]
    for f in front:
        s, c = f["score"], f["complexity"]
        assert not any(s2 >= s and c2 <= c and (s2 > s or c2 < c) for s2, c2 in ok)
    board = clf.leaderboard()
    assert {"generation", "operator", "parents"} <= set(board.columns)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))


def test_parallel_fits_do_not_interfere(data):
    X, y = data
    sequential = [
        genetic(random_state=s, max_trials=6).fit(X, y).cv_results_["params"] for s in (1, 2)
    ]
    results = {}

    def work(seed):
        results[seed] = genetic(random_state=seed, max_trials=6).fit(X, y).cv_results_["params"]

    threads = [threading.Thread(target=work, args=(s,)) for s in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[1] == sequential[0]
    assert results[2] == sequential[1]


def test_steps_are_plain_candidates():
    strat = strategy()
    proposal = strat.ask(1)[0]
    assert isinstance(proposal.candidate, Candidate)
    assert all(isinstance(s, Step) for s in proposal.candidate.steps)
    assert set(proposal.meta) == {"generation", "operator", "parents"}


# -- image networks read the raw image rows ------------------------------------------
IMAGE_CTX = BuildContext(
    n_samples=30,
    n_features=64,
    n_classes=3,
    kind="image",
    image_shape=(1, 8, 8),
    backbones=("small_cnn",),
    seed=0,
)
IMAGE_CLASSIFIERS = [
    "logistic_regression",
    "k_neighbors",
    "svc",
    "small_cnn",
    "probe_efficientnet_lite0",
    "finetune_efficientnet_lite0",
]


def _is_image_net(name):
    component = component_for(name)
    return component.is_net and "image" in component.kinds


def _nets_read_raw_rows(candidate, raw=True):
    """Every image network is the only step of a chain whose input is the raw rows."""
    for i, step in enumerate(candidate.steps):
        if _is_image_net(step.name) and not (raw and i == 0 and len(candidate.steps) == 1):
            return False
        if step.name == "stacking" and not _nets_read_raw_rows(
            step.kwargs["estimator"], raw and i == 0
        ):
            return False
        if step.name == "feature_union" and not all(
            _nets_read_raw_rows(b, raw and i == 0) for b in step.kwargs["branches"]
        ):
            return False
    return True


def test_image_networks_are_never_proposed_after_a_transform():
    space = make_space({"classifier": IMAGE_CLASSIFIERS}, IMAGE_CTX)
    strat = GeneticStrategy(space, 0, population_size=8)
    trials = drive(strat, 300)
    assert len(trials) == 300
    top_level_nets = [t.candidate for t in trials if _is_image_net(t.candidate.steps[-1].name)]
    stacked_nets = [
        t.candidate
        for t in trials
        if not _is_image_net(t.candidate.steps[-1].name)
        and any(_is_image_net(s.name) for s in _all_steps(t.candidate))
    ]
    assert len(top_level_nets) >= 30  # networks are searched, and evolve
    for candidate in top_level_nets:  # no union, stacking or transform before a network
        assert len(candidate.steps) == 1, candidate.describe()
    for t in trials:  # a stacked network stacks on the raw rows too
        assert _nets_read_raw_rows(t.candidate), t.candidate.describe()
    assert stacked_nets  # e.g. stacking[small_cnn] -> svc: the stacking input is the raw rows
    operators = {dict(t.meta)["operator"] for t in trials if t.candidate in top_level_nets}
    assert {"portfolio", "mutate_replace", "mutate_hyper"} <= operators
    # a proposed network builds and fits on tiny images, alone or stacked
    rng = np.random.default_rng(0)
    X = rng.random((30, 64), dtype=np.float32)
    y = np.repeat([0, 1, 2], 10)
    X[y == 1, :32] += 0.5
    cnn = next(c for c in top_level_nets if c.steps[0].name == "small_cnn")
    cnn = Candidate((Step.make("small_cnn", {**cnn.steps[0].kwargs, "max_epochs": 3}),))
    pipe = build_pipeline(cnn, IMAGE_CTX).fit(X, y)
    assert pipe.predict_proba(X).shape == (30, 3)
    stacked = Candidate(
        (
            Step.make("stacking", {"estimator": cnn}),
            Step.make("logistic_regression", {"C": 1.0}),
        )
    )
    assert strat.grammar.check(strat.grammar.linear_tree(cnn)) == cnn
    assert build_pipeline(stacked, IMAGE_CTX).fit(X, y).predict(X).shape == (30,)


def test_image_network_trees_with_a_transformed_input_are_invalid():
    g = GeneticStrategy(make_space({"classifier": IMAGE_CLASSIFIERS}, IMAGE_CTX), 0).grammar
    cnn = [node(g, "small_cnn"), node(g, "raw")] + [
        g.value(kind, random.Random(0)) for kind in node(g, "small_cnn").args[1:]
    ]
    knn = [
        node(g, "k_neighbors"),
        node(g, "X"),
        value(g, "k_neighbors", "n_neighbors", 3),
        value(g, "k_neighbors", "weights", "uniform"),
    ]
    lr = [
        value(g, "logistic_regression", "C", 1.0),
        value(g, "logistic_regression", "class_weight", "none"),
    ]
    assert node(g, "small_cnn").args[0] is not node(g, "stacking").ret  # typed out
    assert g.check(_Individual(cnn)) is not None
    stacked = [node(g, "logistic_regression"), node(g, "stacking"), node(g, "X"), *cnn, *lr]
    assert g.check(_Individual(stacked)) is not None  # stacking on the raw rows
    on_probabilities = [
        node(g, "logistic_regression"),
        node(g, "stacking"),
        node(g, "stacking"),
        node(g, "X"),
        *knn,
        *cnn,
        *lr,
    ]  # stacking[k_neighbors] -> stacking[small_cnn]: the network would read 64 + 3 columns
    assert g.check(_Individual(on_probabilities)) is None


def test_image_networks_after_mandatory_steps_are_left_out_with_a_warning():
    space = make_space(
        {"scaler": ["standard_scaler"], "classifier": ["logistic_regression", "small_cnn"]},
        IMAGE_CTX,
    )
    with pytest.warns(SearchWarning, match="small_cnn"):
        grammar = GeneticStrategy(space, 0).grammar
    assert [p.name for p in grammar.classifiers] == ["logistic_regression"]


def test_a_straggler_told_after_the_next_generation_still_competes():
    # An asynchronous search breeds the next generation when the current one is
    # handed out; an offspring still running then is selected from once told.
    strat = strategy(population_size=4)
    gen0 = strat.ask(100)  # all of generation 0
    assert {dict(p.meta)["generation"] for p in gen0} == {0}
    late, rest = gen0[0], gen0[1:]
    strat.tell([Trial(i, p.candidate, "ok", (0.1,)) for i, p in enumerate(rest, 1)])
    gen1 = strat.ask(1)  # breeds generation 1 while `late` still runs
    assert dict(gen1[0].meta)["generation"] == 1
    strat.tell([Trial(0, late.candidate, "ok", (0.99,))])  # the best of all, told late
    gen1 += strat.ask(100)
    strat.tell([Trial(len(gen0) + i, p.candidate, "ok", (0.2,)) for i, p in enumerate(gen1)])
    strat.ask(1)  # selects generation 2's parents
    assert late.candidate in {ind.candidate for ind in strat.parents}

"""The estimators' docstrings: one text for the parameters both share.

:class:`~skautoml.AutoFineTuneClassifier` and
:class:`~skautoml.AutoFineTuneRegressor` take the same parameters; their
docstrings are filled in from one template (``string.Template``), so that
a parameter is described once.
"""

from __future__ import annotations

from string import Template

__all__ = ["CLASSIFIER_DOC", "REGRESSOR_DOC"]

_TEMPLATE = Template(
    """$intro
Parameters
----------
search : {"bayes", "random", "genetic"} or str, default="bayes"
    The strategy. Each first proposes the space's portfolio of default
    candidates (every final estimator with its default hyperparameters;
    see ``docs/user_guide.md``, "Strategies"). ``"bayes"`` is
    scikit-optimize's ``gp_minimize`` driven through ``Optimizer``
    ask/tell, asynchronously: whenever a worker is free it is asked for
    one more point, the points still running told by constant liar; the
    portfolio counts towards its 8 initial points, the rest of which are
    random. ``"random"`` samples the space uniformly after the portfolio;
    ``"genetic"`` evolves pipeline trees (chains, feature unions,
    out-of-fold stacking) with DEAP, NSGA-II on score against complexity,
    from a generation 0 of the portfolio and random trees; see
    ``docs/search.md``. The ``name`` of any other
    :class:`~skautoml.strategies.Strategy` subclass selects it.
max_trials : int, default=None
    Stop after this many evaluated candidates. ``None`` means no limit
    (``time_budget`` then bounds the search).
time_budget : float, default=60
    Seconds for the whole ``fit``, refit included. A trial that would
    overrun it is stopped. ``None`` means no limit (``max_trials`` must
    then be set).
cv : int or cross-validation splitter, default=3
    An int gives shuffled ``$folds`` seeded by ``random_state``.
scoring : str or callable, default=None
    A scikit-learn scorer name or ``scorer(estimator, X, y)``; ``None`` is
    $scoring. Higher is better. With ``sample_weight``, the scores are
    weighted.
search_space : None, str, dict or SearchSpace, default=None
    ``None`` is the ``"default"`` preset for the data; presets are
    ``"default"``, ``"classical"``, ``"fast"`` and ``"nets"``. A dict maps
    roles (``"scaler"``, ``"transformer"``, ``"$role"``, ...) to
    component names and overrides those slots.$space
n_jobs : int, default=None
    Trials run at once, each in its own process. ``None`` means 1;
    ``-1`` means one per core.
random_state : int, RandomState instance or None, default=None
    Seeds the splits, the strategy and every component. With an int and
    ``n_jobs=1`` the same trials and predictions come out again.
verbose : int, default=0
    ``1`` shows a progress bar with the best score so far; details go to
    the ``"skautoml"`` logger at any level.
population_size : int, default=20
    Genetic search: the size of generation 0 (the portfolio, filled up
    with random trees), then parents kept and offspring bred per
    generation (mu and lambda of mu + lambda).
generations : int, default=None
    Genetic search: stop after this many generations bred after the
    initial population (``None``: ``max_trials``/``time_budget`` decide).
mutation_rate : float, default=0.9
    Genetic search: probability that an offspring comes from mutation.
crossover_rate : float, default=0.1
    Genetic search: probability that an offspring comes from crossover.
    Rates adding up to more than 1 are scaled to sum to 1; a remainder
    below 1 breeds fresh random trees.
device : str, default="auto"
    Torch device for networks; ``"auto"`` uses a GPU when present.
trial_time_limit : float, default=None
    Seconds one trial (all its CV folds) may run before it is stopped and
    recorded as ``"timeout"``. ``None`` means a third of ``time_budget``
    (no limit when ``time_budget`` is ``None`` too).
memory_limit : float, default=None
    Megabytes one trial may allocate beyond its worker's start-up size; a
    trial that needs more is stopped and recorded as ``"memout"``.
    ``None`` means no limit.
backbone : "auto", str, torch.nn.Module, type, path or list, default="auto"
$backbone    Image data: the networks to fine-tune. ``"auto"`` searches the small
    CNN and the pretrained EfficientNet-Lite0 (all installed
    EfficientNet-Lite variants on a GPU); a registered name
    (``"small_cnn"``, ``"efficientnet_lite0"``, ``"efficientnet_lite1"``,
    ``"efficientnet_lite2"``), ``"torchvision:<name>"``, ``"timm:<name>"``,
    a checkpoint path, a ``torch.nn.Module`` (instance or class) or a
    :class:`~skautoml.nets.CustomBackbone`, or a list of these (at most one
    custom), limits the choice. See ``docs/images.md``.
    Tabular data: a ``torch.nn.Module`` (instance or class),
    ``CustomBackbone(module, checkpoint=path)`` or the checkpoint path of a
    :class:`~skautoml.nets.TabularMLP` is a pretrained body that the
    ``finetune_tabular_custom`` component fine-tunes with a new head
    (searched wherever ``tabular_net`` is); registered image names
    (``"auto"``, ``"small_cnn"``, ...) are ignored. See
    ``docs/user_guide.md``.
image_shape : tuple of int, default=None
    Read 2-D ``X`` as flattened images of this shape: ``(H, W)`` (grey) or
    ``(H, W, C)`` / ``(C, H, W)``; e.g. ``(8, 8)`` for scikit-learn's
    digits. ``None`` keeps 2-D data tabular. 3-D ``X`` ``(n, H, W)`` and
    4-D ``X`` are always images.
channels : {"first", "last"}, default=None
    Where the channel axis of 4-D images is. ``None`` decides: the last
    axis when it has 1, 3 or 4 entries (also when the first has too),
    else the first when it has.
multi_fidelity : bool or "auto", default="auto"
    Evaluate every candidate cheaply first (on a third of each fold's
    training rows; networks for a third of their epochs) and fully only
    when its cheap score is in the top third so far; once three networks
    have trained, stop a network whose validation curve falls below
    their median. Such trials are recorded as ``"pruned"`` (NaN score,
    never the winner, no ensemble member). ``"auto"`` turns it on from
    2,000 rows, where fits are costly enough to gain. See
    ``docs/user_guide.md``, "Multi-fidelity and pruned trials".
checkpoint : str or path-like, default=None
    A file to which every finished trial is appended (JSON lines). Fitting
    again with the same file, settings and data resumes: recorded trials
    are not run again.
resume : bool or "force", default=True
    With a ``checkpoint`` that exists: ``True`` resumes it, and refuses a
    file made with other settings, data or skautoml version; ``"force"``
    reuses its trials anyway; ``False`` starts the file afresh.
ensemble_size : int, default=25
    Rounds of Caruana's greedy ensemble selection (with replacement,
    bagged over random halves of the pool) over the out-of-fold
    predictions of the best 20 trials; $averaged
    with their weights. ``1`` turns ensembles off: the single best
    pipeline predicts. The default was chosen by measurement; see
    ``docs/user_guide.md`` ("Ensembles").
max_predict_latency : float, default=None
    Milliseconds per row that prediction may take, as measured for each
    trial (``predict_ms_per_row`` in :meth:`leaderboard`: its first CV
    fold's pipeline predicting its validation rows). Slower trials are
    left out of the choice of the best pipeline and of the ensemble,
    whose members' summed latency also stays within it. When no
    successful trial is within it, the fastest one is used alone, with a
    :class:`~skautoml.exceptions.SearchWarning`. ``None`` means no limit.

Attributes
----------
best_pipeline_ : sklearn.pipeline.Pipeline
    The best candidate, refit on all the data.
best_params_ : dict
    Its steps and hyperparameters.
best_score_ : float
    Its mean cross-validated score.
ensemble_ : list of dict
    The ensemble that predicts, heaviest member first: ``{"trial": int,
    "weight": float, "pipeline": str}`` per member, weights summing to 1.
    One member (the best trial, weight 1) when ensembles are off or
    selection picked the best alone.
ensemble_score_ : float
    The ensemble's out-of-fold score, on the same splits as
    :attr:`best_score_`, computed from the averaged ${what}${caveat};
    :attr:`best_score_` when ensembles are off.
ensemble_model_ : sklearn.ensemble.$voting or None
    The fitted soft vote of the members (each a
    :class:`~sklearn.frozen.FrozenEstimator`; a member that had no time to
    be refit on all rows is a :class:`~skautoml.evaluation.FoldBag`, the
    average of its fold models). ``None``
    when :attr:`best_pipeline_` alone predicts.
cv_results_ : dict of arrays
    One entry per trial, in scikit-learn's ``cv_results_`` shape, with a
    ``status`` and ``error`` per trial, and the fitted size
    (``size_bytes``) and prediction latency (``predict_ms_per_row``) of
    each successful trial (NaN where unknown).
n_trials_ : int
    Number of candidates evaluated.
${classes}n_features_in_ : int
    Number of features seen during ``fit``.
feature_names_in_ : ndarray of str
    Column names, when ``X`` was a DataFrame with string column names.
search_report_ : dict
    Why the search stopped, the time spent outside model fitting, and
    ``refit_source``: ``"refit"`` (the best candidate refit on all rows),
    ``"first_fold"`` (no time to refit: its pipeline fitted on the first
    CV fold's training rows during the search) or ``"fastest"`` (the
    fastest successful candidate refit, when no such pipeline was kept);
    with ensembles, ``"ensemble"``: the pool size, the selection rounds,
    and which members were ``"refit"`` on all rows, ``"bagged"`` (their
    fold models vote) or ``"dropped"``, with timings; ``"left_out"``:
    component -> why it was left out of the search (with
    ``sample_weight``: the ${role}s whose ``fit`` takes no weights);
    ``"max_predict_latency"``: ``{"limit", "over", "met"}``, the limit,
    how many successful trials were over it and whether any was within it.
pareto_front_ : list of dict
    Genetic search only: the evaluated candidates no other beats on both
    score and complexity, simplest first, each as ``{"candidate",
    "pipeline", "score", "complexity", "trial"}``. ``cv_results_`` and
    :meth:`leaderboard` then also hold ``generation``, ``operator`` and
    ``parents`` (trial numbers) per trial.

Examples
--------
$example"""
)

CLASSIFIER_DOC = _TEMPLATE.substitute(
    intro="""Search pipelines and fine-tuned networks; refit the best one.

``fit`` searches over whole scikit-learn pipelines (imputation, scaling,
feature transformation, and a final classifier that is a classical model
or a skorch-trained network) with cross-validation, then refits the best
candidate on all the data as :attr:`best_pipeline_`. With imbalanced
classes (the largest has 3 times the rows of the smallest, or more), the
classifiers that take a ``class_weight`` start from ``"balanced"``; it is
searched (``"none"`` or ``"balanced"``) in every case.
""",
    folds="StratifiedKFold",
    scoring="accuracy",
    role="classifier",
    space="",
    backbone="",
    averaged=(
        "``predict`` and\n    ``predict_proba`` then average the selected members' probabilities"
    ),
    what="probabilities",
    caveat=""" (so
    for a one-member ensemble it can differ slightly from the member's
    CV score when its ``predict`` is not the most probable class, as for
    an SVC)""",
    voting="VotingClassifier",
    classes="""classes_ : ndarray
    The class labels.
""",
    example=""">>> from sklearn.datasets import load_iris
>>> from skautoml import AutoFineTuneClassifier
>>> X, y = load_iris(return_X_y=True)
>>> clf = AutoFineTuneClassifier(search="random", max_trials=3, cv=2,
...                              search_space="fast", random_state=0)
>>> clf.fit(X, y).score(X, y) > 0.9
True
""",
)

REGRESSOR_DOC = _TEMPLATE.substitute(
    intro="""Search pipelines and networks for a numeric target; refit the best one.

The regression sibling of :class:`AutoFineTuneClassifier`, with the same
parameters, strategies, budget, checkpoints, ensembles and export.
``fit`` searches whole pipelines ending in a regressor (ridge, elastic
net, histogram gradient boosting, random forest, extra trees, SVR, k-NN,
and the tabular network with an MSE or Huber loss); each regressor may
predict a transformed target (standardised or quantile-normalised, through
:class:`~sklearn.compose.TransformedTargetRegressor`),
searched like its other hyperparameters. On image data it searches ridge,
SVR and k-NN on the pixels, the small CNN with one output, and each
pretrained backbone's frozen features under a ridge head
(``probe_<name>_regressor``); it does not fine-tune a backbone for
regression yet.
""",
    folds="KFold",
    scoring="``r2``",
    role="regressor",
    space=""" For the regressor the
    presets are ``"default"`` (every regressor), ``"classical"`` (no
    network), ``"fast"`` (ridge, gradient boosting, k-NN) and ``"nets"``.""",
    backbone="""    For the regressor, on image data: the backbones whose frozen
    features a ridge head reads (``probe_<name>_regressor``) and
    ``"small_cnn"`` (trained with one output); tabular pretrained bodies are
    classification only. For the classifier:
""",
    averaged="``predict`` then\n    averages the selected members' predictions",
    what="predictions",
    caveat="",
    voting="VotingRegressor",
    classes="",
    example=""">>> from sklearn.datasets import load_diabetes
>>> from skautoml import AutoFineTuneRegressor
>>> X, y = load_diabetes(return_X_y=True)
>>> reg = AutoFineTuneRegressor(search="random", max_trials=3, cv=2,
...                             search_space="fast", random_state=0)
>>> reg.fit(X, y).score(X, y) > 0.3
True
""",
)

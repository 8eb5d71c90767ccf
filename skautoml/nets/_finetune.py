"""Fine-tuning strategies as skorch callbacks with glob patterns (no lambdas).

Parameter names are those of ``net.module_.named_parameters()`` and are
matched with :func:`fnmatch.fnmatch`, as skorch's own ``Freezer`` does. A
frozen parameter keeps ``requires_grad=False``, gets no gradient, and is
therefore skipped by every torch optimizer (weight decay included), so it
stays bit-identical. :class:`~skautoml.nets.ImageClassifier` also keeps a
batch-norm layer whose parameters are all frozen in evaluation mode.

Strategies (see :func:`strategy_callbacks`):

``"linear_probe"``
    Only the head trains (the frozen-feature probe with a feature cache is the
    ``probe_*`` components; this is the same inside one network).
``"last_blocks"``
    The last ``k`` backbone groups and the head train.
``"first_blocks"``
    Surgical fine-tuning (Lee et al., ICLR 2023): the first ``k`` backbone
    groups and the head train, every later group is frozen. Under an
    input-level shift (grey digits for a backbone pretrained on photos) the
    first blocks are the ones to adapt.
``"all"``
    Everything trains.
``"gradual"``
    ULMFiT-style gradual unfreezing: the head first, then one more group from
    the top every ``every`` epochs.
``"bitfit"``
    Only the backbone's biases (and the head) train.
``"lp_ft"``
    LP-FT (Kumar et al., ICLR 2022): a logistic-regression probe fitted on the
    frozen features initialises the linear head (:class:`LinearProbeInit`),
    then everything trains, so that a random head does not distort the
    pretrained features early on.
"""

from __future__ import annotations

import fnmatch
import warnings

import numpy as np
import torch
from skorch.callbacks import Callback

__all__ = [
    "STRATEGIES",
    "L2SP",
    "Freeze",
    "GradualUnfreeze",
    "LinearProbeInit",
    "layerwise_param_groups",
    "strategy_callbacks",
]

STRATEGIES = (
    "linear_probe",
    "last_blocks",
    "all",
    "gradual",
    "bitfit",
    "first_blocks",
    "lp_ft",
)


def _matches(name: str, patterns) -> bool:
    return any(fnmatch.fnmatch(name, p) for p in patterns)


class Freeze(Callback):
    """Freeze the parameters matching ``patterns`` (except ``exclude``) before training.

    Parameters
    ----------
    patterns : tuple of str
        Glob patterns of parameter names to freeze, e.g. ``("backbone.*",)``.
    exclude : tuple of str, default=()
        Patterns kept trainable even when they match, e.g. ``("*.bias",)``.

    Examples
    --------
    >>> Freeze(("backbone.*",), exclude=("*.bias",))  # doctest: +ELLIPSIS
    <...Freeze object at ...>
    """

    def __init__(self, patterns=(), exclude=()):
        self.patterns = patterns
        self.exclude = exclude

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        for name, param in net.module_.named_parameters():
            if _matches(name, self.patterns) and not _matches(name, self.exclude):
                param.requires_grad_(False)


class GradualUnfreeze(Callback):
    """Gradual unfreezing: start with ``groups`` frozen, thaw one from the top per step.

    Parameters
    ----------
    groups : tuple of tuple of str
        Glob patterns of each parameter group, from the input to the output
        (the head is not among them: it always trains).
    every : int, default=1
        Epochs between two unfreezing steps.

    Examples
    --------
    >>> GradualUnfreeze((("backbone.0.*",), ("backbone.1.*",)), every=2).every
    2
    """

    def __init__(self, groups=(), every=1):
        self.groups = groups
        self.every = every

    def _set(self, net, n_thawed: int) -> None:
        groups = list(self.groups)
        frozen = groups[: max(0, len(groups) - n_thawed)]
        patterns = tuple(p for g in frozen for p in g)
        every = tuple(p for g in groups for p in g)
        for name, param in net.module_.named_parameters():
            if _matches(name, every):
                param.requires_grad_(not _matches(name, patterns))

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self._set(net, 0)

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        epoch = len(net.history) - 1  # history has the new epoch's row already
        self._set(net, max(0, epoch) // max(1, int(self.every)))


class L2SP(Callback):
    """L2-SP: penalise the distance to the starting (pretrained) weights.

    Adds ``alpha * (w - w0)`` to the gradient of every trainable parameter
    matching ``patterns``, i.e. the gradient of ``alpha / 2 * ||w - w0||^2``
    (Li et al., 2018), where ``w0`` are the weights when training begins.
    The reference copy is dropped when training ends, so the fitted net does
    not carry it.

    Parameters
    ----------
    alpha : float, default=0.01
        Strength of the pull toward ``w0``.
    patterns : tuple of str, default=("backbone.*",)
        Parameters to regularise (the new head is usually left out).

    Examples
    --------
    >>> L2SP(alpha=0.1).alpha
    0.1
    """

    def __init__(self, alpha=0.01, patterns=("backbone.*",)):
        self.alpha = alpha
        self.patterns = patterns

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.reference_ = {
            name: p.detach().clone()
            for name, p in net.module_.named_parameters()
            if _matches(name, self.patterns)
        }

    def on_grad_computed(self, net, named_parameters, X=None, y=None, training=False, **kwargs):
        if not self.alpha or not getattr(self, "reference_", None):
            return
        with torch.no_grad():
            for name, param in named_parameters:
                ref = self.reference_.get(name)
                if ref is not None and param.grad is not None:
                    param.grad.add_(param.detach() - ref.to(param.device), alpha=self.alpha)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        self.reference_ = None


def _probe_layer(head):
    """The head's final ``nn.Linear`` when the head is linear, else ``None``.

    A linear head is an ``nn.Linear``, or an ``nn.Sequential`` whose last layer
    is one and whose other layers are dropout or identity layers (no-ops in
    evaluation mode).
    """
    if isinstance(head, torch.nn.Linear):
        return head
    if not isinstance(head, torch.nn.Sequential) or not len(head):
        return None
    *rest, last = list(head)
    passive = (torch.nn.Dropout, torch.nn.Identity)
    if isinstance(last, torch.nn.Linear) and all(isinstance(m, passive) for m in rest):
        return last
    return None


def _head_features(module, batch):
    """What ``module.head`` receives for ``batch``, in the module's current mode."""
    if hasattr(module, "head_input"):
        return module.head_input(batch)
    if hasattr(module, "backbone") and hasattr(module, "preprocess"):
        return module.backbone.forward_features(module.preprocess(batch))
    captured = []
    hook = module.head.register_forward_pre_hook(lambda _, args: captured.append(args[0]))
    try:
        module(batch)
    finally:
        hook.remove()
    return captured[0]


def _rows(X):
    if isinstance(X, torch.Tensor):
        return X
    try:
        return torch.as_tensor(np.asarray(X, dtype=np.float32))
    except (TypeError, ValueError):
        return None


class LinearProbeInit(Callback):
    """LP-FT: initialise the linear head with a linear probe before fine-tuning.

    When training begins, the features the head receives are computed for
    the training rows (module in evaluation mode, no gradients, in batches),
    a :class:`~sklearn.linear_model.LogisticRegression` is fitted on them
    (standardised), and its coefficients, with the standardisation folded in,
    are copied into the head's last ``nn.Linear``. The network then starts
    from the probe's predictions, and fine-tuning does not distort the
    pretrained features with the large gradients of a random head (Kumar et
    al., 2022). The probe runs once per initialisation of the net: a
    ``partial_fit`` or a warm-started ``fit`` keeps the trained head.

    Parameters
    ----------
    C : float, default=1.0
        Inverse L2 strength of the logistic regression (on standardised
        features).
    max_iter : int, default=200
        Iterations of the logistic regression (a probe short of convergence
        is still a good start; the convergence warning is silenced).
    batch_size : int, default=256
        Rows per forward pass when computing the features.

    Notes
    -----
    The features are ``net.module_.head_input(X)`` when the module has that
    method, else ``net.module_.backbone.forward_features(
    net.module_.preprocess(X))``, else the input of ``net.module_.head``
    captured during a forward pass. The labels must be integers ``0 ..
    n_classes - 1``, which :class:`~skautoml.nets.NetClassifier` ensures.
    For two classes the probe's single logit ``w x + b`` becomes the rows
    ``-w / 2`` and ``+w / 2`` (biases ``-b / 2``, ``+b / 2``), whose softmax
    equals its sigmoid; a class missing from the training rows gets zero
    weights and a bias well below the others.

    The head is left untouched (with a warning) when it is not linear, e.g.
    the ``"mlp"`` head (``Linear, ReLU, Dropout, Linear``): the probe is a
    linear map and cannot initialise it. It is also left untouched when
    ``X`` is not an array or the rows hold a single class.

    Examples
    --------
    >>> LinearProbeInit(C=0.5).C
    0.5
    """

    def __init__(self, C=1.0, max_iter=200, batch_size=256):
        self.C = C
        self.max_iter = max_iter
        self.batch_size = batch_size

    def initialize(self):
        """Reset the callback so that the next training run fits the probe.

        Returns
        -------
        self : LinearProbeInit
        """
        self.applied_ = False
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        if getattr(self, "applied_", False) or X is None or y is None:
            return
        self.applied_ = True
        module = net.module_
        layer = _probe_layer(getattr(module, "head", None))
        if layer is None:
            warnings.warn(
                "LinearProbeInit: the head is not linear (e.g. an MLP head); "
                "it keeps its random initialisation",
                stacklevel=2,
            )
            return
        rows, labels = _rows(X), np.asarray(y).ravel()
        if labels.dtype.kind == "b":
            labels = labels.astype(np.int64)
        classes = np.unique(labels)
        if rows is None or labels.dtype.kind not in "iu":
            warnings.warn(
                "LinearProbeInit needs X as an array and integer labels; "
                "the head keeps its random initialisation",
                stacklevel=2,
            )
            return
        if len(classes) < 2:
            return
        n_out = layer.out_features
        if classes.min() < 0 or classes.max() >= n_out:
            raise ValueError(f"LinearProbeInit needs labels 0..{n_out - 1}; got {classes.tolist()}")
        features = self._features(net, rows)
        weight, bias = self._probe(features, labels, classes, n_out)
        with torch.no_grad():
            layer.weight.copy_(torch.as_tensor(weight, dtype=layer.weight.dtype))
            if layer.bias is not None:
                layer.bias.copy_(torch.as_tensor(bias, dtype=layer.bias.dtype))

    def _features(self, net, rows):
        module = net.module_
        training = module.training
        module.eval()
        out = []
        try:
            with torch.no_grad():
                for start in range(0, len(rows), int(self.batch_size)):
                    batch = rows[start : start + int(self.batch_size)].to(net.device)
                    out.append(_head_features(module, batch).flatten(1).double().cpu().numpy())
        finally:
            if training:
                module.train()
        return np.concatenate(out)

    def _probe(self, features, labels, classes, n_out):
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(features)
        lr = LogisticRegression(C=self.C, max_iter=int(self.max_iter))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            lr.fit(scaler.transform(features), labels)
        coef = lr.coef_ / scaler.scale_  # fold z = (x - mean) / scale into the map
        intercept = lr.intercept_ - coef @ scaler.mean_
        if len(classes) == 2:  # one logit -> two rows with the same softmax
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        weight = np.zeros((n_out, features.shape[1]))
        bias = np.full(n_out, intercept.min() - 10.0)
        weight[classes], bias[classes] = coef, intercept
        return weight, bias


def layerwise_param_groups(groups, lr: float, decay: float):
    """skorch ``optimizer__param_groups`` for layer-wise learning-rate decay.

    Parameters
    ----------
    groups : sequence of tuple of str
        Glob patterns of each group from the input to the head (the last group).
    lr : float
        Learning rate of the head.
    decay : float
        Factor per group going down: group ``i`` from the top gets
        ``lr * decay ** i``.

    Returns
    -------
    param_groups : list of (str, dict)
        ``(pattern, {"lr": value})`` pairs, plain data that pickles.

    Examples
    --------
    >>> layerwise_param_groups([("a.*",), ("head.*",)], lr=1.0, decay=0.5)
    [('head.*', {'lr': 1.0}), ('a.*', {'lr': 0.5})]
    """
    out = []
    for depth, patterns in enumerate(reversed(list(groups))):
        value = float(lr) * float(decay) ** depth
        out.extend((p, {"lr": value}) for p in patterns)
    return out


def strategy_callbacks(strategy: str, groups, *, k_blocks: int = 2, every: int = 1):
    """The callbacks of a fine-tuning strategy (see the module docstring).

    Parameters
    ----------
    strategy : {"linear_probe", "last_blocks", "all", "gradual", "bitfit", \
"first_blocks", "lp_ft"}
        ``"first_blocks"`` trains the first ``k_blocks`` backbone groups and
        the head (surgical fine-tuning); ``"lp_ft"`` freezes nothing and
        initialises the linear head with a linear probe
        (:class:`LinearProbeInit`).
    groups : sequence of tuple of str
        Parameter groups from the input to the head (the last group), as
        :meth:`ImageClassifier.block_groups` gives.
    k_blocks : int, default=2
        For ``"last_blocks"`` and ``"first_blocks"``: backbone groups that
        train (counted from the top, resp. from the input).
    every : int, default=1
        For ``"gradual"``: epochs per unfreezing step.

    Returns
    -------
    callbacks : list of (str, Callback)

    Raises
    ------
    ValueError
        If ``strategy`` is not one of :data:`STRATEGIES`.

    Examples
    --------
    >>> groups = [("backbone.0.*",), ("backbone.1.*",), ("head.*",)]
    >>> [(name, cb.patterns) for name, cb in strategy_callbacks("first_blocks", groups,
    ...                                                         k_blocks=1)]
    [('freeze', ('backbone.1.*',))]
    >>> strategy_callbacks("lp_ft", groups)  # doctest: +ELLIPSIS
    [('lp_init', <...LinearProbeInit object at ...>)]
    """
    backbone = [tuple(g) for g in list(groups)[:-1]]
    flat = tuple(p for g in backbone for p in g)
    if strategy == "all":
        return []
    if strategy == "linear_probe":
        return [("freeze", Freeze(flat))]
    if strategy == "last_blocks":
        keep = max(0, len(backbone) - int(k_blocks))
        return [("freeze", Freeze(tuple(p for g in backbone[:keep] for p in g)))]
    if strategy == "gradual":
        return [("unfreeze", GradualUnfreeze(tuple(backbone), every=every))]
    if strategy == "bitfit":
        return [("freeze", Freeze(flat, exclude=("*.bias",)))]
    if strategy == "first_blocks":
        start = max(0, int(k_blocks))
        return [("freeze", Freeze(tuple(p for g in backbone[start:] for p in g)))]
    if strategy == "lp_ft":
        return [("lp_init", LinearProbeInit())]
    raise ValueError(f"strategy must be one of {STRATEGIES}; got {strategy!r}")

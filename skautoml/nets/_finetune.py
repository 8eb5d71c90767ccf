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
``"all"``
    Everything trains.
``"gradual"``
    ULMFiT-style gradual unfreezing: the head first, then one more group from
    the top every ``every`` epochs.
``"bitfit"``
    Only the backbone's biases (and the head) train.
"""

from __future__ import annotations

import fnmatch

import torch
from skorch.callbacks import Callback

__all__ = [
    "STRATEGIES",
    "L2SP",
    "Freeze",
    "GradualUnfreeze",
    "layerwise_param_groups",
    "strategy_callbacks",
]

STRATEGIES = ("linear_probe", "last_blocks", "all", "gradual", "bitfit")


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
    strategy : {"linear_probe", "last_blocks", "all", "gradual", "bitfit"}
    groups : sequence of tuple of str
        Parameter groups from the input to the head (the last group), as
        :meth:`ImageClassifier.block_groups` gives.
    k_blocks : int, default=2
        For ``"last_blocks"``: backbone groups that train.
    every : int, default=1
        For ``"gradual"``: epochs per unfreezing step.

    Returns
    -------
    callbacks : list of (str, Callback)
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
    raise ValueError(f"strategy must be one of {STRATEGIES}; got {strategy!r}")

"""Training recipes shared by every network component (tabular and image).

Network factories differ in their module and in the defaults of their
signatures (which the portfolio reads); how a module becomes a
:class:`~skautoml.nets.NetClassifier` (optimizer, early stopping, validation
split) and how a pretrained one is fine-tuned (strategy, layer-wise decay,
L2-SP) is written once, here.

torch, skorch and the network classes are imported by these functions, when
a network is built (in the worker that trains it): importing the space, and
building a classical pipeline, imports none of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..nets import BACKBONES
from ._context import BuildContext
from ._dimensions import Categorical, Float

if TYPE_CHECKING:
    from ..nets import NetClassifier

__all__ = [
    "NET_TRAINING_RANGES",
    "custom_backbone",
    "finetune_classifier",
    "finetune_kwargs",
    "net_classifier",
    "net_regressor",
    "net_training_kwargs",
]

NET_TRAINING_RANGES = {
    "lr": Float(1e-4, 3e-2, log=True),
    "optimizer": Categorical(("adamw", "adam", "sgd")),
    "weight_decay": Float(1e-6, 1e-2, log=True),
    "batch_size": Categorical((32, 64, 128, 256)),
}

#: optimizer choice -> the ``torch.optim`` class name, looked up when a network is built
_OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD"}


def net_training_kwargs(
    ctx: BuildContext,
    *,
    lr: float,
    optimizer: str,
    weight_decay: float,
    batch_size: int,
    max_epochs: int,
    patience: int = 5,
) -> dict[str, Any]:
    """Keyword arguments shared by every network component (optimizer, early stopping).

    Parameters
    ----------
    ctx : BuildContext
    lr : float
    optimizer : {"adamw", "adam", "sgd"}
    weight_decay : float
    batch_size : int
    max_epochs : int
    patience : int, default=5
        Epochs without a better validation loss before early stopping.

    Returns
    -------
    kwargs : dict
        Skorch arguments of :class:`~skautoml.nets.NetClassifier`; the device
        is ``ctx.device`` resolved here (``"auto"`` to ``"cuda"`` or ``"cpu"``).
    """
    import torch
    from skorch.callbacks import EarlyStopping

    from ..nets import ClassAwareValidSplit, StopOnNaN, resolve_device

    kwargs: dict[str, Any] = {
        "lr": lr,
        "optimizer": getattr(torch.optim, _OPTIMIZERS[optimizer]),
        "optimizer__weight_decay": weight_decay,
        "batch_size": batch_size,
        "max_epochs": max_epochs,
        "train_split": ClassAwareValidSplit(0.15, stratified=True, random_state=ctx.seed),
        "callbacks": [
            ("stop_on_nan", StopOnNaN()),
            ("early_stopping", EarlyStopping(patience=patience, load_best=True)),
        ],
        "iterator_train__shuffle": True,
        "device": resolve_device(ctx.device),
        "verbose": 0,
        "random_state": ctx.seed,
    }
    if optimizer == "sgd":
        kwargs["optimizer__momentum"] = 0.9
        kwargs["optimizer__nesterov"] = True
    return kwargs


def _net(
    net_class,
    ctx: BuildContext,
    module,
    module_kwargs: Mapping[str, Any],
    *,
    lr: float,
    optimizer: str,
    weight_decay: float,
    batch_size: int,
    max_epochs: int,
    patience: int = 5,
    **extra,
):
    """``net_class`` of ``module`` with the shared training setup; ``extra``
    skorch arguments override it (``callbacks`` are appended)."""
    kwargs = net_training_kwargs(
        ctx,
        lr=lr,
        optimizer=optimizer,
        weight_decay=weight_decay,
        batch_size=batch_size,
        max_epochs=max_epochs,
        patience=patience,
    )
    kwargs["callbacks"] = kwargs["callbacks"] + list(extra.pop("callbacks", []))
    kwargs.update(extra)
    return net_class(module, **{f"module__{k}": v for k, v in module_kwargs.items()}, **kwargs)


def net_classifier(
    ctx: BuildContext, module, module_kwargs: Mapping[str, Any], **training
) -> NetClassifier:
    """A :class:`~skautoml.nets.NetClassifier` of ``module`` with the shared training setup.

    Parameters
    ----------
    ctx : BuildContext
    module : type
        The torch module class.
    module_kwargs : mapping
        Its arguments (passed as ``module__<name>``).
    **training
        ``lr``, ``optimizer``, ``weight_decay``, ``batch_size``,
        ``max_epochs`` and ``patience`` (default 5), as for
        :func:`net_training_kwargs`; any other skorch argument, where
        ``callbacks`` are appended to the shared ones.

    Returns
    -------
    net : NetClassifier
    """
    from ..nets import NetClassifier

    return _net(NetClassifier, ctx, module, module_kwargs, **training)


#: the regression networks' searched losses -> ``torch.nn`` class names
_LOSSES = {"mse": "MSELoss", "huber": "HuberLoss"}


def net_regressor(
    ctx: BuildContext, module, module_kwargs: Mapping[str, Any], *, loss: str, **training
):
    """A :class:`~skautoml.nets.NetRegressor` of ``module`` with the shared training setup.

    The same optimizer and early stopping as :func:`net_classifier`; the
    validation split is a plain shuffled one, and ``loss`` (``"mse"`` or
    ``"huber"``) picks the criterion.

    Parameters
    ----------
    ctx : BuildContext
    module : type
        The torch module class (its output width is set to 1).
    module_kwargs : mapping
        Its arguments (passed as ``module__<name>``).
    loss : {"mse", "huber"}
    **training
        As for :func:`net_classifier`.

    Returns
    -------
    net : NetRegressor
    """
    import torch
    from skorch.dataset import ValidSplit

    from ..nets import NetRegressor

    return _net(
        NetRegressor,
        ctx,
        module,
        module_kwargs,
        train_split=ValidSplit(0.15, stratified=False, random_state=ctx.seed),
        criterion=getattr(torch.nn, _LOSSES[loss]),
        **training,
    )


def finetune_kwargs(
    groups, *, strategy, k_blocks, l2sp, lr, lr_decay, label_smoothing, l2sp_patterns=None
) -> dict[str, Any]:
    """Skorch keyword arguments of a fine-tuning recipe.

    ``callbacks`` freeze or unfreeze the layer ``groups`` by ``strategy`` and
    add L2-SP toward the pretrained weights when ``l2sp > 0``; layer-wise
    learning-rate decay becomes optimizer parameter groups.

    Parameters
    ----------
    groups : list of tuple of str
        Parameter-group glob patterns, input to head.
    strategy : str
        One of :data:`skautoml.nets.STRATEGIES`.
    k_blocks : int
        Groups that train under ``"last_blocks"``.
    l2sp : float
        L2-SP strength; ``0`` adds none.
    lr : float
    lr_decay : float
        Learning-rate factor per group from the head down; ``1`` is none.
    label_smoothing : float
    l2sp_patterns : tuple of str or None, default=None
        Parameters L2-SP pulls back; ``None`` is the L2SP default.

    Returns
    -------
    kwargs : dict
    """
    from ..nets import L2SP, layerwise_param_groups, strategy_callbacks

    callbacks = strategy_callbacks(strategy, groups, k_blocks=k_blocks)
    if l2sp > 0:
        penalty = L2SP(alpha=l2sp) if l2sp_patterns is None else L2SP(l2sp, tuple(l2sp_patterns))
        callbacks.append(("l2sp", penalty))
    kwargs: dict[str, Any] = {
        "callbacks": callbacks,
        "criterion__label_smoothing": label_smoothing,
    }
    if lr_decay < 1.0:
        kwargs["optimizer__param_groups"] = layerwise_param_groups(groups, lr, lr_decay)
    return kwargs


def finetune_classifier(
    ctx: BuildContext,
    module,
    module_kwargs: Mapping[str, Any],
    groups,
    *,
    strategy: str,
    k_blocks: int,
    lr: float,
    lr_decay: float,
    l2sp: float,
    optimizer: str,
    weight_decay: float,
    label_smoothing: float,
    batch_size: int,
    max_epochs: int,
    l2sp_patterns=None,
) -> NetClassifier:
    """A pretrained network with a new head, fine-tuned by a searched recipe.

    The one body of every ``finetune_*`` factory (image and tabular); the
    factories keep their own signatures, whose defaults are the portfolio's.

    Parameters
    ----------
    ctx : BuildContext
    module : type
        The torch module class.
    module_kwargs : mapping
        Its arguments (passed as ``module__<name>``), the new head's included.
    groups : list of tuple of str
        Parameter-group glob patterns of the module, input to head.
    strategy, k_blocks, lr_decay, l2sp, label_smoothing, l2sp_patterns
        The fine-tuning recipe, as for :func:`finetune_kwargs`.
    lr, optimizer, weight_decay, batch_size, max_epochs
        As for :func:`net_training_kwargs`.

    Returns
    -------
    net : NetClassifier
    """
    extra = finetune_kwargs(
        groups,
        strategy=strategy,
        k_blocks=k_blocks,
        l2sp=l2sp,
        l2sp_patterns=l2sp_patterns,
        lr=lr,
        lr_decay=lr_decay,
        label_smoothing=label_smoothing,
    )
    return net_classifier(
        ctx,
        module,
        module_kwargs,
        lr=lr,
        optimizer=optimizer,
        weight_decay=weight_decay,
        batch_size=batch_size,
        max_epochs=max_epochs,
        **extra,
    )


def custom_backbone(ctx: BuildContext, error: str):
    """The first backbone of ``ctx`` that is not a registered name.

    Parameters
    ----------
    ctx : BuildContext
    error : str
        The message of the ``ValueError`` raised when there is none.

    Returns
    -------
    backbone : object
        A module, path or spec the user supplied.
    """
    for backbone in ctx.backbones:
        if not (isinstance(backbone, str) and backbone in BACKBONES):
            return backbone
    raise ValueError(error)

"""Image networks with a regression head: what the regressor searches on images.

``small_cnn_regressor`` trains the small CNN from scratch with one output
(:class:`~skautoml.nets.NetRegressor`, MSE or Huber loss). Every pretrained
backbone of the zoo gets ``probe_<name>_regressor``: its frozen features
(cached across trials, as for the classifier's probes), standardised, under
a ridge head whose penalty is chosen by efficient leave-one-out
(:class:`~sklearn.linear_model.RidgeCV`: a backbone gives hundreds of
features, often more than the rows, so the penalty matters most); a user's
pretrained backbone gets ``probe_custom_regressor``.
Fine-tuning a pretrained backbone for regression is not offered yet.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ..nets import BACKBONES
from ._components import COMPONENTS, Component, register
from ._context import BuildContext
from ._dimensions import Categorical
from ._image_components import _PROBE_RESOLUTIONS, _Zoo, small_cnn_module, small_data_schedule
from ._regressors import LOSS, without
from ._training import net_regressor

__all__ = ["image_regressors"]

_IMAGE = frozenset({"image"})


def _small_cnn_regressor(
    ctx,
    width=32,
    depth=2,
    dropout=0.2,
    resolution=0,
    augment="none",
    loss="mse",
    lr=1e-3,
    optimizer="adamw",
    weight_decay=1e-4,
    batch_size=64,
    max_epochs=40,
):
    from ..nets import ImageClassifier, PreciseBatchNorm  # torch: only when a network is built

    batch_size, max_epochs, patience = small_data_schedule(ctx.n_samples, batch_size, max_epochs)
    return net_regressor(
        ctx,
        ImageClassifier,  # with one output: NetRegressor sets n_classes=1
        small_cnn_module(ctx, width, depth, dropout, resolution, augment),
        loss=loss,
        lr=lr,
        optimizer=optimizer,
        weight_decay=weight_decay,
        batch_size=batch_size,
        max_epochs=max_epochs,
        patience=patience,
        callbacks=[("precise_bn", PreciseBatchNorm())],
    )


#: the ridge penalties the probe's head chooses from (leave-one-out)
PROBE_ALPHAS = tuple(np.logspace(-2, 5, 15).round(4).tolist())


def probe_regressor(ctx, backbone, resolution=0):
    """Frozen backbone features, standardised, under a ridge head.

    Parameters
    ----------
    ctx : BuildContext
    backbone : str or object
        A registered backbone name, or the user's pretrained backbone.
    resolution : int, default=0
        Input resolution; ``0`` is the data's own.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
    """
    from ..nets import BackboneFeatures, resolve_device

    features = BackboneFeatures(
        backbone,
        tuple(ctx.image_shape),
        resolution=resolution or None,
        device=resolve_device(ctx.device),
        cache_dir=ctx.cache_dir,
    )
    head = RidgeCV(alphas=PROBE_ALPHAS)
    return Pipeline([("features", features), ("scale", StandardScaler()), ("head", head)])


register(
    Component(
        "small_cnn_regressor",
        "regressor",
        _small_cnn_regressor,
        # the classifier's small CNN ranges, with a searched loss for label smoothing
        {**without(COMPONENTS["small_cnn"].hyperparams, "label_smoothing"), "loss": LOSS},
        kinds=_IMAGE,
        cost=3.0,
        is_net=True,
    )
)


def _probe_component(name: str, resolutions: tuple) -> Component:
    return Component(
        f"probe_{name}_regressor",
        "regressor",
        _Zoo(probe_regressor, name, BACKBONES.get(name)),
        {"resolution": Categorical(resolutions)},
        kinds=_IMAGE,
        cost=4.0,
        is_net=True,
    )


for _name, _spec in list(BACKBONES.items()):  # the library's pretrained zoo
    if _spec.pretrained:
        register(_probe_component(_name, _PROBE_RESOLUTIONS if _spec.resolution else (0,)))
register(_probe_component("custom", (0,)))


def image_regressors(ctx: BuildContext) -> tuple[str, ...]:
    """The image network regressors for the context's backbones.

    Parameters
    ----------
    ctx : BuildContext
        ``ctx.backbones``: registered names and at most one custom backbone
        (``small_cnn`` when empty).

    Returns
    -------
    names : tuple of str
        ``small_cnn_regressor`` when the small CNN is among the backbones,
        and the probe of every pretrained one that has a regression probe.
    """
    names = []
    for backbone in ctx.backbones or ("small_cnn",):
        if backbone == "small_cnn":
            names.append("small_cnn_regressor")
        elif isinstance(backbone, str) and f"probe_{backbone}_regressor" in COMPONENTS:
            names.append(f"probe_{backbone}_regressor")
        elif not isinstance(backbone, str) and getattr(backbone, "pretrained", True):
            names.append("probe_custom_regressor")
    return tuple(dict.fromkeys(names))

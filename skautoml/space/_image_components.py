"""Image components: networks on image rows.

Image data reach the pipeline as canonical rows (``float32``, ``(n, C*H*W)``,
pixels in ``[0, 1]``, see :mod:`skautoml.data._images`), so classical
components (logistic regression, SVC, k-NN) read them as pixel features, and
networks reshape them to images inside the module.

The backbone is the component: each registered backbone (see
:func:`skautoml.nets.register_backbone`) has a ``finetune_<name>`` component
(searched strategy, resolution, learning rate with layer-wise decay, L2-SP,
head, label smoothing, augmentation...) and, when its weights are pretrained,
a ``probe_<name>`` component (frozen backbone, cached features, a trained
head). :func:`backbone_components` makes them from the backbone's spec: here
for the backbones registered with the library, when a space is built for the
others. A user-supplied backbone (a module, class, checkpoint path or
``torchvision:``/``timm:`` name, carried by ``BuildContext.backbones``) uses
``probe_custom`` and ``finetune_custom``. ``small_cnn`` trains the small CNN
from scratch.

The registry is read without torch; the factories import torch and the
network classes when they build a network.
"""

from __future__ import annotations

import math

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ..nets import BACKBONES, BackboneSpec, register_backbone
from ..nets import resolve_backbones as resolve_backbones  # moved to nets; old path kept
from ._components import COMPONENTS, Component, register
from ._context import BuildContext
from ._dimensions import Categorical, Float, Integer
from ._training import NET_TRAINING_RANGES, custom_backbone, finetune_classifier, net_classifier

__all__ = ["backbone_components", "resolve_backbones", "small_cnn_module", "small_data_schedule"]

_IMAGE = frozenset({"image"})


def _custom(ctx: BuildContext):
    return custom_backbone(ctx, "no custom backbone was given (pass backbone=<module or path>)")


# -- factories -------------------------------------------------------------------
#: a network trained from scratch takes at least this many optimizer steps
#: (early stopping still ends it sooner): on 100 MNIST digits, 18 epochs of
#: 2 batches left the small CNN at 0.115 accuracy, 45 epochs of 6 at 0.77
MIN_STEPS = 600


def small_data_schedule(n_rows: int, batch_size: int, max_epochs: int) -> tuple[int, int, int]:
    """``(batch_size, max_epochs, patience)`` for training from scratch on ``n_rows``.

    Small data gets smaller batches (at least 8 per epoch), enough epochs for
    :data:`MIN_STEPS` optimizer steps, and an early-stopping patience of at
    least 60 steps; from about 2,000 rows the searched values stand.

    Parameters
    ----------
    n_rows : int
        Rows the network trains on (before its validation split).
    batch_size, max_epochs : int
        The searched values.

    Returns
    -------
    schedule : tuple of int

    Examples
    --------
    >>> small_data_schedule(100, 64, 18)
    (16, 100, 10)
    >>> small_data_schedule(5000, 64, 18)
    (64, 18, 5)
    """
    n_train = max(1, int(n_rows * 0.85))  # the network's own validation split
    cap = 1 << max(3, (n_train // 8).bit_length() - 1)  # a power of two, >= 8
    batch_size = max(8, min(batch_size, max(16, cap)))
    steps = max(1, math.ceil(n_train / batch_size))
    max_epochs = min(200, max(max_epochs, math.ceil(MIN_STEPS / steps)))
    patience = max(5, min(20, math.ceil(60 / steps)))
    return batch_size, max_epochs, patience


def small_cnn_module(ctx, width, depth, dropout, resolution, augment) -> dict:
    """The arguments of the small CNN's :class:`~skautoml.nets.ImageClassifier` module."""
    return {
        "image_shape": tuple(ctx.image_shape),
        "backbone": "small_cnn",
        "backbone_params": {"width": width, "depth": depth},
        "resolution": resolution or None,
        "head_dropout": dropout,
        "augment": augment,
    }


def _small_cnn(
    ctx,
    width=32,
    depth=2,
    dropout=0.2,
    resolution=0,
    augment="none",
    label_smoothing=0.0,
    lr=1e-3,
    optimizer="adamw",
    weight_decay=1e-4,
    batch_size=64,
    max_epochs=40,
):
    from ..nets import ImageClassifier, PreciseBatchNorm  # torch: only when a network is built

    batch_size, max_epochs, patience = small_data_schedule(ctx.n_samples, batch_size, max_epochs)
    return net_classifier(
        ctx,
        ImageClassifier,
        small_cnn_module(ctx, width, depth, dropout, resolution, augment),
        lr=lr,
        optimizer=optimizer,
        weight_decay=weight_decay,
        batch_size=batch_size,
        max_epochs=max_epochs,
        patience=patience,
        criterion__label_smoothing=label_smoothing,
        callbacks=[("precise_bn", PreciseBatchNorm())],
    )


def _probe(ctx, backbone, resolution, head, C, lr, weight_decay, dropout, max_epochs):
    from ..nets import BackboneFeatures, FeatureHead, resolve_device

    features = BackboneFeatures(
        backbone,
        tuple(ctx.image_shape),
        resolution=resolution or None,
        device=resolve_device(ctx.device),
        cache_dir=ctx.cache_dir,
    )
    if head == "logistic":
        clf = LogisticRegression(C=C, max_iter=300, random_state=ctx.seed)
    else:
        clf = net_classifier(
            ctx,
            FeatureHead,
            {"head": "linear" if head == "linear" else "mlp", "dropout": dropout},
            lr=lr,
            optimizer="adamw",
            weight_decay=weight_decay,
            batch_size=64,
            max_epochs=max_epochs,
            patience=8,
        )
    return Pipeline([("features", features), ("scale", StandardScaler()), ("head", clf)])


def _finetune(
    ctx,
    backbone,
    resolution=64,
    strategy="all",
    k_blocks=2,
    lr=1e-3,
    lr_decay=0.8,
    l2sp=0.0,
    optimizer="adamw",
    weight_decay=1e-4,
    head="linear",
    head_dropout=0.1,
    label_smoothing=0.0,
    batch_size=32,
    max_epochs=10,
    augment="none",
):
    from ..nets import ImageClassifier, image_block_groups

    return finetune_classifier(
        ctx,
        ImageClassifier,
        {
            "image_shape": tuple(ctx.image_shape),
            "backbone": backbone,
            "resolution": resolution or None,
            "head": head,
            "head_dropout": head_dropout,
            "augment": augment,
        },
        image_block_groups(backbone, ctx.image_shape),
        strategy=strategy,
        k_blocks=k_blocks,
        lr=lr,
        lr_decay=lr_decay,
        l2sp=l2sp,
        optimizer=optimizer,
        weight_decay=weight_decay,
        label_smoothing=label_smoothing,
        batch_size=batch_size,
        max_epochs=max_epochs,
    )


class _Zoo:
    """A picklable factory bound to one backbone name (or the context's custom one).

    It carries the backbone's spec too: a worker process that has not seen
    the user's ``register_backbone`` call registers it before building.
    """

    def __init__(self, factory, backbone, spec=None):
        self.factory = factory
        self.backbone = backbone
        self.spec = spec

    def __call__(self, ctx, **params):
        if self.backbone == "custom":
            return self.factory(ctx, backbone=_custom(ctx), **params)
        if self.spec is not None and self.backbone not in BACKBONES:
            register_backbone(self.spec)
        return self.factory(ctx, backbone=self.backbone, **params)

    def __reduce__(self):
        return (_Zoo, (self.factory, self.backbone, self.spec))


_AUGMENT = Categorical(("none", "crop", "flip_crop", "shift"))
_PROBE_RANGES = {
    "head": Categorical(("logistic", "linear", "mlp")),
    "C": Float(1e-3, 10.0, log=True),
    "lr": Float(1e-4, 1e-2, log=True),
    "weight_decay": Float(1e-6, 1e-2, log=True),
    "dropout": Float(0.0, 0.5),
    "max_epochs": Integer(20, 100, log=True),
}
_FINETUNE_RANGES = {
    **NET_TRAINING_RANGES,
    # "lp_ft" (skautoml.nets.LinearProbeInit) is not searched: on the portfolio's
    # development sets it lost to a plain fine-tune at every size (see
    # benchmarks/results/image_portfolio.md); "first_blocks" won on MNIST 10/class
    "strategy": Categorical(
        ("all", "last_blocks", "gradual", "bitfit", "linear_probe", "first_blocks")
    ),
    "k_blocks": Integer(1, 6),
    "lr": Float(1e-4, 1e-2, log=True),
    "lr_decay": Float(0.5, 1.0),
    "l2sp": Categorical((0.0, 1e-3, 1e-2, 1e-1)),
    "head": Categorical(("linear", "mlp")),
    "head_dropout": Float(0.0, 0.5),
    "label_smoothing": Categorical((0.0, 0.1)),
    "batch_size": Categorical((16, 32, 64)),
    "max_epochs": Integer(3, 15),
    "augment": _AUGMENT,
}
#: resolutions searched for backbones with a native size (the others: ``0``, the data's)
_PROBE_RESOLUTIONS = (32, 64, 96, 128)
_FINETUNE_RESOLUTIONS = (64, 48, 96)

register(
    Component(
        "small_cnn",
        "classifier",
        _small_cnn,
        {
            **NET_TRAINING_RANGES,
            "width": Categorical((16, 32, 64)),
            "depth": Integer(1, 3),
            "dropout": Float(0.0, 0.5),
            "resolution": Categorical((0, 16, 32)),
            "augment": _AUGMENT,
            "label_smoothing": Categorical((0.0, 0.1)),
            "max_epochs": Integer(8, 40, log=True),
        },
        kinds=_IMAGE,
        cost=3.0,
        is_net=True,
    )
)


# -- the components of registered backbones ---------------------------------------
def _backbone_component(
    kind: str, name: str, spec: BackboneSpec | None, resolutions: tuple
) -> Component:
    """``probe_<name>`` or ``finetune_<name>``: a registered backbone's component."""
    factory, ranges, cost = {
        "probe": (_probe, _PROBE_RANGES, 4.0),
        "finetune": (_finetune, _FINETUNE_RANGES, 8.0),
    }[kind]
    return Component(
        f"{kind}_{name}",
        "classifier",
        _Zoo(factory, name, spec),
        {**ranges, "resolution": Categorical(resolutions)},
        kinds=_IMAGE,
        cost=cost,
        is_net=True,
    )


def backbone_components(name: str) -> tuple[str, ...]:
    """The network components of a registered backbone, registered if missing.

    A backbone with an image network component of its own name
    (``small_cnn``) is searched through it. Any other gets
    ``finetune_<name>``, and ``probe_<name>`` when its spec says its weights
    are pretrained; both are made from the spec (searching resolutions when
    it has a native one) the first time they are asked for, and again when
    the backbone was registered anew.

    Parameters
    ----------
    name : str
        A name in :data:`skautoml.nets.BACKBONES`.

    Returns
    -------
    names : tuple of str
        Component names, in the order the presets list them.

    Examples
    --------
    >>> backbone_components("efficientnet_lite0")
    ('probe_efficientnet_lite0', 'finetune_efficientnet_lite0')
    >>> backbone_components("small_cnn")
    ('small_cnn',)
    """
    spec = BACKBONES[name]
    own = COMPONENTS.get(name)
    if own is not None and own.is_net and "image" in own.kinds:
        return (name,)
    native = spec.resolution is not None
    makers = [("finetune", _FINETUNE_RESOLUTIONS if native else (0,))]
    if spec.pretrained:
        makers.insert(0, ("probe", _PROBE_RESOLUTIONS if native else (0,)))
    names = []
    for kind, resolutions in makers:
        component = _backbone_component(kind, name, spec, resolutions)
        current = COMPONENTS.get(component.name)
        stale = isinstance(getattr(current, "factory", None), _Zoo) and (
            current.factory.spec is not spec
        )
        if current is None or stale:  # a user's own component of that name is kept
            register(component)
        names.append(component.name)
    return tuple(names)


for _name in list(BACKBONES):  # the library's own zoo; later registrations on demand
    backbone_components(_name)
register(_backbone_component("probe", "custom", None, (0,)))
register(_backbone_component("finetune", "custom", None, (0,)))

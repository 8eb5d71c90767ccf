"""What training an image network candidate means, for the search's cost model.

A floor above :mod:`._image_components`, :mod:`._image_regressors` and
:mod:`._space`: it reads a
step's component and parameters (with the factory's defaults) and says which
backbone trains at which resolution for how many epochs. The cost model of
:mod:`skautoml.evaluation` turns that into seconds with throughput measured
on this machine (:func:`skautoml.nets.image_step_seconds`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..nets import BACKBONES
from ._components import COMPONENTS
from ._context import BuildContext
from ._image_components import _probe, _small_cnn, _Zoo, small_data_schedule
from ._image_regressors import _small_cnn_regressor, probe_regressor
from ._space import factory_defaults

__all__ = ["NetWorkload", "network_workload"]


@dataclass(frozen=True)
class NetWorkload:
    """What training an image network component means, for the cost model.

    Attributes
    ----------
    kind : {"small_cnn", "probe", "finetune"}
    backbone : str
        A registered backbone name.
    resolution : int or None
        Input resolution (``None``: the backbone's default).
    backbone_params : tuple of (str, object)
        Loader arguments, sorted.
    epochs : int
        The most epochs it may train (early stopping may end it sooner).
    mode : {"train", "features"}
        ``"train"``: forward, backward and update over the rows every epoch;
        ``"features"``: one forward pass of the frozen backbone (the probe),
        then a cheap head.
    """

    kind: str
    backbone: str
    resolution: int | None
    backbone_params: tuple
    epochs: int
    mode: str


def network_workload(step, ctx: BuildContext) -> NetWorkload | None:
    """The training workload of an image network step, or ``None``.

    ``None`` for classical components, tabular networks and a user's own
    backbone, whose cost the model does not predict.

    Parameters
    ----------
    step : Step
        A step of a candidate.
    ctx : BuildContext

    Returns
    -------
    workload : NetWorkload or None
    """
    component = COMPONENTS.get(step.name)
    if component is None or not component.is_net or "image" not in component.kinds:
        return None
    params = {**factory_defaults(component), **dict(step.params)}
    if component.factory in (_small_cnn, _small_cnn_regressor):
        _, epochs, _ = small_data_schedule(
            ctx.n_samples, int(params["batch_size"]), int(params["max_epochs"])
        )
        return NetWorkload(
            "small_cnn",
            "small_cnn",
            int(params["resolution"]) or None,
            (("depth", int(params["depth"])), ("width", int(params["width"]))),
            epochs,
            "train",
        )
    zoo = component.factory
    if not isinstance(zoo, _Zoo) or zoo.backbone not in BACKBONES:
        return None
    probe = zoo.factory in (_probe, probe_regressor)
    return NetWorkload(
        "probe" if probe else "finetune",
        zoo.backbone,
        int(params.get("resolution") or 0) or None,
        (),
        1 if probe else int(params["max_epochs"]),
        "features" if probe else "train",
    )

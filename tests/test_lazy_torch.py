"""torch and skorch load only when a network is built.

``import skautoml``, making a search space, and building, fitting and
scoring a classical pipeline (what a classical trial does in its worker)
import neither; building a network component does. The checks run in a
fresh interpreter: this test session has imported torch already (conftest).
"""

import json
import subprocess
import sys
import textwrap

import pytest

import skautoml.nets
from skautoml.exceptions import TrialPruned


def _run(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON object last."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


_CLASSICAL_THEN_NET = """
    import json
    import sys

    import numpy as np
    from sklearn.datasets import make_classification
    from sklearn.metrics import get_scorer
    from sklearn.model_selection import StratifiedKFold

    import skautoml
    from skautoml.evaluation import EvalData, evaluate_candidate
    from skautoml.space import COMPONENTS, BuildContext, build_pipeline, make_space

    def loaded():
        return {name: name in sys.modules for name in ("torch", "skorch")}

    out = {"import": loaded()}
    X, y = make_classification(n_samples=90, n_features=5, n_informative=3, random_state=0)
    ctx = BuildContext(n_samples=90, n_features=5, n_classes=2, seed=0, device="auto")
    space = make_space(None, ctx)
    portfolio = space.portfolio()
    sampled = [space.sample(np.random.default_rng(seed)) for seed in range(20)]
    out["space"] = loaded()

    classical = [
        c for c in portfolio if not any(COMPONENTS[s.name].is_net for s in c.steps)
    ]
    pipe = build_pipeline(classical[0], ctx).fit(X, y)
    out["accuracy"] = float(pipe.score(X, y))
    splits = list(StratifiedKFold(3).split(X, y))
    data = EvalData(X, y, splits, get_scorer("accuracy"), ctx)
    trial = evaluate_candidate(classical[1], data, fidelity=0.5, prune_curve=(0.5,) * 5)
    out["trial_status"] = trial.status.value
    out["classical"] = loaded()

    net = next(c for c in portfolio if c.final.name == "tabular_net")
    net_pipe = build_pipeline(net, ctx)
    out["net_device"] = net_pipe.steps[-1][1].device
    out["net"] = loaded()
    print(json.dumps(out))
"""


def test_classical_work_imports_no_torch_and_a_network_does():
    out = _run(_CLASSICAL_THEN_NET)
    no_torch = {"torch": False, "skorch": False}
    assert out["import"] == no_torch
    assert out["space"] == no_torch
    assert out["classical"] == no_torch
    assert out["accuracy"] > 0.5
    assert out["trial_status"] == "ok"
    # the laziness is real: building a network loads torch, and resolves "auto"
    assert out["net"] == {"torch": True, "skorch": True}
    assert out["net_device"] in ("cpu", "cuda")


def test_the_registry_and_the_space_of_images_need_no_torch():
    out = _run(
        """
        import json
        import sys

        from skautoml.nets import BACKBONES, backbone_available, resolve_backbones
        from skautoml.space import BuildContext, make_space

        ctx = BuildContext(
            n_samples=40, n_features=64, n_classes=2, kind="image", image_shape=(1, 8, 8),
            backbones=resolve_backbones("auto", "cpu"),
        )
        space = make_space(None, ctx)
        print(json.dumps({
            "names": sorted(BACKBONES),
            "auto": BACKBONES["efficientnet_lite0"].auto,
            "options": list(space.slots[-1].options),
            "torch": "torch" in sys.modules,
        }))
        """
    )
    assert "efficientnet_lite0" in out["names"] and "small_cnn" in out["names"]
    assert out["auto"] == "always"
    assert "small_cnn" in out["options"]
    assert out["torch"] is False


def test_every_public_name_of_nets_loads_and_is_listed():
    lazy = skautoml.nets._LAZY
    assert set(skautoml.nets.__all__) == set(lazy)
    assert set(skautoml.nets.__all__) <= set(dir(skautoml.nets))
    for name in skautoml.nets.__all__:
        value = getattr(skautoml.nets, name)
        assert value is getattr(sys.modules["skautoml.nets" + lazy[name]], name)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        skautoml.nets.nothing  # noqa: B018


def test_trial_pruned_has_one_class_under_its_old_path_too():
    from skautoml.evaluation._fidelity import TrialPruned as old_path

    assert old_path is TrialPruned

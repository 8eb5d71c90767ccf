"""Safe loading of state dict files (skautoml.nets._checkpoint)."""

import pathlib
import pickle

import pytest
import torch
from torch import nn

from skautoml.nets._checkpoint import load_checkpoint, read_state_dict


class _Payload:
    """Unpickling this creates ``marker``: a stand-in for arbitrary code execution."""

    def __init__(self, marker):
        self.marker = pathlib.Path(marker)

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def _net():
    return nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))


def test_round_trip_gives_identical_outputs(tmp_path):
    torch.manual_seed(0)
    source, target = _net().eval(), _net().eval()
    path = tmp_path / "w.pt"
    torch.save(source.state_dict(), path)
    assert load_checkpoint(target, path) is target
    x = torch.randn(5, 4)
    assert torch.equal(source(x), target(x))


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        load_checkpoint(_net(), tmp_path / "nope.pt")


@pytest.mark.parametrize(
    "obj, match",
    [
        ([1, 2, 3], "holds a list, expected a state dict"),
        ({"weight": [1.0, 2.0]}, "'weight'.* not tensors"),
        ({"model": {"0.weight": torch.zeros(1)}, "epoch": 3}, "training checkpoint"),
    ],
)
def test_non_state_dict_is_refused(tmp_path, obj, match):
    path = tmp_path / "bad.pt"
    torch.save(obj, path)
    with pytest.raises(ValueError, match=match) as info:
        load_checkpoint(_net(), path)
    assert "bad.pt" in str(info.value)


def test_file_that_is_not_a_torch_file_is_refused(tmp_path):
    path = tmp_path / "garbage.pt"
    path.write_bytes(b"this is not a checkpoint at all" * 10)
    with pytest.raises(ValueError, match="garbage.pt"):
        read_state_dict(path)


@pytest.mark.parametrize("writer", ["torch.save", "pickle.dump"])
def test_malicious_pickle_is_refused_and_does_not_run(tmp_path, writer):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    if writer == "torch.save":
        torch.save({"weight": _Payload(marker)}, path)
    else:
        with open(path, "wb") as f:
            pickle.dump(_Payload(marker), f, protocol=2)

    # The payload is live: a plain unpickler would run it.
    control = tmp_path / "control"
    pickle.loads(pickle.dumps(_Payload(control)))
    assert control.exists()

    with pytest.raises(ValueError, match="not a plain state dict") as info:
        load_checkpoint(_net(), path)
    assert "not loaded" in str(info.value)
    assert "evil.pt" in str(info.value)
    assert not marker.exists()


def test_key_mismatch_lists_missing_and_unexpected_keys(tmp_path):
    path = tmp_path / "other.pt"
    torch.save(nn.Sequential(nn.Linear(4, 3)).state_dict(), path)
    state = torch.load(path, weights_only=True)
    state["extra.weight"] = torch.zeros(1)
    torch.save(state, path)
    with pytest.raises(ValueError) as info:
        load_checkpoint(_net(), path)
    message = str(info.value)
    assert "other.pt" in message
    assert "missing keys" in message and "'2.weight'" in message
    assert "unexpected keys" in message and "'extra.weight'" in message


def test_shape_mismatch_is_listed(tmp_path):
    path = tmp_path / "wide.pt"
    wide = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.Linear(5, 2))
    torch.save(wide.state_dict(), path)
    with pytest.raises(ValueError, match=r"shape mismatches.*'0\.weight: file \(5, 4\)"):
        load_checkpoint(_net(), path, strict=False)


def test_non_strict_loads_the_matching_part(tmp_path):
    torch.manual_seed(0)
    source = nn.Sequential(nn.Linear(4, 3))
    path = tmp_path / "part.pt"
    torch.save(source.state_dict(), path)
    target = _net()
    load_checkpoint(target, path, strict=False)
    assert torch.equal(target[0].weight, source[0].weight)

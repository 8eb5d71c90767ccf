"""SmallCNN: shapes, training, checkpoints (skautoml.nets._small_cnn)."""

import fnmatch

import pytest
import torch
import torch.nn.functional as F

from skautoml.nets._checkpoint import load_checkpoint
from skautoml.nets._small_cnn import SmallCNN


@pytest.mark.parametrize(
    "channels, size, width, depth",
    [(1, 8, 32, 2), (3, 32, 32, 2), (3, 64, 16, 3), (1, 8, 8, 4)],
)
def test_shapes(channels, size, width, depth):
    net = SmallCNN(in_channels=channels, num_classes=5, width=width, depth=depth).eval()
    x = torch.randn(3, channels, size, size)
    assert net.feature_dim == width * 2 ** (depth - 1)
    assert net.forward_features(x).shape == (3, net.feature_dim)
    assert net(x).shape == (3, 5)


def _toy_problem(channels, size, n=32):
    """Class 1 images are brighter in the left half; both have noise."""
    g = torch.Generator().manual_seed(0)
    y = torch.arange(n) % 2
    x = torch.randn(n, channels, size, size, generator=g) * 0.5
    x[y == 1, :, :, : size // 2] += 1.0
    return x, y


@pytest.mark.parametrize("channels, size", [(1, 8), (3, 32)])
def test_loss_decreases(channels, size):
    torch.manual_seed(0)
    x, y = _toy_problem(channels, size)
    net = SmallCNN(in_channels=channels, num_classes=2, width=8)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    net.train()
    losses = []
    for _ in range(15):
        optimizer.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    net.eval()
    with torch.no_grad():
        assert (net(x).argmax(1) == y).float().mean() >= 0.9


def test_checkpoint_round_trip_gives_identical_outputs(tmp_path):
    torch.manual_seed(0)
    net = SmallCNN(in_channels=3, num_classes=4, width=8)
    # Move the BN running statistics away from their defaults.
    net.train()
    net(torch.randn(8, 3, 16, 16))
    path = tmp_path / "small_cnn.pt"
    torch.save(net.state_dict(), path)
    clone = load_checkpoint(SmallCNN(in_channels=3, num_classes=4, width=8), path)
    net.eval()
    clone.eval()
    x = torch.randn(2, 3, 16, 16)
    assert torch.equal(net(x), clone(x))


def test_checkpoint_of_another_shape_is_refused(tmp_path):
    path = tmp_path / "grey.pt"
    torch.save(SmallCNN(in_channels=1, width=8).state_dict(), path)
    with pytest.raises(ValueError, match="shape mismatches.*blocks.0.conv1.weight"):
        load_checkpoint(SmallCNN(in_channels=3, width=8), path)


def test_block_groups_cover_every_parameter_once_in_order():
    net = SmallCNN(depth=3)
    groups = net.block_groups()
    assert [g[0] for g in groups] == [
        ("blocks.0.*",),
        ("blocks.1.*",),
        ("blocks.2.*",),
        ("head.*",),
    ]
    for name, param in net.named_parameters():
        owners = [
            i for i, (globs, _) in enumerate(groups) if any(fnmatch.fnmatch(name, p) for p in globs)
        ]
        assert len(owners) == 1, name
        group_params = {id(p) for m in groups[owners[0]][1] for p in m.parameters()}
        assert id(param) in group_params


def test_depth_must_be_positive():
    with pytest.raises(ValueError, match="depth"):
        SmallCNN(depth=0)

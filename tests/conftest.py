"""Shared fixtures: a fixed seed for every test, small data."""

import random

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification


@pytest.fixture(autouse=True)
def _seed():
    """Tests may use the global generators; give them a fixed start."""
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    yield


@pytest.fixture
def small_data():
    X, y = make_classification(
        n_samples=120, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return X, y

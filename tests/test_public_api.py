"""The names re-exported from the package resolve to the documented objects."""

from __future__ import annotations

import subprocess
import sys

import pytest

import segmentation


@pytest.mark.parametrize("name", segmentation.__all__)
def test_every_exported_name_resolves(name):
    assert getattr(segmentation, name) is not None


def test_classify_is_the_function_after_submodule_import():
    import segmentation.classification  # noqa: F401

    assert callable(segmentation.classify)
    assert segmentation.classify.__module__ == "segmentation.classification"


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match=r"has no attribute 'clasify'"):
        segmentation.clasify  # noqa: B018


def test_import_does_not_load_scikit_learn():
    code = "import sys, segmentation; print('sklearn' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "False"

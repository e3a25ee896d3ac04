"""Shared pytest set-up for the package tests."""

import logging

import pytest

# The notebooks under data/notebooks are inputs of the runner tests (one of them raises
# on purpose), not notebooks for nbval to check when pytest runs with --nbval.
collect_ignore_glob = ["data/notebooks/*.ipynb"]


@pytest.fixture(autouse=True)
def _restore_package_log_level():
    """Undo the level that an in-process ``cli.main(["--quiet", ...])`` sets on the package logger."""
    logger = logging.getLogger("segmentation")
    level = logger.level
    yield
    logger.setLevel(level)

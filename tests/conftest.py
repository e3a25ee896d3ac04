"""Shared pytest set-up for the package tests."""

# The notebooks under data/notebooks are inputs of the runner tests (one of them raises
# on purpose), not notebooks for nbval to check when pytest runs with --nbval.
collect_ignore_glob = ["data/notebooks/*.ipynb"]

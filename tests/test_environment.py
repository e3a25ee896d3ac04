"""environment.yml and pyproject.toml must name the same packages with the same ranges."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    entries = project["dependencies"] + project["optional-dependencies"]["test"]
    requirements = [Requirement(entry) for entry in entries]
    return {req.name.lower(): str(req.specifier) for req in requirements}


def _conda_requirements() -> dict[str, str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text("utf-8"))
    specs = {}
    for entry in environment["dependencies"]:
        items = entry["pip"] if isinstance(entry, dict) else [entry]
        for item in items:
            if item.startswith("-e") or item in ("pip",) or item.startswith("python"):
                continue
            requirement = Requirement(item)
            specs[requirement.name.lower()] = str(requirement.specifier)
    return specs


def test_same_packages_in_both_files():
    assert sorted(_conda_requirements()) == sorted(_pyproject_requirements())


def test_same_version_ranges_in_both_files():
    conda, pyproject = _conda_requirements(), _pyproject_requirements()
    mismatched = {name: (conda[name], pyproject[name]) for name in pyproject if conda.get(name) != pyproject[name]}
    assert mismatched == {}


def test_python_floor_matches():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text("utf-8"))
    conda_python = next(item for item in environment["dependencies"] if isinstance(item, str) and item.startswith("python"))
    assert conda_python == "python" + project["requires-python"]

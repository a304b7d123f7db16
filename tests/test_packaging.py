"""The three places that pin dependencies agree: pyproject.toml, requirements.lock and
environment.yml. A pin changed in one place only would make conda and pip users build
different books."""

from __future__ import annotations

import re
import tomllib

from kuailive_analysis.config import project_root

ROOT = project_root()


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lines) -> dict[str, str]:
    out = {}
    for line in lines:
        line = line.split("#", 1)[0].strip().lstrip("- ").strip()
        if "==" in line:
            name, version = line.split("==", 1)
            out[_norm(name)] = version.strip().strip('",')
    return out


def test_every_direct_dependency_is_pinned_exactly_and_locked():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = list(project["dependencies"]) + list(project["optional-dependencies"]["dev"])
    assert all("==" in d for d in direct), "pin exact versions"
    lock = _pins((ROOT / "requirements.lock").read_text().splitlines())
    for name, version in _pins(direct).items():
        assert lock.get(name) == version, f"{name}: pyproject {version}, lock {lock.get(name)}"


def test_environment_yml_lists_the_same_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct = _pins(list(project["dependencies"]) + list(project["optional-dependencies"]["dev"]))
    env = _pins((ROOT / "environment.yml").read_text().splitlines())
    assert env == direct

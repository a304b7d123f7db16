"""The code is linted and formatted with ruff (configuration in pyproject.toml), so the test
command, and therefore CI, fails on a lint finding or an unformatted file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["kuailive_analysis", "tests", "benchmarks", "book/chapters"]


def _ruff() -> list[str]:
    exe = Path(sys.executable).with_name("ruff")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("ruff")
    if found is None:
        pytest.fail("ruff is not installed: run the README's set-up (make test installs it)")
    return [found]


@pytest.mark.parametrize("args", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff(args):
    res = subprocess.run(_ruff() + args + TARGETS, cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, f"ruff {' '.join(args)} found problems:\n{res.stdout}{res.stderr}"

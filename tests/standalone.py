"""A wheel of this repository installed into a fresh virtual environment, as a user would
get it: `pip wheel --no-deps`, `python -m venv`, `pip install` of the wheel, with the
dependencies from whatever index pip is configured with. Session-scoped and shared: any test
that must run the installed command outside this repository asks for `standalone`
(conftest.py makes it known to every test). It has no extras, as `pip install broadsheet` gives.

When pip cannot build or install here (no index reachable, a sandbox without network),
the tests that need it are skipped with pip's own last words, never passed in silence.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PIP_TIMEOUT = 900  # seconds: a cold install fetches some thirty packages


@dataclass(frozen=True)
class Standalone:
    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / ("Scripts" if os.name == "nt" else "bin")

    def env(self) -> dict[str, str]:
        """The environment a user's shell would have with the venv activated: its bin first
        on PATH, and nothing of this repository on PYTHONPATH."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        return env


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=PIP_TIMEOUT)


def _skip_unless_ok(step: str, result: subprocess.CompletedProcess[str]) -> None:
    if result.returncode != 0:
        said = (result.stderr or result.stdout).strip().splitlines()[-3:]
        pytest.skip(f"{step} failed here, so the installed-wheel tests cannot run: {' / '.join(said)}")


@pytest.fixture(scope="session")
def standalone(tmp_path_factory) -> Standalone:
    root = tmp_path_factory.mktemp("standalone")
    wheels, venv = root / "wheels", root / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], root)
    assert made.returncode == 0, made.stderr  # the standard library's own: no network involved
    python = Standalone(venv).bin / "python"  # its own pip: a venv made by uv (make test-lowest) has none
    built = _run([str(python), "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(wheels), str(REPO)], root)
    _skip_unless_ok("pip wheel --no-deps", built)
    wheel = next(wheels.glob("broadsheet-*.whl"))
    installed = _run([str(python), "-m", "pip", "install", str(wheel)], root)
    _skip_unless_ok("pip install of the wheel", installed)
    return Standalone(venv)

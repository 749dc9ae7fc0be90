"""A wheel of this repository installed into a fresh virtual environment, as a user would
get it: `pip wheel --no-deps`, `python -m venv`, `pip install` of the wheel, with the
dependencies from whatever index pip is configured with. Session-scoped and shared: any test
that must run the installed command outside this repository asks for `standalone`
(conftest.py makes it known to every test), and the workers of a parallel run (`make test`)
share one. It has no extras, as `pip install broadsheet` gives.

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


def _why(step: str, result: subprocess.CompletedProcess[str]) -> str:
    said = (result.stderr or result.stdout).strip().splitlines()[-3:]
    return f"{step} failed here, so the installed-wheel tests cannot run: {' / '.join(said)}"


@pytest.fixture(scope="session")
def standalone(tmp_path_factory) -> Standalone:
    if os.environ.get("PYTEST_XDIST_WORKER") is None:  # one process runs the suite
        made = _installed(tmp_path_factory.mktemp("standalone"))
    else:
        made = _shared(tmp_path_factory.getbasetemp().parent / "standalone")
    if isinstance(made, str):
        pytest.skip(made)
    return made


def _shared(root: Path) -> Standalone | str:
    """Under pytest-xdist (`make test`), the run's workers share one install: the first to
    ask makes it, under a lock in the folder they all have (a venv and a wheel cost half a
    minute), and the others wait and take it, or the same reason to skip."""
    import fcntl  # the lock: the suite runs spread over processes only where `make test` does, on POSIX

    root.mkdir(exist_ok=True)
    outcome = root / "outcome"  # empty: installed; else why it could not be
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not outcome.exists():
            made = _installed(root)
            outcome.write_text(made if isinstance(made, str) else "")
        said = outcome.read_text()
    return said or Standalone(root / "venv")


def _installed(root: Path) -> Standalone | str:
    """The wheel installed into a fresh venv under root, or why pip could not do it here."""
    wheels, venv = root / "wheels", root / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], root)
    assert made.returncode == 0, made.stderr  # the standard library's own: no network involved
    python = Standalone(venv).bin / "python"  # its own pip: a venv made by uv (make test-lowest) has none
    built = _run([str(python), "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(wheels), str(REPO)], root)
    if built.returncode != 0:
        return _why("pip wheel --no-deps", built)
    wheel = next(wheels.glob("broadsheet-*.whl"))
    installed = _run([str(python), "-m", "pip", "install", str(wheel)], root)
    if installed.returncode != 0:
        return _why("pip install of the wheel", installed)
    return Standalone(venv)

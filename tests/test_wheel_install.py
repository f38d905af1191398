"""The built wheel is complete: installed alone in a new venv, `plaudit` migrates and verifies."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("rewards", "storage", "bot", "api", "scheduler", "plaudit")
MIGRATIONS = ROOT / "storage" / "schema" / "migrations" / "versions"

# Slow (it builds and installs), yet part of the default run: nothing deselects this marker.
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Installed:
    """The wheel that was built and the fresh environment it was installed into."""

    wheel: Path
    bin: Path
    outside: Path


def run(args: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command, failing the test with its output if it exits non-zero."""
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, f"{' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return result


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that would put the repository or its settings in play."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DATABASE_URL")
        and not k.startswith("PLAUDIT_")
    }
    return {**env, **extra}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build the wheel from the working tree and install it (not editable) into a new virtual environment."""
    work = tmp_path_factory.mktemp("wheel")
    dist, outside = work / "dist", work / "outside"
    outside.mkdir()
    # setuptools otherwise builds into ROOT/build, which keeps stale modules between builds.
    build_cfg = work / "build.cfg"
    build_cfg.write_text(f"[build]\nbuild_base = {work / 'build'}\n")
    env = clean_env(DIST_EXTRA_CONFIG=str(build_cfg))
    # Offline: the build uses this environment's setuptools instead of fetching one.
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
    run([*build, "-q", "-w", str(dist), "."], ROOT, env)
    (wheel,) = dist.glob("plaudit-*.whl")
    venv.EnvBuilder(with_pip=True).create(work / "venv")
    bin_dir = work / "venv" / "bin"
    # The dependencies come from this environment's site-packages, appended after the new venv's
    # own (a path named in a .pth file is not a site dir: this environment's editable install of
    # the repository stays inactive there), so the test needs no package index.
    site = run(
        [str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], outside
    )
    ours = sysconfig.get_path("purelib")
    (Path(site.stdout.strip()) / "dependencies.pth").write_text(ours + "\n")
    install = [str(bin_dir / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)]
    run(install, outside, env)
    return Installed(wheel, bin_dir, outside)


def wheel_names(wheel: Path) -> set[str]:
    """Every file name inside the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_carries_every_migration(installed: Installed) -> None:
    migrations = sorted(p.relative_to(ROOT).as_posix() for p in MIGRATIONS.glob("*.py"))
    assert migrations, "no migration files found"
    assert set(migrations) <= wheel_names(installed.wheel)


def test_the_wheel_carries_every_module_of_the_rooms(installed: Installed) -> None:
    modules = {p.relative_to(ROOT).as_posix() for room in ROOMS for p in (ROOT / room).rglob("*.py")}
    assert sorted(modules - wheel_names(installed.wheel)) == []


def test_the_installed_command_migrates_and_verifies_a_new_sqlite_database(installed: Installed) -> None:
    plaudit, cwd = str(installed.bin / "plaudit"), installed.outside
    where = run(
        [str(installed.bin / "python"), "-c", "import plaudit; print(plaudit.__file__)"], cwd, clean_env()
    )
    assert Path(where.stdout.strip()).is_relative_to(installed.bin.parent), where.stdout
    assert "usage: plaudit" in run([plaudit, "--help"], cwd, clean_env()).stdout
    encryption_key = run([plaudit, "keys", "generate", "--id", "k1"], cwd, clean_env()).stdout.strip()
    blind_index_key = run([plaudit, "keys", "generate"], cwd, clean_env()).stdout.strip()
    env = clean_env(
        DATABASE_URL=f"sqlite:///{cwd / 'fresh.db'}",
        PLAUDIT_ENCRYPTION_KEYS=encryption_key,
        PLAUDIT_BLIND_INDEX_KEY=blind_index_key,
    )
    assert "up to date" in run([plaudit, "db", "upgrade"], cwd, env).stdout
    assert "schema is current" in run([plaudit, "db", "status"], cwd, env).stdout
    assert "all invariants hold" in run([plaudit, "ledger", "verify"], cwd, env).stdout

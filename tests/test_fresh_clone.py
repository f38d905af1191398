"""The repository stands on its own: a fresh clone validates, and nothing points outside it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def git(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run git with the given arguments; the caller judges the exit code."""
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_a_fresh_clone_validates_the_manifest_with_nothing_beside_it(tmp_path: Path) -> None:
    clone = tmp_path / "plaudit"
    cloned = git("clone", "--quiet", str(ROOT), str(clone), cwd=tmp_path)
    assert cloned.returncode == 0, cloned.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plaudit"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "scripts/validate_manifest.py"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_nothing_tracked_references_folders_outside_the_repository() -> None:
    # The folders beside a checkout, spelled so that this file does not name them itself.
    outside = [".." + "/" + name for name in ("shared", ".library")]
    found = git("grep", "-n", "-F", "-e", outside[0], "-e", outside[1], "--", ".")
    assert found.returncode == 1, f"references outside the repository:\n{found.stdout}{found.stderr}"

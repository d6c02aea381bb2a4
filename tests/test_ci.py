"""CI never goes green without a browser: .ci/run stops when Chromium cannot be installed or
started, and under CI=true the browser test fails (not skips) when Chromium is missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def fake_bin(folder: Path, tools: dict[str, str]) -> Path:
    """A PATH folder with bash, dirname and timeout, plus the given ``name: shell body`` tools."""
    folder.mkdir()
    for name in ("bash", "dirname", "timeout"):
        os.symlink(shutil.which(name), folder / name)
    for name, body in tools.items():
        (folder / name).write_text(f"#!{shutil.which('bash')}\n{body}\n")
        (folder / name).chmod(0o755)
    return folder


def ci_run(tmp_path: Path, chromium: str, tools: dict[str, str]) -> subprocess.CompletedProcess:
    env = {"PATH": str(fake_bin(tmp_path / "bin", tools)), "QA_CHROMIUM": chromium, "HOME": str(tmp_path)}
    return subprocess.run(["/usr/bin/env", "bash", str(ROOT / ".ci" / "run")], env=env, capture_output=True,
                          text=True, timeout=120)


def test_ci_fails_when_chromium_is_missing_and_apt_get_is_not_there(tmp_path):
    proc = ci_run(tmp_path, str(tmp_path / "no-chromium"), {"make": "echo MAKE-RAN"})
    assert proc.returncode == 1 and "apt-get is not available" in proc.stderr
    assert "MAKE-RAN" not in proc.stdout


def test_ci_fails_when_installing_chromium_fails(tmp_path):
    proc = ci_run(tmp_path, str(tmp_path / "no-chromium"), {"apt-get": "exit 100", "make": "echo MAKE-RAN"})
    assert proc.returncode == 1 and "could not install chromium" in proc.stderr
    assert "MAKE-RAN" not in proc.stdout


def test_ci_fails_when_chromium_does_not_start(tmp_path):
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    proc = ci_run(tmp_path, str(broken), {"make": "echo MAKE-RAN"})
    assert proc.returncode == 1 and "does not start headless" in proc.stderr
    assert "MAKE-RAN" not in proc.stdout


def test_ci_runs_the_tests_with_ci_set_when_chromium_starts(tmp_path):
    working = tmp_path / "chromium"
    working.write_text("#!/bin/sh\necho '<html></html>'\n")
    working.chmod(0o755)
    proc = ci_run(tmp_path, str(working), {"make": 'echo "MAKE-RAN $1 CI=$CI"'})
    assert proc.returncode == 0 and "MAKE-RAN test CI=true" in proc.stdout


@pytest.mark.parametrize("ci, outcome", [("true", "error"), ("", "skipped")])  # an error fails the run
def test_browser_test_fails_on_ci_and_skips_elsewhere_without_chromium(tmp_path, ci, outcome):
    env = dict(os.environ, CI=ci, QA_CHROMIUM=str(tmp_path / "no-chromium"))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_browser.py"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    counts = dict((word.rstrip("s"), int(n)) for n, word in re.findall(r"(\d+) (passed|failed|errors?|skipped)", proc.stdout))
    assert set(counts) == {outcome} and counts[outcome] >= 1, proc.stdout[-3000:]   # every browser test, none ran
    if ci:
        assert proc.returncode == 1 and ".ci/run must install it" in proc.stdout
    else:
        assert proc.returncode == 0

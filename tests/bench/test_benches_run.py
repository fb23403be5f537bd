"""Each benchmark's --quick mode runs to the end: the scripts keep working as the bot changes.

No figure is asserted (a shared machine makes timings noise); each script's own checks are:
the fake Bot API refusing no call, every reminder sent exactly once, every member listed.
Deselect with `-m "not bench"`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.databases import postgres_base_url

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.bench


def run_quick(script: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_footprint_reports_start_up_and_memory():
    output = run_quick("footprint.py", "--quick")
    assert "start-up to polling" in output and "after /export" in output


def test_throughput_reports_both_bots_on_sqlite_with_where_their_cpu_went():
    output = run_quick("throughput.py", "--quick", "--profile")
    assert "echo" in output and "SQL statements" in output and "paced p95" in output
    # py-spy sampled both processes (bench/profile.py): the bot's CPU is named by library.
    assert "echo: where its CPU went" in output
    assert "bot: where its CPU went" in output and "SQLAlchemy" in output


def test_scale_runs_every_part_on_postgresql():
    output = run_quick("scale.py", "--quick", "--database-url", postgres_base_url())
    assert "digests of 20 teams" in output
    assert "every person exactly once: True" in output
    assert "each once: True" in output


def test_instances_share_postgresql_losing_nothing():
    output = run_quick("instances.py", "--quick", "--database-url", postgres_base_url())
    assert output.count("equal: True") == 3  # 1, 2 and 3 instances
    assert "False" not in output

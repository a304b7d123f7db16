"""Ctrl-C stops a long DuckDB statement within a second (issue 21): DuckDB alone notices a
signal only between its pipeline tasks (tens of seconds on a large aggregate), so the engine
runs statements from the main thread in a worker and interrupts the connection."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

SCRIPT = r"""
import signal, sys, time
from kuailive_analysis.engine.duckdb_engine import DuckDBEngine

def interrupt(signum, frame):
    raise KeyboardInterrupt

signal.signal(signal.SIGINT, interrupt)  # as the kuailive command does
e = DuckDBEngine()
print("running", flush=True)
try:
    e.execute("CREATE TABLE x AS SELECT sum(a.range * b.range) FROM range(400000) a, range(400000) b")
except KeyboardInterrupt:
    e.close()
    print("interrupted", flush=True)
    sys.exit(130)
print("finished", flush=True)
"""


def test_a_long_statement_stops_within_a_second_of_ctrl_c(tmp_path):
    env = {**os.environ, "KUAILIVE_BUILD_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout.readline().strip() == "running"
    time.sleep(1.5)  # the aggregate takes minutes
    proc.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    out, _ = proc.communicate(timeout=60)
    waited = time.monotonic() - t0
    assert proc.returncode == 130 and "interrupted" in out, (proc.returncode, out)
    assert waited < 5, f"stopped {waited:.1f} s after the signal"

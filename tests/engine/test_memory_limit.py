"""The engine's memory limit inside a block (chapter 5 lowers DuckDB's while pandas holds its
tables): set inside, the engine's own limit back after, also when the block raises."""

from __future__ import annotations

import pytest

from kuailive_analysis.engine.duckdb_engine import DuckDBEngine


def _limit(eng) -> str:
    return eng.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def test_memory_limit_inside_a_block_and_back_after(tmp_path):
    eng = DuckDBEngine(memory_limit="3GB", temp_dir=tmp_path)
    own = _limit(eng)
    with eng.memory_limit("512MB"):
        inside = _limit(eng)
    assert inside != own and inside.startswith(("488", "512"))  # MiB or MB as DuckDB shows it
    assert _limit(eng) == own
    with pytest.raises(RuntimeError), eng.memory_limit("256MB"):
        raise RuntimeError("a failing step")
    assert _limit(eng) == own

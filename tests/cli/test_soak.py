"""`powertrack up` runs for a quarter of an hour without its memory growing.

The embedded broker keeps every record it is sent; topic generations bound
what it holds (docs/pipeline.md). benchmarks/soak.py runs `powertrack up
--rate 200`, samples both processes' resident memory every 20 s and opens a
new stream each time; its figures (memory, time to first tweet) are the
benchmark's, the test checks that memory stops growing and that every new
stream is served. The broker fills up to its retention (5 minutes by
default, reached after about 6), so its growth is taken over the last 8
minutes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

SOAK = Path(__file__).resolve().parents[2] / "benchmarks" / "soak.py"
MINUTES = 15
GROWTH_MB_PER_MIN = 5.0


@pytest.mark.slow
def test_up_keeps_its_memory_flat_and_serves_every_new_stream() -> None:
    done = subprocess.run(
        [sys.executable, str(SOAK), "--minutes", str(MINUTES), "--every", "20", "--window", "8"],
        capture_output=True,
        text=True,
        timeout=MINUTES * 60 + 600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = orjson.loads(done.stdout)
    growth = result["growth_mb_per_min_last_window"]
    assert growth["powertrack"] < GROWTH_MB_PER_MIN, result["samples"]
    assert growth["broker"] < GROWTH_MB_PER_MIN, result["samples"]
    firsts = result["first_tweet_s"]
    assert firsts["streams"] >= MINUTES * 2
    assert firsts["without_tweet"] == 0, result["samples"]

"""Run ``powertrack up --rate R`` for a while and watch it: prints one JSON document.

Every ``--every`` seconds it samples the resident memory of the powertrack
process and of the embedded broker (its child), and opens a new stream on the
demo account to time its first tweet. At the end it reports, per process, the
memory at each sample and its growth over the last ``--window`` minutes
(least-squares slope, MB/min), and the times to first tweet.

    python benchmarks/soak.py --minutes 15            # the issue's figure
    python benchmarks/soak.py --minutes 3 --every 10  # a quick look

The embedded broker writes topics in generations of
``POWERTRACK_EMBEDDED_GENERATION_SECONDS`` (60 by default) and keeps
``POWERTRACK_EMBEDDED_GENERATIONS_KEPT`` (6); set the first to 0 to see the
broker without retention.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

TARGET_GROWTH_MB_PER_MIN = 5.0
TARGET_FIRST_TWEET_S = 1.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rss_mb(pid: int) -> float | None:
    """Resident memory of process ``pid`` in MB, ``None`` once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    """The child processes of ``pid``."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of ``(x, y)`` points (0 for fewer than two)."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return 0.0 if var == 0 else sum((x - mx) * (y - my) for x, y in points) / var


def read_banner(process: subprocess.Popen[str], timeout: float = 90.0) -> dict[str, str]:
    """The banner's values, once ``powertrack up`` has printed them."""
    assert process.stdout is not None
    values: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise RuntimeError(f"powertrack up exited with {process.returncode}")
            continue
        key, _, value = line.strip().partition(": ")
        values[key] = value
        if key == "bearer token":
            return values
    raise RuntimeError("powertrack up printed no banner")


def first_tweet_s(url: str, token: str, timeout: float) -> float | None:
    """Seconds from asking for a stream until its first tweet; ``None`` if none came."""
    started = time.monotonic()
    try:
        with httpx.stream(
            "GET", url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        ) as response:
            if response.status_code != 200:
                return None
            for line in response.iter_lines():
                if line.strip():
                    return time.monotonic() - started
                if time.monotonic() - started > timeout:
                    return None
    except httpx.HTTPError:
        return None
    return None


def soak(minutes: float, every: float, rate: float, window: float) -> dict[str, Any]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k.startswith("POWERTRACK_EMBEDDED_")}
    env |= {k: v for k, v in os.environ.items() if not k.startswith("POWERTRACK_")}
    env |= {"POWERTRACK_API_PORT": str(port), "POWERTRACK_LOG_LEVEL": "WARNING"}
    with tempfile.TemporaryDirectory() as cwd, (Path(cwd) / "up.log").open("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "powertrack", "up", "--rate", str(rate)],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            banner = read_banner(process)
            token = banner["bearer token"]
            url = f"http://127.0.0.1:{port}/2/tweets/search/stream"
            broker = next(iter(children(process.pid)), None)
            started = time.monotonic()
            samples: list[dict[str, Any]] = []
            while time.monotonic() - started < minutes * 60:
                first = first_tweet_s(url, token, timeout=30.0)
                samples.append(
                    {
                        "minute": round((time.monotonic() - started) / 60, 2),
                        "powertrack_mb": rss_mb(process.pid),
                        "broker_mb": None if broker is None else rss_mb(broker),
                        "first_tweet_s": None if first is None else round(first, 3),
                    }
                )
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(
                        f"powertrack up exited with {process.returncode}:\n{log.read()[-4000:]}"
                    )
                time.sleep(max(0.0, every - (first or 0.0)))
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
    end = samples[-1]["minute"] if samples else 0.0
    recent = [s for s in samples if s["minute"] >= end - window]
    growth = {
        name: round(
            slope([(s["minute"], s[f"{name}_mb"]) for s in recent if s[f"{name}_mb"] is not None]),
            2,
        )
        for name in ("powertrack", "broker")
    }
    firsts = [s["first_tweet_s"] for s in samples]
    answered = sorted(f for f in firsts if f is not None)
    return {
        "rate": rate,
        "minutes": minutes,
        "generation_seconds": int(os.environ.get("POWERTRACK_EMBEDDED_GENERATION_SECONDS", "60")),
        "growth_mb_per_min_last_window": growth,
        "window_minutes": window,
        "memory_mb_first_last": {
            name: [samples[0][f"{name}_mb"], samples[-1][f"{name}_mb"]] if samples else None
            for name in ("powertrack", "broker")
        },
        "first_tweet_s": {
            "streams": len(firsts),
            "without_tweet": len(firsts) - len(answered),
            "max": answered[-1] if answered else None,
            "p50": answered[len(answered) // 2] if answered else None,
        },
        "target_growth_mb_per_min": TARGET_GROWTH_MB_PER_MIN,
        "target_first_tweet_s": TARGET_FIRST_TWEET_S,
        "target_met": all(g < TARGET_GROWTH_MB_PER_MIN for g in growth.values())
        and bool(answered)
        and len(answered) == len(firsts)
        and answered[-1] < TARGET_FIRST_TWEET_S,
        "samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--every", type=float, default=20.0, help="seconds between samples")
    parser.add_argument("--rate", type=float, default=200.0, help="tweets/s")
    parser.add_argument("--window", type=float, default=10.0, help="minutes the growth is over")
    args = parser.parse_args()
    result = soak(args.minutes, args.every, args.rate, min(args.window, args.minutes))
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()

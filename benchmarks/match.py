"""Benchmark the predicate index: prints one JSON document of figures.

For each rule count, profile and implementation (the compiled index, and the
pure-Python one as the previous design's baseline) it reports tweets/s on one
core from raw JSON bytes to matched ids (``match_json``), also as a ratio to
the ``orjson.loads`` floor measured interleaved with it (chunk by chunk, so both
see the same machine), candidates per tweet, p50/p99 per-tweet latency, bytes
per rule, parse and index build time, load time from compiled rule codes, the time
from a single rule's add until a match sees it, the brute-force
evaluator's tweets/s on a sample, and the JSON-parse-only floor measured in
the same run.

    python benchmarks/match.py                      # 1k, 10k, 100k, 1M rules
    python benchmarks/match.py --sizes 1000 10000   # a quicker run
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import generate_rules, is_tweet, load_corpus_tweets, percentile, vocabulary

from powertrack import Tweet, parse_rule
from powertrack.index.index import CRuleIndex, PyRuleIndex
from powertrack.rules import codec
from powertrack.rules.rule import Rule

# Memory is traced on at most this many rules of each run: tracing slows
# parsing down, and the cost per rule is flat beyond a few thousand rules.
_MEMORY_SAMPLE = 50_000
# Tweets per chunk of the timed pass, which alternates the floor and the matcher.
_CHUNK = 500


def bytes_per_rule(make: Callable[[], Any], codes: list[bytes]) -> int:
    """Bytes allocated per rule to index ``codes`` (the codes themselves not counted)."""
    gc.collect()
    tracemalloc.start()
    index = make()
    index.add_many(enumerate(codes))
    gc.collect()
    allocated = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del index
    return round(allocated / len(codes))


def _percentile(sorted_values: list[float], fraction: float) -> float:
    return percentile(sorted_values, fraction) or 0.0


def parse_floor(raw_tweets: list[bytes]) -> float:
    """Tweets/s of orjson.loads alone: the floor any matcher pays."""
    started = time.perf_counter()
    for raw in raw_tweets:
        orjson.loads(raw)
    return len(raw_tweets) / (time.perf_counter() - started)


def tweet_floor(raw_tweets: list[bytes]) -> float:
    """Tweets/s of JSON bytes to the normalized Tweet view, without matching."""
    started = time.perf_counter()
    for raw in raw_tweets:
        Tweet.from_json(raw)
    return len(raw_tweets) / (time.perf_counter() - started)


def _implementation(name: str) -> Callable[[], Any]:
    if name == "python":
        return PyRuleIndex
    if CRuleIndex is None:
        raise SystemExit("the compiled index is not built: pip install . (or -e .) first")
    return CRuleIndex  # type: ignore[no-any-return]


def measure(
    size: int,
    profile: str,
    implementation: str,
    vocab: list[str],
    raw_tweets: list[bytes],
    brute_sample: int,
) -> dict[str, Any]:
    """Build an index of ``size`` rules and measure it against the tweets."""
    make = _implementation(implementation)
    texts = generate_rules(size, profile, seed=size, vocab=vocab)  # type: ignore[arg-type]
    clock = time.perf_counter
    started = clock()
    rules = [parse_rule(text) for text in texts]
    parse_seconds = clock() - started
    # What the rule store could keep beside each rule's text: its compiled
    # form, read back without the grammar.
    codes = [codec.encode(rule.root) for rule in rules]

    index = make()
    started = clock()
    index.add_many(enumerate(rules))
    build_seconds = clock() - started
    del index
    index = make()
    started = clock()
    index.add_many(enumerate(codes))
    load_codes_seconds = clock() - started
    brute_rules: list[Rule] = rules
    del rules

    # Warm up: the first pass over the stream also teaches the index which
    # keys are common (maintain() is the writer's step that learns and re-posts).
    for number, raw in enumerate(raw_tweets):
        index.match_json(raw)
        if number % 256 == 0:
            index.maintain()
    while index.maintain():
        pass

    # The floor is measured interleaved with the matching, chunk by chunk, so
    # that both see the same machine: on a shared one the speed of either
    # moves by a third within a minute.
    latencies: list[float] = []
    matches = 0
    elapsed = floor_elapsed = 0.0
    for chunk in range(0, len(raw_tweets), _CHUNK):
        tweets = raw_tweets[chunk : chunk + _CHUNK]
        started = clock()
        for raw in tweets:
            orjson.loads(raw)
        floor_elapsed += clock() - started
        started = clock()
        for raw in tweets:
            begin = clock()
            matches += len(index.match_json(raw))
            latencies.append(clock() - begin)
        elapsed += clock() - started
    latencies.sort()
    run_floor = len(raw_tweets) / floor_elapsed

    sample = [Tweet.from_json(raw) for raw in raw_tweets[:2000]]
    candidates = statistics.fmean(index.candidates(tweet) for tweet in sample)

    brute_tweets = raw_tweets[:brute_sample]
    started = clock()
    for raw in brute_tweets:
        tweet = Tweet.from_json(raw)
        [rule for rule in brute_rules if rule.matches(tweet)]
    brute_tps = len(brute_tweets) / (clock() - started)
    del brute_rules

    # A rule's add until a match sees it: from its text (parse included) and
    # from a parsed rule (what RuleSync pays once the text is parsed).
    extra = generate_rules(400, profile, seed=size + 1, vocab=vocab)  # type: ignore[arg-type]
    probe = raw_tweets[0]
    add_times: list[float] = []
    visible_times: list[float] = []
    for offset, text in enumerate(extra):
        begin = clock()
        index.add(("added", offset), text)
        index.match_json(probe)
        add_times.append(clock() - begin)
        parsed = parse_rule(text)
        begin = clock()
        index.add(("parsed", offset), parsed)
        index.match_json(probe)
        visible_times.append(clock() - begin)
    add_times.sort()
    visible_times.sort()

    tps = len(raw_tweets) / elapsed
    stats = index.stats()
    return {
        "rules": size,
        "profile": profile,
        "implementation": implementation,
        "tweets_per_second": round(tps),
        "ratio_to_json_parse_floor": round(tps / run_floor, 3),
        "json_parse_floor_tweets_per_second": round(run_floor),
        "matches_per_tweet": round(matches / len(raw_tweets), 3),
        "candidates_per_tweet": round(candidates, 2),
        "latency_p50_us": round(_percentile(latencies, 0.5) * 1e6, 1),
        "latency_p99_us": round(_percentile(latencies, 0.99) * 1e6, 1),
        "bytes_per_rule": bytes_per_rule(make, codes[:_MEMORY_SAMPLE]),
        "bytes_per_rule_sample": min(size, _MEMORY_SAMPLE),
        "parse_seconds": round(parse_seconds, 3),
        "index_build_seconds": round(build_seconds, 3),
        "parse_and_build_seconds": round(parse_seconds + build_seconds, 3),
        "load_from_codes_seconds": round(load_codes_seconds, 3),
        "add_text_until_visible_p50_us": round(_percentile(add_times, 0.5) * 1e6, 1),
        "add_text_until_visible_p99_us": round(_percentile(add_times, 0.99) * 1e6, 1),
        "add_parsed_until_visible_p50_us": round(_percentile(visible_times, 0.5) * 1e6, 1),
        "add_parsed_until_visible_p99_us": round(_percentile(visible_times, 0.99) * 1e6, 1),
        "brute_force_tweets_per_second": round(brute_tps, 2),
        "brute_force_sample_tweets": len(brute_tweets),
        "speedup_over_brute_force": round(tps / brute_tps, 1),
        "unindexed_rules": stats.unindexed_rules,
        "index_keys": stats.keys,
    }


def main() -> None:
    """Run the benchmark and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--profiles", nargs="+", default=["realistic", "broad"])
    parser.add_argument("--tweets", type=int, default=None, help="corpus tweets to use")
    parser.add_argument(
        "--broad-max", type=int, default=10_000, help="largest size run for the broad profile"
    )
    parser.add_argument(
        "--implementations", nargs="+", default=["compiled", "python"], help="compiled, python"
    )
    parser.add_argument(
        "--python-max",
        type=int,
        default=100_000,
        help="largest size run for the pure-Python index (the previous design, as a baseline)",
    )
    args = parser.parse_args()

    loaded, source = load_corpus_tweets(args.tweets)
    raw_tweets = [raw for raw in loaded if is_tweet(raw)]
    vocab = vocabulary(raw_tweets)
    floor = parse_floor(raw_tweets)
    view_floor = tweet_floor(raw_tweets)
    runs = []
    for profile in args.profiles:
        for size in args.sizes:
            if profile == "broad" and size > args.broad_max:
                continue
            brute_sample = max(3, min(500, 20_000_000 // (size * 20)))
            for implementation in args.implementations:
                if implementation == "python" and size > args.python_max:
                    continue
                run = measure(size, profile, implementation, vocab, raw_tweets, brute_sample)
                runs.append(run)
                print(orjson.dumps(run).decode(), file=sys.stderr)
    # Each compiled run against the pure-Python run of the same size and profile.
    baselines = {(r["rules"], r["profile"]): r for r in runs if r["implementation"] == "python"}
    for run in runs:
        baseline = baselines.get((run["rules"], run["profile"]))
        if run["implementation"] == "compiled" and baseline is not None:
            run["speedup_over_python_index"] = round(
                run["tweets_per_second"] / baseline["tweets_per_second"], 2
            )
    report = {
        "benchmark": "match",
        "tweets": len(raw_tweets),
        "non_tweet_lines_skipped": len(loaded) - len(raw_tweets),
        "tweet_source": source,
        "python": sys.version.split()[0],
        "json_parse_only_tweets_per_second": round(floor),
        "json_to_tweet_view_tweets_per_second": round(view_floor),
        "runs": runs,
    }
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()

"""RuleSync against a real SQLite store: snapshot, log following, restarts, failures, push."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from powertrack import RuleIndex
from powertrack.coordination import LocalRuleChangeSignal, ZooKeeperRuleChangeSignal
from powertrack.filter import RuleInfo, RuleSync
from powertrack.store import RuleStore, SQLiteRuleStore, StoreUnavailableError
from tests.filter.helpers import FlakyStore, ReplayingStore, rules_in, tweet

WAIT = 10.0  # generous: only a broken sync takes this long


def matches(index: RuleIndex[int], text: str) -> set[int]:
    return set(index.match(tweet(text)))


def sqlite(tmp_path: Path) -> RuleStore:
    return SQLiteRuleStore(tmp_path / "rules.db")


OpenStore = Callable[[], RuleStore]


def test_start_loads_the_active_rules(open_store: OpenStore) -> None:
    async def main() -> None:
        async with rules_in(open_store()) as rules:
            mars = await rules.add("mars", "space")
            gone = await rules.add("venus")
            await rules.delete(gone)
            index: RuleIndex[int] = RuleIndex()
            sync = RuleSync(rules.store, index, [rules.stream])
            await sync.start()
            try:
                assert set(index) == {mars}
                assert matches(index, "hello mars") == {mars}
                assert sync.position == await rules.position()
                assert sync.rule_info(mars) == RuleInfo(rules.stream, "space")
                info = sync.rule_info(mars)
                assert info is not None
                stream_id, tag = info
                assert (stream_id, tag) == (rules.stream, "space")
                assert sync.rule_info(gone) is None
            finally:
                await sync.stop()

    asyncio.run(main())


def test_poll_applies_adds_and_deletes(open_store: OpenStore) -> None:
    async def main() -> None:
        async with rules_in(open_store()) as rules:
            index: RuleIndex[int] = RuleIndex()
            sync = RuleSync(rules.store, index, [rules.stream])
            await sync.start()
            assert len(index) == 0
            mars = await rules.add("mars")
            moon = await rules.add("moon OR mars", "both")
            assert await sync.poll_once() == 2
            assert matches(index, "hello mars") == {mars, moon}
            assert sync.rule_info(moon) == RuleInfo(rules.stream, "both")
            await rules.delete(mars)
            assert await sync.poll_once() == 1
            assert matches(index, "hello mars") == {moon}
            assert sync.rule_info(mars) is None
            assert await sync.poll_once() == 0
            assert sync.position == await rules.position()

    asyncio.run(main())


def test_a_full_page_is_drained_in_one_poll(open_store: OpenStore) -> None:
    async def main() -> None:
        async with rules_in(open_store()) as rules:
            index: RuleIndex[int] = RuleIndex()
            sync = RuleSync(rules.store, index, [rules.stream], page_size=2)
            await sync.start()
            added = {await rules.add(f"planet{n}") for n in range(5)}
            assert await sync.poll_once() == 5
            assert set(index) == added

    asyncio.run(main())


def test_a_replayed_log_entry_is_not_applied_again(tmp_path: Path) -> None:
    async def main() -> None:
        async with rules_in(sqlite(tmp_path)) as rules:
            mars = await rules.add("mars")
            await rules.delete(mars)
            # The store now answers with "add mars" at every poll: the entry
            # lies before the snapshot's position and must not resurrect it.
            replaying = ReplayingStore(tmp_path / "rules.db")
            index: RuleIndex[int] = RuleIndex()
            sync = RuleSync(replaying, index, [rules.stream])
            await sync.start()
            try:
                assert await sync.poll_once() == 0
                assert matches(index, "hello mars") == set()
            finally:
                await replaying.close()

    asyncio.run(main())


def test_a_restart_equals_the_running_node(open_store: OpenStore) -> None:
    async def main() -> None:
        async with rules_in(open_store()) as rules:
            running: RuleIndex[int] = RuleIndex()
            sync = RuleSync(rules.store, running, [rules.stream])
            await sync.start()
            ids = [await rules.add(word) for word in ("mars", "moon", "rocket", "orbit")]
            await sync.poll_once()
            await rules.delete(ids[1])
            await rules.add("mars rover")
            await sync.poll_once()
            await rules.delete(ids[0])
            await sync.poll_once()

            restarted: RuleIndex[int] = RuleIndex()
            fresh = RuleSync(rules.store, restarted, [rules.stream])
            await fresh.start()
            assert fresh.position == sync.position
            assert set(restarted) == set(running)
            for text in ("mars rover in orbit", "the moon", "rocket", "mars"):
                assert matches(restarted, text) == matches(running, text)
            assert all(fresh.rule_info(i) == sync.rule_info(i) for i in running)

            # Restarting the same RuleSync takes a snapshot again and keeps the index.
            await sync.stop()
            late = await rules.add("comet")
            await sync.start()
            await sync.stop()
            assert late in running

    asyncio.run(main())


def test_only_the_followed_streams_are_indexed(open_store: OpenStore) -> None:
    async def main() -> None:
        async with rules_in(open_store()) as rules:
            mine = await rules.add("mars")
            await rules.add("mars", stream=rules.other)
            index: RuleIndex[int] = RuleIndex()
            sync = RuleSync(rules.store, index, [rules.stream])
            await sync.start()
            assert set(index) == {mine}
            later = await rules.add("moon")
            theirs = await rules.add("moon", stream=rules.other)
            await rules.delete(theirs, stream=rules.other)
            await sync.poll_once()
            assert set(index) == {mine, later}

            everything: RuleIndex[int] = RuleIndex()
            all_streams = RuleSync(rules.store, everything)
            await all_streams.start()
            assert len(everything) == 3

    asyncio.run(main())


def test_a_rule_that_no_longer_parses_is_skipped(
    open_store: OpenStore, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        async with rules_in(open_store()) as rules:
            # The store takes rules as already validated: these stand for rules
            # a later grammar no longer accepts.
            bad = await rules.add("mars (")
            good = await rules.add("mars")
            index: RuleIndex[int] = RuleIndex()
            sync = RuleSync(rules.store, index, [rules.stream])
            await sync.start()
            worse = await rules.add("AND")
            better = await rules.add("moon")
            assert await sync.poll_once() == 2
            assert set(index) == {good, better}
            assert sync.rule_info(bad) is None
            assert sync.rule_info(worse) is None
            await rules.delete(bad)
            assert await sync.poll_once() == 1

    with caplog.at_level(logging.WARNING, logger="powertrack.filter.rulesync"):
        asyncio.run(main())
    assert sum("Skipping rule" in record.message for record in caplog.records) == 2


def test_database_down_keeps_matching_and_catches_up(tmp_path: Path) -> None:
    async def main() -> None:
        async with rules_in(sqlite(tmp_path)) as rules:
            mars = await rules.add("mars")
            flaky = FlakyStore(tmp_path / "rules.db")
            index: RuleIndex[int] = RuleIndex()
            sync = RuleSync(flaky, index, [rules.stream], poll_interval=0.02, max_backoff=0.1)
            await sync.start()
            try:
                flaky.down = True
                moon = await rules.add("moon")
                await rules.delete(mars)
                while flaky.failed_reads < 3:
                    await asyncio.sleep(0.02)
                assert matches(index, "mars and moon") == {mars}
                flaky.down = False
                await sync.wait_for_position(await rules.position(), WAIT)
                assert matches(index, "mars and moon") == {moon}
            finally:
                await sync.stop()
                await flaky.close()

    asyncio.run(main())


def test_start_reports_an_unreachable_database(tmp_path: Path) -> None:
    async def main() -> None:
        async with rules_in(sqlite(tmp_path)) as rules:
            flaky = FlakyStore(tmp_path / "rules.db")
            flaky.down = True
            sync = RuleSync(flaky, RuleIndex(), [rules.stream])
            with pytest.raises(StoreUnavailableError):
                await sync.start()
            await flaky.close()

    asyncio.run(main())


def test_wait_for_position_times_out(tmp_path: Path) -> None:
    async def main() -> None:
        async with rules_in(sqlite(tmp_path)) as rules:
            sync = RuleSync(rules.store, RuleIndex(), [rules.stream], poll_interval=30)
            await sync.start()
            try:
                with pytest.raises(TimeoutError):
                    await sync.wait_for_position(sync.position + 1, 0.05)
            finally:
                await sync.stop()

    asyncio.run(main())


def test_a_local_signal_applies_a_change_long_before_the_poll(open_store: OpenStore) -> None:
    async def main() -> None:
        async with rules_in(open_store()) as rules:
            signal = LocalRuleChangeSignal()
            index: RuleIndex[int] = RuleIndex()
            sync = RuleSync(rules.store, index, [rules.stream], signal=signal, poll_interval=30)
            await sync.start()
            try:
                await asyncio.sleep(0.05)  # past the poll the signal's first value triggers
                mars = await rules.add("mars")
                await signal.notify()
                await sync.wait_for_position(await rules.position(), 5)
                assert matches(index, "hello mars") == {mars}
            finally:
                await sync.stop()

    asyncio.run(main())


def test_zookeeper_applies_a_change_long_before_the_poll(
    tmp_path: Path, zookeeper_hosts: str
) -> None:
    root = f"/test-rulesync-{tmp_path.name}"

    async def main() -> None:
        async with rules_in(sqlite(tmp_path)) as rules:
            api = ZooKeeperRuleChangeSignal(zookeeper_hosts, root)
            node = ZooKeeperRuleChangeSignal(zookeeper_hosts, root)
            await api.start()
            await node.start()
            index: RuleIndex[int] = RuleIndex()
            sync = RuleSync(rules.store, index, [rules.stream], signal=node, poll_interval=30)
            await sync.start()
            try:
                await asyncio.sleep(0.05)
                mars = await rules.add("mars")
                await api.notify()
                await sync.wait_for_position(await rules.position(), 5)
                assert matches(index, "hello mars") == {mars}
            finally:
                await sync.stop()
                await node.stop()
                await api.stop()

    asyncio.run(main())


def _no_grammar(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every parse fail loudly; returns the texts that were parsed."""
    from powertrack.rules import parser

    parsed: list[str] = []
    real = parser._parse

    def counting(text: str) -> object:
        parsed.append(text)
        return real(text)

    monkeypatch.setattr(parser, "_parse", counting)
    return parsed


def test_rules_stored_compiled_are_loaded_without_parsing(
    open_store: OpenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main() -> None:
        async with rules_in(open_store()) as rules:
            mars = await rules.add("mars -venus", "space")
            moon = await rules.add('"full moon" OR #moon')
            parsed = _no_grammar(monkeypatch)
            index: RuleIndex[int] = RuleIndex()
            sync = RuleSync(rules.store, index, [rules.stream])
            await sync.start()
            try:
                assert parsed == []
                later = await rules.add("jupiter")
                parsed.clear()  # the add itself parses, as the API does
                assert await sync.poll_once() == 1
                assert parsed == []
                assert matches(index, "hello mars") == {mars}
                assert matches(index, "hello mars and venus") == set()
                assert matches(index, "a full moon") == {moon}
                assert matches(index, "jupiter rising") == {later}
            finally:
                await sync.stop()

    asyncio.run(main())


def test_rules_without_a_readable_compiled_form_are_parsed_from_text(
    open_store: OpenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main() -> None:
        async with rules_in(open_store()) as rules:
            # An older row without a form, a form of another version, a damaged one.
            old = await rules.add("mars", compiled=False)
            other = await rules.add("moon", code=b'[99, ["k", "sun"]]')
            damaged = await rules.add("venus", code=b"\x00not json")
            fine = await rules.add("pluto")
            parsed = _no_grammar(monkeypatch)
            index: RuleIndex[int] = RuleIndex()
            sync = RuleSync(rules.store, index, [rules.stream])
            await sync.start()
            try:
                assert sorted(parsed) == ["mars", "moon", "venus"]
                later = await rules.add("saturn", code=b'[99, ["k", "sun"]]')
                assert await sync.poll_once() == 1
                assert matches(index, "mars moon venus pluto saturn") == {
                    old,
                    other,
                    damaged,
                    fine,
                    later,
                }
                # The stored forms of another version were not read as what they say.
                assert matches(index, "sun") == set()
            finally:
                await sync.stop()

    asyncio.run(main())

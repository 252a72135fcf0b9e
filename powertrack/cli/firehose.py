"""``powertrack firehose``: put tweets onto the firehose topic.

``replay`` sends a file of saved tweets, ``generate`` sends synthetic ones.
Both run until done or interrupted: the first Ctrl-C (or SIGTERM) stops
after the tweet in hand and waits for the broker to take what was sent; a
second one gives up waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Annotated, BinaryIO, TypeVar

import typer

from powertrack.broker import (
    BrokerError,
    KafkaBroker,
    TopicNameError,
    firehose_topic,
)
from powertrack.cli.serve import on_stop_signals
from powertrack.firehose.sink import PublishError, TweetSink, firehose_sink
from powertrack.store.ids import MAX_WORKER_ID, RuleIdGenerator

__all__ = ["firehose_app"]

T = TypeVar("T")

firehose_app = typer.Typer(help="Put tweets onto the firehose topic.", no_args_is_help=True)

Bootstrap = Annotated[
    str | None,
    typer.Option(
        "--bootstrap",
        help="host:port[,host:port...] of the Kafka-protocol broker "
        "(default: POWERTRACK_KAFKA_BOOTSTRAP).",
    ),
]
Topic = Annotated[
    str | None,
    typer.Option("--topic", help="The firehose topic (default: POWERTRACK_FIREHOSE_TOPIC)."),
]
Partitions = Annotated[
    int | None,
    typer.Option(
        "--partitions",
        min=1,
        help="Partitions of the topic, if it has to be created "
        "(default: POWERTRACK_FIREHOSE_PARTITIONS).",
    ),
]
Wait = Annotated[
    float,
    typer.Option("--wait", min=0, help="Seconds to wait for the broker to answer."),
]
Rate = Annotated[float | None, typer.Option("--rate", help="Tweets per second.")]
Limit = Annotated[int | None, typer.Option("--limit", min=0, help="Stop after this many tweets.")]
WorkerId = Annotated[
    int | None,
    typer.Option(
        "--worker-id",
        min=0,
        max=MAX_WORKER_ID,
        help="Snowflake worker id of the fresh tweet ids (default: random). Producers "
        "running at the same time need distinct ones to rule out duplicate ids.",
    ),
]

DEFAULT_WAIT_S = 10.0
DEFAULT_GENERATE_RATE = 100.0


@firehose_app.command("replay")
def replay_command(
    file: Annotated[
        Path,
        typer.Argument(help="Tweets, one v1.1 or v2 JSON per line; - for standard input."),
    ],
    bootstrap: Bootstrap = None,
    topic: Topic = None,
    rate: Rate = None,
    loop: Annotated[
        bool, typer.Option("--loop", help="Start again at the end, forever (implies --new-ids).")
    ] = False,
    limit: Limit = None,
    now: Annotated[
        bool, typer.Option("--now", help="Rewrite created_at (and timestamp_ms) to the send time.")
    ] = False,
    new_ids: Annotated[
        bool, typer.Option("--new-ids", help="Give every tweet a fresh snowflake id.")
    ] = False,
    worker_id: WorkerId = None,
    partitions: Partitions = None,
    wait: Wait = DEFAULT_WAIT_S,
) -> None:
    """Replay a file of tweets onto the firehose, as fast as the broker takes them
    unless --rate is given.

    Malformed lines are skipped and reported with their line number. Exit
    status 0 when done, 1 if the broker fails, 2 on unusable arguments.
    """
    from powertrack.firehose.replay import replay

    _check_rate(rate)
    bootstrap, topic, partitions = _target(bootstrap, topic, partitions)
    if str(file) == "-":
        source: Path | BinaryIO = sys.stdin.buffer
    elif not file.is_file():
        raise typer.BadParameter(f"no such file: {file}", param_hint="FILE")
    else:
        source = file
    if loop and not isinstance(source, Path) and not source.seekable():
        raise typer.BadParameter("--loop needs a file, not a pipe", param_hint="--loop")
    ids = _ids(worker_id)

    async def work(sink: TweetSink, stop: asyncio.Event) -> str:
        counts = await replay(
            source,
            sink,
            rate=rate,
            loop=loop,
            limit=limit,
            rewrite_timestamps=now,
            new_ids=new_ids,
            ids=ids,
            stop=stop,
        )
        return (
            f"sent {counts.sent} tweets to {topic} ({counts.skipped} lines skipped, "
            f"{counts.passes} pass{'es' if counts.passes != 1 else ''})"
        )

    typer.echo(_run(KafkaBroker(bootstrap, wait_timeout=wait), topic, partitions, work), err=True)


@firehose_app.command("generate")
def generate_command(
    bootstrap: Bootstrap = None,
    topic: Topic = None,
    rate: Annotated[
        float, typer.Option("--rate", help="Tweets per second.")
    ] = DEFAULT_GENERATE_RATE,
    limit: Limit = None,
    tweet_format: Annotated[
        str, typer.Option("--format", help="v1.1 (native) or v2 (filtered-stream message).")
    ] = "v1.1",
    seed: Annotated[
        int | None, typer.Option("--seed", help="Fixes texts and authors (default: random).")
    ] = None,
    worker_id: WorkerId = None,
    partitions: Partitions = None,
    wait: Wait = DEFAULT_WAIT_S,
) -> None:
    """Produce realistic synthetic tweets onto the firehose until --limit or Ctrl-C.

    Exit status 0 when done, 1 if the broker fails, 2 on unusable arguments.
    """
    from powertrack.firehose.generate import generate

    _check_rate(rate)
    bootstrap, topic, partitions = _target(bootstrap, topic, partitions)
    if tweet_format not in ("v1.1", "v2"):
        raise typer.BadParameter("must be v1.1 or v2", param_hint="--format")
    ids = _ids(worker_id)

    async def work(sink: TweetSink, stop: asyncio.Event) -> str:
        sent = await generate(
            sink,
            ids=ids,
            rate=rate,
            limit=limit,
            seed=seed,
            tweet_format="v2" if tweet_format == "v2" else "v1.1",
            stop=stop,
        )
        return f"sent {sent} tweets to {topic}"

    typer.echo(_run(KafkaBroker(bootstrap, wait_timeout=wait), topic, partitions, work), err=True)


def _check_rate(rate: float | None) -> None:
    if rate is not None and not rate > 0:
        raise typer.BadParameter("must be more than 0 tweets per second", param_hint="--rate")


def _target(
    bootstrap: str | None, topic: str | None, partitions: int | None
) -> tuple[str, str, int]:
    """The broker, topic and partition count: the options, else the settings."""
    from powertrack.settings import Settings

    settings = Settings()
    bootstrap = bootstrap or settings.kafka_bootstrap
    if not bootstrap:
        raise typer.BadParameter(
            "no broker: give --bootstrap or set POWERTRACK_KAFKA_BOOTSTRAP "
            "(`powertrack broker` runs an embedded one)",
            param_hint="--bootstrap",
        )
    topic = topic or settings.firehose_topic
    try:
        firehose_topic(topic)
    except TopicNameError as exc:
        raise typer.BadParameter(str(exc), param_hint="--topic") from None
    return bootstrap, topic, partitions or settings.firehose_partitions


def _ids(worker_id: int | None) -> RuleIdGenerator:
    return RuleIdGenerator(
        worker_id if worker_id is not None else random.randrange(MAX_WORKER_ID + 1)
    )


def _run(
    broker: KafkaBroker,
    topic: str,
    partitions: int,
    work: Callable[[TweetSink, asyncio.Event], Awaitable[T]],
) -> T:
    """Run ``work`` with a sink on the firehose topic; exit 1 if the broker fails."""

    async def main() -> T:
        stop = asyncio.Event()
        with _stop_on_signals(stop):
            await broker.start()
            try:
                async with firehose_sink(broker, topic, partitions=partitions) as sink:
                    return await work(sink, stop)
            finally:
                await broker.stop()

    try:
        return asyncio.run(main())
    except (PublishError, BrokerError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except asyncio.CancelledError:
        typer.echo("interrupted before the broker confirmed every tweet", err=True)
        raise typer.Exit(130) from None


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """Set ``stop`` on the first SIGINT or SIGTERM; cancel the task on the second."""
    task = asyncio.current_task()

    def on_signal() -> None:
        if stop.is_set() and task is not None:
            task.cancel()
        stop.set()

    with on_stop_signals(on_signal):
        yield

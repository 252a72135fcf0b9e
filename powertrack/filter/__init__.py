"""Filter nodes: follow the rule log into a RuleIndex and match the firehose against it."""

from __future__ import annotations

from powertrack.filter.config import FilterConfig, FilterCounters
from powertrack.filter.node import FilterNode
from powertrack.filter.offsets import OffsetTracker
from powertrack.filter.rulesync import RuleInfo, RuleSync
from powertrack.filter.stack import StackRules
from powertrack.matches import MatchedRule, TweetFormat, match_record

__all__ = [
    "FilterConfig",
    "FilterCounters",
    "FilterNode",
    "MatchedRule",
    "OffsetTracker",
    "RuleInfo",
    "RuleSync",
    "StackRules",
    "TweetFormat",
    "match_record",
]

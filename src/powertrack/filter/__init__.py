"""Filter nodes: follow the rule log into a RuleIndex and match the firehose against it."""

from __future__ import annotations

from powertrack.filter.rulesync import RuleInfo, RuleSync

__all__ = ["RuleInfo", "RuleSync"]

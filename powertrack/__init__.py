"""powertrack: a real-time tweet filtering engine for PowerTrack rules.

The stable Python API::

    from powertrack import parse_rule, RuleSyntaxError, Tweet, RuleIndex
"""

from __future__ import annotations

from powertrack.index.index import RuleIndex
from powertrack.rules.errors import RuleSyntaxError
from powertrack.rules.parser import parse_rule
from powertrack.rules.rule import Rule
from powertrack.tweets.errors import TweetFormatError
from powertrack.tweets.model import Tweet

__all__ = ["Rule", "RuleIndex", "RuleSyntaxError", "Tweet", "TweetFormatError", "parse_rule"]
__version__ = "0.1.0"

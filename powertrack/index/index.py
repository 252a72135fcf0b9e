"""``RuleIndex``: the compiled index where its extension is built, else the pure-Python one.

Both implement :class:`powertrack.index.protocol.Matcher` with the same
answers (one test suite runs over both): :class:`~powertrack.index.pyindex.PyRuleIndex`
is the readable reference, :class:`~powertrack.index._cindex.CRuleIndex` the
compiled twin that runs the firehose. Setting ``POWERTRACK_NO_EXTENSIONS``
picks the pure one even where the extension is built.
"""

from __future__ import annotations

import importlib
import logging
import os
from typing import TYPE_CHECKING, Any, Literal

from powertrack.index.pyindex import PyRuleIndex

__all__ = ["IMPLEMENTATION", "CRuleIndex", "PyRuleIndex", "RuleIndex", "log_implementation"]


def _load() -> tuple[Any, str]:
    if os.environ.get("POWERTRACK_NO_EXTENSIONS"):
        return None, "POWERTRACK_NO_EXTENSIONS is set"
    try:
        module = importlib.import_module("powertrack.index._cindex")
    except ImportError as exc:  # built without a C compiler, or not built at all
        return None, f"the compiled extension is not built ({exc})"
    return module.CRuleIndex, ""


CRuleIndex, _missing = _load()
"""The compiled index class, or None where it is not built."""

IMPLEMENTATION: Literal["compiled", "python"] = "python" if CRuleIndex is None else "compiled"
"""Which implementation ``RuleIndex`` is."""

if TYPE_CHECKING:
    RuleIndex = PyRuleIndex
else:
    RuleIndex = PyRuleIndex if CRuleIndex is None else CRuleIndex


def log_implementation(logger: logging.Logger) -> None:
    """Say, in one log line, which matcher this process runs."""
    if IMPLEMENTATION == "compiled":
        logger.info("Matcher: compiled (powertrack.index._cindex)")
    else:
        logger.warning("Matcher: pure Python, several times slower: %s", _missing)

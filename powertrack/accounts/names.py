"""What account names and stream labels may look like."""

from __future__ import annotations

import re
from typing import Final

NAME_PATTERN: Final = r"^[A-Za-z0-9_-]{1,64}$"
"""Account names and stream labels: they appear in URL paths (PowerTrack's
``/accounts/{account}/publishers/twitter/{label}.json``), so only characters
that need no escaping there, and no dot, which would be ambiguous before ``.json``."""

_NAME = re.compile(NAME_PATTERN)


def is_valid_name(name: str) -> bool:
    """True when ``name`` may be used as an account name or a stream label."""
    return _NAME.fullmatch(name) is not None

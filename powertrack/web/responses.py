"""JSON responses encoded with orjson, and the ``sent`` timestamp every answer carries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi.responses import JSONResponse


class OrjsonResponse(JSONResponse):
    """A JSON response encoded with orjson: rule lists run to hundreds of thousands of
    entries, and 64-bit rule ids must come out as exact integers."""

    def render(self, content: Any) -> bytes:
        """Encode ``content`` as compact UTF-8 JSON."""
        return orjson.dumps(content)


def sent_now() -> str:
    """The current time as PowerTrack and the X API write it: ISO 8601 UTC with
    milliseconds and a ``Z``, e.g. ``2016-06-01T15:46:48.654Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

"""powertrack: a real-time tweet filtering engine for PowerTrack rules."""

from __future__ import annotations

__all__: list[str] = []

"""The Rules REST API: PowerTrack 2.0 and X API v2 rule management over one store."""

from __future__ import annotations

from powertrack.api.app import create_app

__all__ = ["create_app"]

"""Test-wide settings.

In CI (``CI`` set), hypothesis runs derandomized: the same examples every
run, so a red build always reproduces. Locally each run explores new examples.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

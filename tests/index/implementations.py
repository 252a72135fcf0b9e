"""The two index implementations, for tests that must hold for both.

The compiled one is required: a build without it fails these tests rather
than skipping them, so CI always checks the code that runs the firehose.
"""

from __future__ import annotations

from typing import Any

import pytest

from powertrack.index.index import CRuleIndex, PyRuleIndex


def _compiled(**options: Any) -> Any:
    if CRuleIndex is None:
        pytest.fail("the compiled index (powertrack.index._cindex) is not built")
    return CRuleIndex(**options)


IMPLEMENTATIONS = [
    pytest.param(PyRuleIndex, id="python"),
    pytest.param(_compiled, id="compiled"),
]
"""Parametrize a test's ``make`` argument with these: ``make(**options)`` gives an index."""

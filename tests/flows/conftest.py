"""The fixture of the flow-level tests: the domain at the bundled event file's usual time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.flows.helpers import Domain, started


@pytest.fixture
async def domain(tmp_path: Path) -> AsyncIterator[Domain]:
    """The domain two weeks before the co-planning day (only that event is open), with
    :data:`~tests.flows.helpers.ORGANISER` as its organiser."""
    async with started(tmp_path) as running:
        yield running

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages():
    # Assertions below read the English messages; the Chinese catalogue is checked in core/tests.
    with translation.override("en"):
        yield

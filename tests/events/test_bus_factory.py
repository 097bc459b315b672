import pytest

from modelbeacon.errors import ModelbeaconError, UnavailableError
from modelbeacon.events import MemoryBus, create_bus


@pytest.mark.parametrize("url", [None, "", "memory://", "MEMORY://"])
def test_create_bus_builds_a_memory_bus_by_default(url: str | None) -> None:
    assert isinstance(create_bus(url), MemoryBus)


def test_create_bus_backend_override_wins_over_the_url() -> None:
    mine = MemoryBus()

    assert create_bus("redis://localhost:6379/0", backend=mine) is mine


@pytest.mark.parametrize("url", ["redis://localhost:6379/0", "rediss://user:secret@host:6380"])
def test_create_bus_redis_is_unavailable_until_the_scale_out_issue(url: str) -> None:
    with pytest.raises(UnavailableError, match="scale-out") as raised:
        create_bus(url)

    assert isinstance(raised.value, ModelbeaconError)
    assert "secret" not in str(raised.value) and "secret" not in str(raised.value.details)


def test_create_bus_unknown_scheme_lists_the_accepted_ones() -> None:
    with pytest.raises(ValueError, match=r"memory://, redis://, rediss://"):
        create_bus("kafka://broker:9092")

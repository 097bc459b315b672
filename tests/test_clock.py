from modelbeacon.clock import iso_utc


def test_iso_utc_has_microseconds_and_z() -> None:
    assert iso_utc(0.0) == "1970-01-01T00:00:00.000000Z"


def test_iso_utc_keeps_none() -> None:
    assert iso_utc(None) is None

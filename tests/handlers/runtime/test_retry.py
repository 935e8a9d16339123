"""Reading a cloud's Retry-After: seconds, or an HTTP date (RFC 9110 allows both)."""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.runtime.retry import retry_after_seconds

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC).timestamp()


def test_seconds_and_http_dates_are_read_as_the_wait_they_ask() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("1.5") == 1.5
    assert retry_after_seconds("Mon, 23 Nov 2026 09:00:30 GMT", now=NOW) == 30.0


def test_nothing_or_nonsense_leaves_the_wait_to_the_policy_and_the_past_is_no_wait() -> None:
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("-4") == 0.0
    assert retry_after_seconds("Mon, 23 Nov 2026 08:59:00 GMT", now=NOW) == 0.0

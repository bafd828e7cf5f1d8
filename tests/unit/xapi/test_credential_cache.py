"""The per-process credential cache: a credential is answered only for its own secret and only while fresh."""

from __future__ import annotations

from datetime import UTC, datetime

from xapi_listener.credentials import Credential, CredentialCache


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def credential(key: str = "ssk_a") -> Credential:
    return Credential(1, 7, key, False, "Moodle", datetime(2026, 11, 1, tzinfo=UTC), None)


def test_a_cached_credential_is_answered_for_its_secret_only() -> None:
    cache = CredentialCache(clock=Clock())
    cache.put(credential(), "right secret")
    assert cache.get("ssk_a", "right secret") == credential()
    assert cache.get("ssk_a", "wrong secret") is None
    assert cache.get("ssk_b", "right secret") is None


def test_an_entry_expires_after_its_time_to_live() -> None:
    clock = Clock()
    cache = CredentialCache(ttl_seconds=60, clock=clock)
    cache.put(credential(), "s")
    clock.now += 59.9
    assert cache.get("ssk_a", "s") is not None
    clock.now += 0.1
    assert cache.get("ssk_a", "s") is None


def test_a_forgotten_credential_is_no_longer_answered() -> None:
    cache = CredentialCache(clock=Clock())
    cache.put(credential(), "s")
    cache.forget("ssk_a")
    assert cache.get("ssk_a", "s") is None


def test_a_full_cache_starts_over_rather_than_growing() -> None:
    cache = CredentialCache(max_entries=2, clock=Clock())
    cache.put(credential("ssk_a"), "s")
    cache.put(credential("ssk_b"), "s")
    cache.put(credential("ssk_c"), "s")
    assert cache.get("ssk_a", "s") is None
    assert cache.get("ssk_c", "s") is not None

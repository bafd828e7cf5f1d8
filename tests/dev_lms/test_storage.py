"""The development LMS's own database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dev_lms.storage import SETTINGS, Setting, next_revision, open_database, setting


def test_concurrent_requests_never_collide_on_settings_nor_lose_a_revision(tmp_path: Path) -> None:
    sessions = open_database(tmp_path)
    with sessions() as session:
        assert {s.name for s in session.query(Setting)} == set(SETTINGS)

    def bump(_: int) -> int:
        with sessions.begin() as session:
            return next_revision(session)

    with ThreadPoolExecutor(max_workers=8) as pool:
        taken = list(pool.map(bump, range(40)))
    assert sorted(taken) == list(range(1, 41)), "every change gets a revision of its own"
    with sessions() as session:
        assert setting(session, "membership_revision").value == 40
    sessions.kw["bind"].dispose()

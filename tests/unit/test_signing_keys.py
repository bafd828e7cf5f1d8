"""The tool's signing keys are published as a JWKS with stable ids and no private parts."""

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lti_tool.keys import KeyRing, SigningKey, generate_private_key_pem, key_set


def test_key_id_is_the_same_every_time_the_key_is_loaded() -> None:
    pem = generate_private_key_pem(2048)
    assert SigningKey.from_pem(pem).kid == SigningKey.from_pem(pem).kid


def test_jwks_publishes_only_public_rs256_signing_keys() -> None:
    keys = [SigningKey.from_pem(generate_private_key_pem(2048)) for _ in range(2)]
    published = key_set(keys)["keys"]
    assert [k["kid"] for k in published] == [k.kid for k in keys]
    for jwk in published:
        assert jwk["kty"] == "RSA"
        assert jwk["alg"] == "RS256"
        assert jwk["use"] == "sig"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & jwk.keys()


def test_rotation_signs_with_the_new_key_and_publishes_the_old_one_until_its_grace_ends(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys", 2048, timedelta(days=7))
    ring.ensure()
    old = ring.signing
    new = ring.rotate()
    assert ring.signing == new != old
    assert [k.kid for k in ring.published()] == [old.kid, new.kid]
    eight_days_on = datetime.now(UTC) + timedelta(days=8)
    assert [k.kid for k in ring.published(eight_days_on)] == [new.kid]
    assert [s.status for s in ring.statuses(eight_days_on)] == ["retired", "signing"]
    assert ring.prune(eight_days_on) == [old.kid]
    assert [s.kid for s in ring.statuses()] == [new.kid]


def test_a_second_key_ring_on_the_same_directory_sees_a_rotation(tmp_path: Path) -> None:
    one = KeyRing(tmp_path / "keys", 2048, timedelta(days=7))
    one.ensure()
    two = KeyRing(tmp_path / "keys", 2048, timedelta(days=7))
    assert two.signing == one.signing
    rotated = one.rotate()
    assert two.signing == rotated


def test_key_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys", 2048, timedelta(days=7))
    ring.ensure()
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in (tmp_path / "keys").iterdir())

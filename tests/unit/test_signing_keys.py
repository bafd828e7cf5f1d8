"""The tool's signing keys are published as a JWKS with stable ids and no private parts."""

from lti_tool.keys import SigningKey, generate_private_key_pem, key_set


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

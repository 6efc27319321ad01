"""Loading a signing key skips OpenSSL's slow full RSA check (~30 ms of start-up) and instead signs once and
verifies: a key that cannot make valid signatures must still be refused when it is read, not at the first token."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mockidp.core.keys import load_or_create

ROOT = Path(__file__).resolve().parent.parent


def test_an_inconsistent_rsa_key_is_refused(tmp_path: Path) -> None:
    numbers = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_numbers()
    broken = rsa.RSAPrivateNumbers(
        numbers.p, numbers.q, numbers.d + 2, numbers.dmp1 + 2, numbers.dmq1, numbers.iqmp, numbers.public_numbers
    ).private_key(unsafe_skip_rsa_key_validation=True)
    path = tmp_path / "signing-key.pem"
    path.write_bytes(
        broken.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(ValueError, match="inconsistent: its signatures do not verify with its own public key"):
        load_or_create(path)


def test_the_shipped_key_loads_and_signs() -> None:
    key = load_or_create(ROOT / "fixtures" / "default" / "signing-key.pem")
    token = key.sign({"sub": "x"})
    assert jwt.decode(token, key.public_key, algorithms=["RS256"]) == {"sub": "x"}

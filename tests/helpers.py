"""Small helpers the tests share: token requests with requests, and decoding with PyJWT as a resource server would."""

from __future__ import annotations

import logging
from typing import Any

import jwt
import requests

from mockidp.testing import MockIdP
from tests.conftest import SEED_CLIENT_ID, SEED_CLIENT_SECRET

SEED_AUTH = (SEED_CLIENT_ID, SEED_CLIENT_SECRET)
# The userinfo sample the seed's notes quote (idcs-reference §7), exactly, member order included.
SEED_USERINFO = {
    "birthdate": "",
    "email": "user@example.com",
    "email_verified": False,
    "family_name": "user",
    "gender": "",
    "given_name": "user",
    "appRoles": [],
    "name": "alice alice",
    "preferred_username": "user@example.com",
    "sub": "user@example.com",
    "updated_at": 1495136783,
    "website": "",
}


def post_token(idp: MockIdP, data: dict[str, str] | str, auth: Any = SEED_AUTH, **kwargs: Any) -> requests.Response:
    return requests.post(idp.token_url, data=data, auth=auth, timeout=10, **kwargs)


def token_for(idp: MockIdP, auth: Any = SEED_AUTH, **data: str) -> dict[str, Any]:
    response = post_token(idp, data, auth=auth)
    assert response.status_code == 200, response.text
    return response.json()


def password_tokens(
    idp: MockIdP, scope: str, user: str = "user@example.com", password: str = "Welcome1!", auth: Any = SEED_AUTH
) -> dict[str, Any]:
    return token_for(idp, auth=auth, grant_type="password", username=user, password=password, scope=scope)


def verify(idp: MockIdP, token: str, audience: str | list[str] | None, **kwargs: Any) -> dict[str, Any]:
    """Verify a token the way a resource server does: JWKS from the domain, RS256, issuer and audience checked."""
    signing_key = jwt.PyJWKClient(idp.jwks_url).get_signing_key_from_jwt(token)
    options = {"verify_aud": audience is not None, "require": ["exp", "iat", "iss", "sub"]}
    return jwt.decode(
        token, signing_key.key, algorithms=["RS256"], audience=audience, issuer=idp.issuer, options=options, **kwargs
    )


def assert_error(response: requests.Response, status: int, error: str, description: str | None = None) -> dict:
    """The identity domain's error shape: exactly error, error_description and the response's ECID."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "error_description", "ecid"}, body
    assert body["error"] == error, body
    if description is not None:
        assert body["error_description"] == description, body
    assert body["error_description"].endswith("."), body
    assert body["ecid"] == response.headers["X-ORACLE-DMS-ECID"]
    return body


class LogRecorder(logging.Handler):
    """Every record the server logs (attach it to the root logger), to assert that none is an error or carries
    a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def failures(self) -> list[str]:
        return [
            f"{r.levelname} {r.name}: {r.getMessage()}"
            + (f" {logging.Formatter().formatException(r.exc_info)[-600:]}" if r.exc_info else "")
            for r in self.records
            if r.levelno >= logging.ERROR or r.exc_info or "Traceback" in r.getMessage()
        ]

"""Clients of the REST API: one per person, authenticated with a token as a program would."""

import pytest
from django.test import Client
from knox.models import AuthToken

from accounts.api_authentication import token_lifetime


def token_for(user) -> str:
    """A token as POST /api/v1/auth/token/ issues it (for staff: after the TOTP code)."""
    return AuthToken.objects.create(user, expiry=token_lifetime(user))[1]


class ApiClient:
    """The Django test client speaking JSON with a token; language English unless told."""

    def __init__(self, token: str | None = None, language: str = "en"):
        headers = {"accept-language": language}
        if token:
            headers["authorization"] = f"Token {token}"
        self.client = Client(headers=headers)

    def get(self, url, params=None):
        return self.client.get(url, params or {})

    def post(self, url, data=None):
        return self.client.post(url, data or {}, content_type="application/json")

    def patch(self, url, data):
        return self.client.patch(url, data, content_type="application/json")

    def delete(self, url):
        return self.client.delete(url)

    def upload(self, url, data):
        return self.client.post(url, data)  # multipart/form-data


@pytest.fixture
def api():
    """api(user) -> a client with a token for the user; api() -> anonymous."""

    def make(user=None, *, language: str = "en") -> ApiClient:
        return ApiClient(token_for(user) if user else None, language)

    return make

"""A small HTTP client for the portal's real web server (no test client, no requests library).

Logged-in visitors carry a session made the way tests/authentication.py makes them, stored
in the database the web server reads; CSRF passes with a cookie and the matching header.
"""

from __future__ import annotations

import http.client
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django.test import Client

from tests.authentication import log_in

CSRF_TOKEN = "f" * 32


@dataclass
class Response:
    status: int
    location: str
    body: str


class Visitor:
    def __init__(self, port: int, session_key: str = ""):
        self.port, self.session_key = port, session_key

    @classmethod
    def logged_in(cls, port: int, user) -> Visitor:
        client = log_in(Client(), user)
        return cls(port, client.cookies["sessionid"].value)

    def request(
        self, method: str, path: str, body: bytes = b"", content_type: str = ""
    ) -> Response:
        headers = {
            "Cookie": f"sessionid={self.session_key}; csrftoken={CSRF_TOKEN}",
            "X-CSRFToken": CSRF_TOKEN,
            "Accept-Language": "en",
        }
        if content_type:
            headers["Content-Type"] = content_type
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            return Response(
                answer.status,
                answer.getheader("Location", ""),
                answer.read().decode(errors="replace"),
            )
        finally:
            connection.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, fields: dict[str, str], files: dict[str, tuple] | None = None):
        if not files:
            return self.request(
                "POST", path, urlencode(fields).encode(), "application/x-www-form-urlencoded"
            )
        boundary = secrets.token_hex(16)
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, (filename, content, mime) in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {mime}\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}"
        )

"""Two small ASGI middlewares: a request body size limit and security headers.

Both are plain ASGI (no framework import), wrapped around the FastAPI app by `create_app`.
"""

import json

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
# The page loads only its own files and talks only to its own server.
SECURITY_HEADERS = [
    (b"content-security-policy",
     (b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
      b"frame-ancestors 'none'")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class _BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Answer 413 to a request whose body is larger than `max_bytes`.

    The declared `Content-Length` is checked before anything is read, and the bytes actually
    received are counted as they stream in (a chunked body declares no length).
    """

    def __init__(self, app, max_bytes=DEFAULT_MAX_BODY_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None:
            text = declared.decode("latin-1").strip()
            if not text.isdigit():
                await _send_error(send, 400, "The Content-Length header must be a whole number "
                                             f"of bytes. Received: {text!r}.")
                return
            if int(text) > self.max_bytes:
                await self._too_large(send, f"{int(text)} bytes (Content-Length)")
                return
        received = 0
        started = False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracked_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except _BodyTooLarge:
            if not started:
                await self._too_large(send, f"at least {received} bytes (streamed)")

    async def _too_large(self, send, received):
        await _send_error(send, 413, f"The request body is too large: at most {self.max_bytes} "
                                     f"bytes are accepted. Received: {received}.")


class SecurityHeaders:
    """Add `SECURITY_HEADERS` to every HTTP response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message,
                           "headers": list(message.get("headers", ())) + SECURITY_HEADERS}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _send_error(send, status, message):
    body = json.dumps({"detail": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})

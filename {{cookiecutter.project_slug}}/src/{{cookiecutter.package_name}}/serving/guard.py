"""What stands between a hostile request and the service: body limit, content type, quiet 4xx logs.

``RequestGuard`` is an ASGI middleware that BentoML runs inside its own (metrics, access log,
concurrency limit), so every answer it gives is counted and logged like any other:

- a body larger than ``body_limit(limits)`` is answered 413 before it is read: at once when
  ``Content-Length`` says so, otherwise (chunked upload) as soon as the bytes received pass the
  limit. A body within the limit is read here and handed on, so the service never buffers more;
- a POST whose content type is not JSON (multipart with or without a boundary, form, text) is
  answered 415, instead of a 500 from the form parser;
- a client that closes the connection before its body arrived gets nothing: BentoML's access
  log and metrics record status 0 for it, not a 500;
- every 503 (model loading, batch queue full, not ready) carries ``Retry-After``.

Each refusal is one line of BentoML's access log (with its status); the reason goes to this
module's logger at INFO, which the server shows when its logging is configured to.

``quiet_client_errors()`` turns BentoML's log of a refused request (an error with a 25-line
traceback) into one line with the status, the field and the reason, never the input.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from .config import Limits

logger = logging.getLogger(__name__)

#: the most bytes a JSON encoder spends on one character: a non-BMP character as a surrogate-pair escape
JSON_BYTES_PER_CHAR = 12
#: quotes, comma and spaces around each text in the list
JSON_BYTES_PER_ITEM = 8
#: the object around the list (``{"texts": [...]}``) with room for whitespace
JSON_ENVELOPE_BYTES = 1024
#: seconds a client is asked to wait after a 503
RETRY_AFTER_S = 5
ACCEPTED_MEDIA = ("application/json",)
#: BentoML's logger of request errors (``bentoml._internal.server.http_app.log_exception``)
BENTOML_REQUEST_LOGGER = "bentoml._internal.server.http_app"


def body_limit(limits: Limits) -> int:
    """The largest request body a valid request can need, in bytes.

    ``max_items x (max_text_chars x 12 + 8) + 1024``: every text at its longest, every character
    in its longest JSON form (``\\ud83d\\ude00``), plus quotes and separators per item and the
    envelope. The default limits (64 texts of 2,000 characters) give 1,536,512 + 1,024 bytes.
    """
    return limits.max_items * (limits.max_text_chars * JSON_BYTES_PER_CHAR + JSON_BYTES_PER_ITEM) + JSON_ENVELOPE_BYTES


def plain_error(status: int, reason: str) -> dict[str, Any]:
    """The body of a refusal: ``{"error": reason}``."""
    return {"error": reason}


class RequestGuard:
    """ASGI middleware: 413 over ``max_body_bytes``, 415 for non-JSON POSTs, ``Retry-After`` on 503.

    ``error_body(status, reason)`` shapes the JSON of its refusals (an OpenAI-compatible API
    answers OpenAI's error object).
    """

    def __init__(
        self,
        app: Any,
        max_body_bytes: int,
        retry_after_s: int = RETRY_AFTER_S,
        error_body: Callable[[int, str], dict[str, Any]] = plain_error,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.retry_after = str(retry_after_s).encode()
        self.error_body = error_body

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._retry_after_on_503(send)
        method, path = scope["method"], scope["path"]
        headers = {name.lower(): value for name, value in scope.get("headers", ())}
        media = headers.get(b"content-type", b"application/json").split(b";")[0].strip().lower().decode("latin-1")
        if method == "POST" and media not in ACCEPTED_MEDIA:
            reason = f"content type {media[:60]!r} is not accepted; send application/json"
            await self._refuse(send, method, path, 415, reason)
            return
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await self._too_large(send, method, path, length.decode("latin-1")[:20] + " bytes")
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                logger.info("%s %s: the client closed the connection before sending its whole body", method, path)
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_body_bytes:
                await self._too_large(send, method, path, f"more than {self.max_body_bytes} bytes (chunked)")
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _too_large(self, send: Any, method: str, path: str, size: str) -> None:
        reason = (
            f"the request body ({size}) is larger than {self.max_body_bytes} bytes, the most that the deployment "
            "spec's limits can need"
        )
        await self._refuse(send, method, path, 413, reason)

    async def _refuse(self, send: Any, method: str, path: str, status: int, reason: str) -> None:
        logger.info("%s %s answered %d: %s", method, path, status, reason)
        body = json.dumps(self.error_body(status, reason)).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        headers.append((b"connection", b"close"))  # the rest of the body is never read
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _retry_after_on_503(self, send: Any) -> Any:
        async def wrapped(message: dict) -> None:
            if message["type"] == "http.response.start" and message["status"] == 503:
                headers = list(message.get("headers", ()))
                if not any(name.lower() == b"retry-after" for name, _ in headers):
                    message = {**message, "headers": [*headers, (b"retry-after", self.retry_after)]}
            await send(message)

        return wrapped


def _replay(body: bytes, receive: Any) -> Any:
    """A ``receive`` that gives the whole body once, then waits on the client (for its disconnect)."""
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class _ClientErrorsInOneLine(logging.Filter):
    """Rewrites BentoML's "Exception on PATH [METHOD]" record of a refused request as one line, without input."""

    def filter(self, record: logging.LogRecord) -> bool:
        err = record.exc_info[1] if record.exc_info else None
        status = _client_status(err) if err is not None else None
        if status is None:
            return True  # a bug: keep the traceback
        path, method = record.args if isinstance(record.args, tuple) and len(record.args) == 2 else ("?", "?")
        record.msg, record.args = "%s %s answered %d: %s", (method, path, status, _reason(err))
        record.exc_info, record.exc_text = None, None
        record.levelno, record.levelname = (logging.WARNING, "WARNING") if status >= 500 else (logging.INFO, "INFO")
        return True


def _client_status(err: BaseException) -> int | None:
    """The status of an error that is the client's (or a busy server's), not a bug; ``None`` for a bug."""
    from bentoml.exceptions import BentoMLException
    from pydantic import ValidationError
    from starlette.requests import ClientDisconnect

    if isinstance(err, ValidationError):
        return 400
    if isinstance(err, ClientDisconnect):
        return 499  # nginx's "client closed request": not the server's failure
    if isinstance(err, BentoMLException) and (err.error_code < 500 or err.error_code == 503):
        return int(err.error_code)
    return None


def _reason(err: BaseException) -> str:
    """The error's kind and fields, never the input (pydantic's ``loc`` and ``type``, or the exception class)."""
    from pydantic import ValidationError

    if isinstance(err, ValidationError):
        found = [f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['type']}" for e in err.errors(include_input=False)]
        return "; ".join(found[:5]) + (f" (+{len(found) - 5} more)" if len(found) > 5 else "")
    return type(err).__name__


def quiet_client_errors() -> None:
    """Log refused requests in one line (idempotent: the filter is added once per process)."""
    request_logger = logging.getLogger(BENTOML_REQUEST_LOGGER)
    if not any(isinstance(f, _ClientErrorsInOneLine) for f in request_logger.filters):
        request_logger.addFilter(_ClientErrorsInOneLine())

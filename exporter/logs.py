"""Logging in the Prometheus exporters' style (logfmt or JSON), with secrets scrubbed.

Redaction happens in the formatter, after the message and any traceback are rendered, so
no code path (an httpx exception quoting a URL, a traceback of a bad key file) can print a
token, a private key or the signature of a signed download link.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from typing import Any

_SECRETS: set[str] = set()
_LOCK = threading.Lock()
# Signed URL query parameters (Azure SAS `sig`, S3 `X-Amz-Signature`, generic token/signature).
_SIGNED = re.compile(
    r"(?i)\b(sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|token|"
    r"access_token|se|st|sp|sv|skoid|sktid|skt|ske|sks|skv)=([^&\s\"'<>]+)"
)
_BEARER = re.compile(r"(?i)\b(bearer|token)\s+([A-Za-z0-9_\-.=]{12,})")
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)
_GH_TOKEN = re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b")
REDACTED = "<redacted>"


def register_secret(secret: str | None) -> None:
    """Remember a secret value so that it is scrubbed from every log line."""
    if secret and len(secret) >= 4:
        with _LOCK:
            _SECRETS.add(secret)


def redact(text: str) -> str:
    """Remove registered secrets, tokens, private keys and URL signatures from ``text``."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _PEM.sub(REDACTED, text)
    text = _GH_TOKEN.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _SIGNED.sub(lambda m: f"{m.group(1)}={REDACTED}", text)


def redact_url(url: str) -> str:
    """A URL fit for logs: the path stays, the query string (the signature) goes."""
    base, _, query = url.partition("?")
    return f"{base}?{REDACTED}" if query else base


_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {
        k: v for k, v in record.__dict__.items() if k not in _RESERVED and not k.startswith("_")
    }


def _timestamp(record: logging.LogRecord) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + (
        f".{int(record.msecs):03d}Z"
    )


class LogfmtFormatter(logging.Formatter):
    """``ts=... level=info logger=exporter.refresh msg="..." key=value``."""

    def format(self, record: logging.LogRecord) -> str:
        pairs: list[tuple[str, object]] = [
            ("ts", _timestamp(record)),
            ("level", record.levelname.lower()),
            ("logger", record.name),
            ("msg", record.getMessage()),
        ]
        pairs.extend(_fields(record).items())
        if record.exc_info:
            pairs.append(("err", self.formatException(record.exc_info)))
        return redact(" ".join(f"{k}={_logfmt_value(v)}" for k, v in pairs))


def _logfmt_value(value: object) -> str:
    text = str(value)
    if text and not any(c in text for c in ' ="\\\n\t'):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


class JsonFormatter(logging.Formatter):
    """One JSON object per line, same keys as logfmt."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update(
            {
                k: v if isinstance(v, int | float | bool) or v is None else str(v)
                for k, v in _fields(record).items()
            }
        )
        if record.exc_info:
            data["err"] = self.formatException(record.exc_info)
        return redact(json.dumps(data, ensure_ascii=False))


def setup(level: str = "info", fmt: str = "logfmt") -> None:
    """Configure the root logger once for the process."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO; ours are logged (redacted) by the client itself.
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))

"""``--web.config.file``: TLS and basic auth in the format of the Prometheus exporter-toolkit.

Only the keys this exporter implements are accepted; an unknown key is an error rather
than a silently unprotected endpoint. bcrypt is slow on purpose, so a verified
(user, password) pair is remembered by its SHA-256 for the life of the process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import yaml

from exporter.config import ConfigError

_TLS_VERSIONS = {"TLS12": ssl.TLSVersion.TLSv1_2, "TLS13": ssl.TLSVersion.TLSv1_3}
_CLIENT_AUTH = {
    "NoClientCert": ssl.CERT_NONE,
    "RequestClientCert": ssl.CERT_OPTIONAL,
    "RequireAnyClientCert": ssl.CERT_REQUIRED,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
# Probes must work without credentials (Docker HEALTHCHECK, Kubernetes probes).
OPEN_PATHS = frozenset({"/healthz", "/readyz"})


@dataclass(frozen=True)
class WebConfig:
    ssl_context: ssl.SSLContext | None = None
    users: Mapping[str, bytes] = field(default_factory=dict)
    _verified: set[bytes] = field(default_factory=set, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False)

    def check(self, authorization: str | None) -> bool:
        """True when no users are configured or the Basic credentials match one."""
        if not self.users:
            return True
        if not authorization or not authorization.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(authorization[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        hashed = self.users.get(user)
        if hashed is None:
            return False
        key = hashlib.sha256(f"{user}\0{password}\0".encode() + hashed).digest()
        with self._lock:
            if any(hmac.compare_digest(key, seen) for seen in self._verified):
                return True
        try:
            ok = bcrypt.checkpw(password.encode(), hashed)
        except ValueError:
            return False
        if ok:
            with self._lock:
                self._verified.add(key)
        return ok


def _tls(raw: Mapping[str, Any], base: Path, problems: list[str]) -> ssl.SSLContext | None:
    known = {"cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version"}
    problems += [f"tls_server_config.{k}: unknown key" for k in raw if k not in known]
    cert, key = raw.get("cert_file"), raw.get("key_file")
    if not cert or not key:
        problems.append("tls_server_config: needs both cert_file and key_file")
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = _TLS_VERSIONS.get(
        str(raw.get("min_version", "TLS12")), ssl.TLSVersion.TLSv1_2
    )
    if raw.get("min_version") and raw["min_version"] not in _TLS_VERSIONS:
        problems.append(
            f"tls_server_config.min_version: expected TLS12 or TLS13, got {raw['min_version']!r}"
        )
    try:
        context.load_cert_chain(base / str(cert), base / str(key))
    except (OSError, ssl.SSLError) as exc:
        problems.append(
            f"tls_server_config: cannot load {cert} / {key}: "
            f"{getattr(exc, 'strerror', None) or exc}"
        )
        return None
    client_auth = str(raw.get("client_auth_type", "NoClientCert"))
    if client_auth not in _CLIENT_AUTH:
        problems.append(f"tls_server_config.client_auth_type: unknown {client_auth!r}")
    else:
        context.verify_mode = _CLIENT_AUTH[client_auth]
        if context.verify_mode != ssl.CERT_NONE:
            ca = raw.get("client_ca_file")
            if not ca:
                problems.append("tls_server_config: client_auth_type needs client_ca_file")
            else:
                context.load_verify_locations(base / str(ca))
    return context


def load(path: Path) -> WebConfig:
    """Parse and check the file; every problem is reported at once (exit status 2)."""
    origin = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(origin, [f"cannot read the web config: {exc}"]) from None
    if not isinstance(raw, Mapping):
        raise ConfigError(origin, ["expected a mapping with tls_server_config / basic_auth_users"])
    problems = [
        f"{k}: unknown key (supported: tls_server_config, basic_auth_users)"
        for k in raw
        if k not in ("tls_server_config", "basic_auth_users")
    ]
    context = None
    if raw.get("tls_server_config"):
        context = _tls(raw["tls_server_config"], path.parent, problems)
    users: dict[str, bytes] = {}
    for user, hashed in (raw.get("basic_auth_users") or {}).items():
        text = str(hashed)
        if not text.startswith(("$2a$", "$2b$", "$2y$")):
            problems.append(
                f"basic_auth_users.{user}: expected a bcrypt hash "
                "(htpasswd -nBC 10 USER), not a plain password"
            )
            continue
        users[str(user)] = text.encode()
    if problems:
        raise ConfigError(origin, problems)
    return WebConfig(context, users)

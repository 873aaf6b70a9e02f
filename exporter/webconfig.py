"""``--web.config.file``: TLS and basic auth in the format of the Prometheus exporter-toolkit.

Only the keys this exporter implements are accepted; an unknown key is an error rather
than a silently unprotected endpoint. bcrypt is slow on purpose, so a verified
(user, password) pair is remembered by its SHA-256 for the life of the process. An unknown
user costs a bcrypt check too (against a hash of the same cost), so response times do not
tell which user names exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt

from exporter.settings import (
    ANY,
    FILE_PATH,
    NAME,
    Problems,
    Section,
    Setting,
    choice,
    join,
    load_yaml,
)

_TLS_VERSIONS = {"TLS12": ssl.TLSVersion.TLSv1_2, "TLS13": ssl.TLSVersion.TLSv1_3}
_CLIENT_AUTH = {
    "NoClientCert": ssl.CERT_NONE,
    "RequestClientCert": ssl.CERT_OPTIONAL,
    "RequireAnyClientCert": ssl.CERT_REQUIRED,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
_BCRYPT = re.compile(r"\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}")
# Probes must work without credentials (Docker HEALTHCHECK, Kubernetes probes).
OPEN_PATHS = frozenset({"/healthz", "/readyz"})

SETTINGS: tuple[Setting[Any], ...] = (
    CERT_FILE := Setting[Path | None](
        "tls_server_config.cert_file", FILE_PATH, None, "server certificate (PEM)"
    ),
    KEY_FILE := Setting[Path | None](
        "tls_server_config.key_file", FILE_PATH, None, "its private key (PEM)"
    ),
    CLIENT_AUTH := Setting(
        "tls_server_config.client_auth_type",
        choice(*_CLIENT_AUTH),
        "NoClientCert",
        "whether clients must show a certificate",
    ),
    CLIENT_CA := Setting[Path | None](
        "tls_server_config.client_ca_file",
        FILE_PATH,
        None,
        "CA that client certificates are checked against",
    ),
    MIN_VERSION := Setting(
        "tls_server_config.min_version", choice(*_TLS_VERSIONS), "TLS12", "oldest TLS version"
    ),
    USERS := Setting("basic_auth_users", ANY, None, "user name: bcrypt hash"),
)


def _cost(hashed: bytes) -> int:
    return int(hashed[4:6])


@dataclass(frozen=True)
class WebConfig:
    ssl_context: ssl.SSLContext | None = None
    users: Mapping[str, bytes] = field(default_factory=dict)
    _verified: set[bytes] = field(default_factory=set, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False)
    # Checked for an unknown user: made at the users' highest cost, so that a wrong name
    # takes as long as a wrong password.
    _dummy: bytes = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        cost = max((_cost(h) for h in self.users.values()), default=0)
        dummy = bcrypt.hashpw(b"", bcrypt.gensalt(rounds=cost)) if cost else b""
        object.__setattr__(self, "_dummy", dummy)

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
        known = self.users.get(user)
        hashed = self._dummy if known is None else known
        key = hashlib.sha256(f"{user}\0{password}\0".encode() + hashed).digest()
        with self._lock:
            if known is not None and any(hmac.compare_digest(key, v) for v in self._verified):
                return True
        try:
            ok = bcrypt.checkpw(password.encode(), hashed) and known is not None
        except ValueError:
            return False
        if ok:
            with self._lock:
                self._verified.add(key)
        return ok


def _tls(tls: Section, base: Path) -> ssl.SSLContext | None:
    problems = tls.problems
    if not tls.raw:
        return None  # absent or empty: plain HTTP, as in the exporter-toolkit
    cert, key = tls.get(CERT_FILE), tls.get(KEY_FILE)
    client_auth, min_version = tls.get(CLIENT_AUTH), tls.get(MIN_VERSION)
    ca = tls.get(CLIENT_CA)
    if cert is None or key is None:
        problems.add("tls_server_config", "needs both cert_file and key_file")
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = _TLS_VERSIONS[min_version]
    try:
        context.load_cert_chain(base / cert, base / key)
    except (OSError, ssl.SSLError) as exc:
        problems.add(
            "tls_server_config",
            f"cannot load {cert} / {key}: {getattr(exc, 'strerror', None) or exc}",
        )
        return None
    context.verify_mode = _CLIENT_AUTH[client_auth]
    if context.verify_mode == ssl.CERT_NONE:
        return context
    if ca is None:
        problems.add("tls_server_config", "client_auth_type needs client_ca_file")
        return None
    try:
        context.load_verify_locations(base / ca)
    except (OSError, ssl.SSLError) as exc:
        problems.add(CLIENT_CA.key, f"cannot load {ca}: {getattr(exc, 'strerror', None) or exc}")
        return None
    return context


def _users(raw: object, problems: Problems) -> dict[str, bytes]:
    # Values are never shown: a "hash" that is not one is most likely a plain password.
    users: dict[str, bytes] = {}
    if raw is None:
        return users
    if not isinstance(raw, Mapping):
        problems.add(
            USERS.key, f"expected a mapping of user name to bcrypt hash, got a {type(raw).__name__}"
        )
        return users
    for user, hashed in raw.items():
        path = join(USERS.key, user)
        name = NAME(user, path, problems)
        if name is None:
            continue
        if ":" in name:
            problems.add(path, "a user name cannot contain ':' (Basic auth splits on it)")
        elif not isinstance(hashed, str) or not _BCRYPT.fullmatch(hashed.strip()):
            problems.add(
                path, "expected a bcrypt hash (htpasswd -nBC 10 USER), not a plain password"
            )
        else:
            users[name] = hashed.strip().encode()
    return users


def build(raw: object, base: Path, origin: str = "web config") -> WebConfig:
    """Check a parsed web config (paths relative to ``base``); every problem at once."""
    problems = Problems()
    top = Section(raw, "", SETTINGS, problems)
    context = _tls(top.section("tls_server_config"), base)
    users = _users(top.get(USERS), problems)
    problems.check(origin)
    return WebConfig(context, users)


def load(path: Path) -> WebConfig:
    """Parse and check the file; every problem is reported at once (exit status 2)."""
    return build(load_yaml(path), path.parent, str(path))

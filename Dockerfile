# syntax=docker/dockerfile:1
#
# github-copilot-exporter container image.
#
#   docker build -t github-copilot-exporter .
#   docker run --rm -p 9185:9185 --read-only --tmpfs /tmp github-copilot-exporter        # demo data
#   docker run --rm -p 9185:9185 --read-only --tmpfs /tmp -e GITHUB_TOKEN \
#     -v "$PWD/config.yml:/etc/copilot-exporter/config.yml:ro" \
#     github-copilot-exporter --config.file=/etc/copilot-exporter/config.yml
#
# See docs/deployment.md.

# The base of both stages: any image with python3 and its venv module (ensurepip). The test
# suite builds on a Debian image it makes with mmdebstrap (tests/test_image.py). Spelt out in
# full, as podman resolves no short name without a configured search registry.
ARG PYTHON_IMAGE=docker.io/library/python:3.12-slim

# --- builder: turn the source tree into wheels (the project's and its dependencies') ---------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY exporter/ ./exporter/
# The dependencies' versions are bounded by pyproject.toml; every one of them ships binary
# wheels for CPython 3.11 and 3.12 on amd64 and arm64, so this stage needs no compiler either.
# pip comes from a venv, as a Debian base has no pip outside one.
# A machine that reaches PyPI only through its own index or a TLS-intercepting proxy passes
# pip's settings as build secrets (docs/deployment.md): `--secret id=pip.conf,src=FILE`, and
# `--secret id=ca.crt,src=BUNDLE` for a pip.conf whose `cert` is /run/secrets/ca.crt. A
# secret is mounted for this RUN only, so no index credential reaches a layer or the history.
RUN --mount=type=secret,id=pip.conf,target=/etc/pip.conf \
    --mount=type=secret,id=ca.crt \
    python3 -m venv /build \
    && /build/bin/pip wheel --wheel-dir /wheels .

# --- runtime -------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# PYTHONDONTWRITEBYTECODE: no .pyc writes, so the root filesystem can be read-only.
# HOME=/tmp: anything that insists on a home directory gets the one writable place.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/tmp \
    PATH=/opt/copilot-exporter/bin:$PATH

LABEL org.opencontainers.image.title="github-copilot-exporter" \
      org.opencontainers.image.licenses="Apache-2.0"

# A fixed numeric UID/GID (the "nonroot" id of distroless images): Kubernetes can check
# runAsNonRoot against it, and volume permissions can be planned for it.
RUN groupadd --system --gid 65532 copilot \
    && useradd --system --no-log-init --uid 65532 --gid 65532 \
        --home-dir /nonexistent --shell /usr/sbin/nologin copilot \
    && mkdir -p /var/lib/copilot-exporter /etc/copilot-exporter \
    && chown 65532:65532 /var/lib/copilot-exporter

# Install from the builder's wheels only (--no-index: nothing is fetched here), through a
# bind mount so the wheels never become a layer of this image. A venv, because a Debian
# base refuses pip installs into its own Python (PEP 668); PATH puts it first.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    python3 -m venv /opt/copilot-exporter \
    && /opt/copilot-exporter/bin/pip install --no-index --find-links=/wheels \
        /wheels/github_copilot_exporter-*.whl

# State (the last complete report day per scope) survives restarts when this is a volume.
VOLUME ["/var/lib/copilot-exporter"]

USER 65532:65532

EXPOSE 9185

# python:3.12-slim has no curl or wget, so Python asks /healthz: over HTTP, and over HTTPS
# when the listener speaks TLS (--web.config.file) and drops the plain request. The
# certificate is not verified: the check talks to its own container over loopback, and the
# certificate names the service, not 127.0.0.1. Any answer but a 2xx (urlopen raises
# HTTPError) is unhealthy at once; so is neither scheme answering within 2s each.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import ssl, sys, urllib.request as r\nloopback = ssl._create_unverified_context()\nfor url in ('http://127.0.0.1:9185/healthz', 'https://127.0.0.1:9185/healthz'):\n    try:\n        r.urlopen(url, timeout=2, context=loopback)\n        sys.exit(0)\n    except r.HTTPError:\n        sys.exit(1)\n    except OSError:\n        pass\nsys.exit(1)"]

# With no arguments and no GITHUB_TOKEN the exporter serves demo data. For real data pass
# --config.file=/etc/copilot-exporter/config.yml (or set COPILOT_EXPORTER_CONFIG); the token
# comes from $GITHUB_TOKEN or from the config's github.token_file (e.g. a secret mounted at
# /run/secrets/github-token).
ENTRYPOINT ["copilot-exporter"]
CMD []

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

ARG PYTHON_IMAGE=python:3.12-slim

# --- builder: turn the source tree into wheels (the project's and its dependencies') ---------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY exporter/ ./exporter/
# The dependencies' versions are bounded by pyproject.toml; every one of them ships binary
# wheels for CPython 3.12 on amd64 and arm64, so this stage needs no compiler either.
RUN pip wheel --wheel-dir /wheels .

# --- runtime -------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# PYTHONDONTWRITEBYTECODE: no .pyc writes, so the root filesystem can be read-only.
# HOME=/tmp: anything that insists on a home directory gets the one writable place.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/tmp

# A fixed numeric UID/GID (the "nonroot" id of distroless images): Kubernetes can check
# runAsNonRoot against it, and volume permissions can be planned for it.
RUN groupadd --system --gid 65532 copilot \
    && useradd --system --no-log-init --uid 65532 --gid 65532 \
        --home-dir /nonexistent --shell /usr/sbin/nologin copilot \
    && mkdir -p /var/lib/copilot-exporter /etc/copilot-exporter \
    && chown 65532:65532 /var/lib/copilot-exporter

# Install from the builder's wheels only (--no-index: nothing is fetched here), through a
# bind mount so the wheels never become a layer of this image.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels /wheels/github_copilot_exporter-*.whl

# State (the last complete report day per scope) survives restarts when this is a volume.
VOLUME ["/var/lib/copilot-exporter"]

USER 65532:65532

EXPOSE 9185

# python:3.12-slim has no curl or wget. urlopen raises on anything but a 2xx answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; urllib.request.urlopen('http://127.0.0.1:9185/healthz', timeout=4); sys.exit(0)"]

# With no arguments and no GITHUB_TOKEN the exporter serves demo data. For real data pass
# --config.file=/etc/copilot-exporter/config.yml (or set COPILOT_EXPORTER_CONFIG); the token
# comes from $GITHUB_TOKEN or from the config's github.token_file (e.g. a secret mounted at
# /run/secrets/github-token).
ENTRYPOINT ["copilot-exporter"]
CMD []

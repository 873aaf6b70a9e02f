"""The container image, built from the Dockerfile and run for real with podman.

No Docker engine is needed. The base of both stages is a Debian bookworm made here with
mmdebstrap (python3 and its venv module) and imported into podman, passed as the
Dockerfile's PYTHON_IMAGE; a normal `docker build` keeps python:3.12-slim. Both are cached,
keyed by a hash of their inputs: the base as a tarball in CACHE_DIR and as an image, the
built image under a tag naming the hash of the build context, so a rerun with unchanged
sources builds nothing (`podman rmi` the tag to force a build).

Why the podman flags are what they are (podman 4.3, Debian bookworm):
- `--format docker`: the OCI image format has no HEALTHCHECK.
- `--no-cache --layers=false`: podman 4.3 loses a `RUN --mount=type=bind,from=<stage>` when
  that stage comes from its cache; without layers no dangling stage images pile up either.
- `--ulimit`: podman's defaults for root (a million open files, millions of processes) exceed
  what a sandboxed host grants, and runc then fails to start the container.
- pip's index and CA settings of this machine go in as build secrets (a generated pip.conf
  and the CA bundle), so no index credential reaches a layer or the image history.

Locally a missing podman or mmdebstrap (or a user other than root, which rootful podman and
mmdebstrap need) skips these tests with the install command; under CI (CI=true) it fails them.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import resource
import shutil
import ssl
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

from tests.helpers import samples, self_signed_certificate, value
from tests.prom import free_port

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = Path("/var/tmp/github-copilot-exporter-image")
BASE_SUITE = "bookworm"
BASE_PACKAGES = ("python3", "python3-venv")
BASE_REPOSITORY = "localhost/github-copilot-exporter-base"
IMAGE_REPOSITORY = "localhost/github-copilot-exporter-test"
# What the build copies (the .dockerignore allow-list), and what decides how it builds.
BUILD_INPUTS = ("Dockerfile", ".dockerignore", "pyproject.toml", "README.md", "LICENSE")
EXPORTER_PORT = 9185
USER_ID = 65532
INSTALL_HINT = "apt-get install --no-install-recommends podman runc mmdebstrap"
IN_CI = os.environ.get("CI") == "true"

# sha256 of the Apache License 2.0 terms (up to "END OF TERMS AND CONDITIONS", whitespace
# collapsed): the appendix after them may carry a project's own copyright line.
LICENCE_TERMS_SHA256 = {
    "Apache-2.0": "09ae9bf1886f530f7338889ef805f37b288ec6adedd1e1e32058921acf05a782",
}


def declared_licence() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        licence: str = tomllib.load(file)["project"]["license"]
    return licence


def licence_terms_sha256(text: str) -> str:
    terms = text.partition("END OF TERMS AND CONDITIONS")[0]
    return hashlib.sha256(" ".join(terms.split()).encode()).hexdigest()


def test_licence_file_holds_the_full_terms_of_the_declared_licence() -> None:
    declared = declared_licence()
    assert declared in LICENCE_TERMS_SHA256, f"pyproject.toml declares {declared}: add its hash"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "END OF TERMS AND CONDITIONS" in text, "LICENSE holds the whole licence"
    assert licence_terms_sha256(text) == LICENCE_TERMS_SHA256[declared], (
        f"LICENSE is not the text of {declared}, the licence pyproject.toml declares"
    )


# --- podman ------------------------------------------------------------------------------


def _missing(message: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"{message}. CI must run this test.")
    pytest.skip(message)


def require_podman() -> None:
    missing = [name for name in ("podman", "mmdebstrap") if shutil.which(name) is None]
    if missing:
        _missing(f"{' and '.join(missing)} not found on PATH; as root: {INSTALL_HINT}")
    if os.geteuid() != 0:
        _missing("the image tests run as root (rootful podman, mmdebstrap in root mode)")


def podman(*args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"podman {args[0]} exited with {result.returncode}:\n{result.stderr[-4000:]}"
        )
    return result


def ulimits() -> list[str]:
    """This host's hard limits, which a container may always have."""
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    # A sandboxed kernel also refuses an nproc limit above kernel.pid_max.
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text(encoding="ascii"))
    nofile = 1048576 if nofile == resource.RLIM_INFINITY else nofile
    nproc = pid_max if nproc == resource.RLIM_INFINITY else min(nproc, pid_max)
    return ["--ulimit", f"nofile={nofile}:{nofile}", "--ulimit", f"nproc={nproc}:{nproc}"]


def digest(*parts: bytes) -> str:
    hashed = hashlib.sha256()
    for part in parts:
        hashed.update(hashlib.sha256(part).digest())
    return hashed.hexdigest()[:16]


def base_image() -> str:
    """A Debian base with python3 and venv, made once and kept as a tarball and an image."""
    argv = [
        "mmdebstrap",
        "--variant=minbase",
        f"--include={','.join(BASE_PACKAGES)}",
        "--format=tar",
        BASE_SUITE,
    ]
    tag = f"{BASE_REPOSITORY}:{digest(json.dumps(argv).encode())}"
    if podman("image", "exists", tag, check=False).returncode == 0:
        return tag
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tarball = CACHE_DIR / f"base-{tag.rpartition(':')[2]}.tar"
    if not tarball.is_file():
        partial = tarball.with_name(f"{tarball.name}.{os.getpid()}.partial")
        result = subprocess.run(
            [*argv, str(partial)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0:
            partial.unlink(missing_ok=True)
            raise AssertionError(f"mmdebstrap failed:\n{result.stderr[-4000:]}")
        partial.rename(tarball)  # atomic: a concurrent run sees a whole tarball or none
        for stale in CACHE_DIR.glob("base-*.tar"):
            if stale != tarball:
                stale.unlink(missing_ok=True)
    podman("import", str(tarball), tag, timeout=300)
    listed = podman("images", "--format={{.Repository}}:{{.Tag}}", BASE_REPOSITORY).stdout
    for older in set(listed.split()) - {tag}:
        podman("rmi", older, check=False)  # one an image still builds on stays
    return tag


def pip_config() -> dict[str, str]:
    """This machine's pip settings for `pip wheel`, as pip ranks them: environment first,
    then the [wheel] section, then [global]."""
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    ranked: dict[str, tuple[int, str]] = {}
    rank = {":env:": 0, "wheel": 1, "global": 2}
    for line in listed.splitlines():
        match = re.fullmatch(r"([^.]+)\.([\w-]+)=(.*)", line)
        if match is None or match.group(1) not in rank:
            continue
        key, priority = match.group(2), rank[match.group(1)]
        if key not in ranked or priority < ranked[key][0]:
            ranked[key] = (priority, str(ast.literal_eval(match.group(3))))
    return {key: setting for key, (_, setting) in ranked.items()}


def pip_secrets(workdir: Path) -> list[str]:
    """`--secret` arguments giving pip in the build this machine's index and CA bundle.

    Indexes the build cannot reach (file:// ones) are left out; the CA bundle is pip's
    `cert` or the system's. The generated pip.conf may hold an index credential: it is
    written 0600 and is never printed.
    """
    config = pip_config()
    lines = ["[global]"]
    for key in ("index-url", "extra-index-url"):
        urls = [url for url in config.get(key, "").split() if url.startswith(("http:", "https:"))]
        if urls:
            lines.append(f"{key} = {' '.join(urls)}")
    if config.get("trusted-host"):
        lines.append(f"trusted-host = {config['trusted-host']}")
    secrets = []
    bundle = next(
        (
            Path(candidate)
            for candidate in (
                config.get("cert"),
                os.environ.get("SSL_CERT_FILE"),
                "/etc/ssl/certs/ca-certificates.crt",
            )
            if candidate and Path(candidate).is_file()
        ),
        None,
    )
    if bundle is not None:
        secrets += ["--secret", f"id=ca.crt,src={bundle}"]
        lines.append("cert = /run/secrets/ca.crt")
    if len(lines) == 1:
        return []
    conf = workdir / "pip.conf"
    conf.touch(mode=0o600)
    conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [*secrets, "--secret", f"id=pip.conf,src={conf}"]


def build_context_files() -> list[Path]:
    found = [ROOT / name for name in BUILD_INPUTS]
    found += [
        path
        for path in (ROOT / "exporter").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    ]
    return sorted(found)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The image built from the Dockerfile on the mmdebstrap base (reused while the build
    context, the Dockerfile and the base are unchanged)."""
    require_podman()
    base = base_image()
    inputs = [base.encode()]
    for path in build_context_files():
        inputs += [str(path.relative_to(ROOT)).encode(), path.read_bytes()]
    tag = f"{IMAGE_REPOSITORY}:{digest(*inputs)}"
    if podman("image", "exists", tag, check=False).returncode == 0:
        return tag
    workdir = tmp_path_factory.mktemp("build")
    podman(
        "build",
        "--format=docker",
        "--no-cache",
        "--layers=false",
        "--pull=never",
        *ulimits(),
        "--build-arg",
        f"PYTHON_IMAGE={base}",
        *pip_secrets(workdir),
        "--tag",
        tag,
        "--file",
        str(ROOT / "Dockerfile"),
        str(ROOT),
        timeout=900,
    )
    # Images of older sources go; an hour's grace for another checkout's run on this machine.
    listed = podman(
        "images",
        f"--filter=reference={IMAGE_REPOSITORY}",
        "--filter=until=1h",
        "--format={{.Repository}}:{{.Tag}}",
    ).stdout
    for stale in set(listed.split()) - {tag}:
        podman("rmi", stale, check=False)
    return tag


@dataclass(frozen=True)
class Container:
    name: str
    url: str  # the exporter's listener, published on a loopback port of the host

    def logs(self) -> str:
        result = podman("logs", self.name, check=False)
        return (result.stdout + result.stderr)[-4000:]

    def healthcheck(self) -> subprocess.CompletedProcess[str]:
        """The image's own HEALTHCHECK command, run once inside the container."""
        return podman("healthcheck", "run", self.name, timeout=30, check=False)


@contextmanager
def running(
    image: str,
    *args: str,
    options: Sequence[str] = (),
    port: int = EXPORTER_PORT,
    scheme: str = "http",
) -> Iterator[Container]:
    """The image run as Docker's documentation runs it: a read-only root with a tmpfs on
    /tmp only (podman would add more), as the image's own user."""
    host_port = free_port()
    name = f"copilot-exporter-test-{uuid.uuid4().hex[:12]}"
    podman(
        "run",
        "--detach",
        f"--name={name}",
        "--read-only",
        "--read-only-tmpfs=false",
        "--tmpfs=/tmp",
        *ulimits(),
        f"--publish=127.0.0.1:{host_port}:{port}",
        *options,
        image,
        *args,
    )
    try:
        yield Container(name, f"{scheme}://127.0.0.1:{host_port}")
    finally:
        podman("rm", "--force", "--time=0", name, check=False)


def wait_for_metrics(container: Container, verify: ssl.SSLContext | bool = True) -> str:
    """The first /metrics body with the demo's scopes in it (the first refresh is done)."""
    deadline = time.monotonic() + 30
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{container.url}/metrics", timeout=2, verify=verify)
            last = f"HTTP {response.status_code}"
            scopes = [key for key in samples(response.text) if key.startswith("github_copilot_up{")]
            if response.status_code == 200 and scopes:
                return response.text
        except httpx.TransportError as exc:
            last = repr(exc)
        time.sleep(0.3)
    raise AssertionError(f"/metrics not ready after 30s ({last}); logs:\n{container.logs()}")


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_image_declares_and_ships_the_licence(image: str) -> None:
    labels = json.loads(podman("image", "inspect", image, "--format={{json .Labels}}").stdout)
    assert labels["org.opencontainers.image.licenses"] == declared_licence()
    shipped = podman(
        "run",
        "--rm",
        "--network=none",
        *ulimits(),
        "--entrypoint=python",
        image,
        "-c",
        "import importlib.metadata as m\n"
        "d = m.distribution('github-copilot-exporter')\n"
        "print(d.metadata['License-Expression'])\n"
        "(f,) = [f for f in d.files if f.name == 'LICENSE']\n"
        "print(f.read_text(), end='')",
    ).stdout
    expression, _, text = shipped.partition("\n")
    assert expression == declared_licence()
    assert text == (ROOT / "LICENSE").read_text(encoding="utf-8")


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_image_keeps_none_of_the_build_secrets(image: str) -> None:
    found = podman(
        "run",
        "--rm",
        "--network=none",
        *ulimits(),
        "--entrypoint=python",
        image,
        "-c",
        "import glob; print(glob.glob('/etc/pip.conf') + glob.glob('/run/secrets/*'))",
    ).stdout
    assert found.strip() == "[]"
    history = podman("history", "--no-trunc", "--format={{.CreatedBy}}", image).stdout
    assert "pip.conf" not in history, "the builder's RUN is not part of the runtime image"


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_image_serves_demo_metrics_read_only_as_65532_and_stops_at_once_on_sigterm(
    image: str,
) -> None:
    with running(image) as container:
        body = wait_for_metrics(container)
        assert value(body, "github_copilot_exporter_build_info", mode="demo") == 1

        status = podman("exec", container.name, "cat", "/proc/1/status").stdout
        assert re.search(rf"^Uid:\s+{USER_ID}\s+{USER_ID}\s", status, re.MULTILINE), status
        assert re.search(rf"^Gid:\s+{USER_ID}\s+{USER_ID}\s", status, re.MULTILINE), status
        as_root = podman("exec", "--user=0", container.name, "touch", "/probe", check=False)
        assert as_root.returncode != 0
        assert "Read-only file system" in as_root.stderr, "even root cannot write to /"

        check = container.healthcheck()
        assert check.returncode == 0, check.stdout + check.stderr
        health = podman("inspect", container.name, "--format={{.State.Health.Status}}").stdout
        assert health.strip() == "healthy"

        podman("kill", "--signal=TERM", container.name)
        started = time.monotonic()
        exit_code = podman("wait", container.name, timeout=30).stdout.strip()
        took = time.monotonic() - started
        assert exit_code == "0", container.logs()
        assert took < 5, f"SIGTERM took {took:.1f}s"
        assert "shutting down" in container.logs()


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_image_healthcheck_passes_when_the_exporter_serves_tls(image: str, tmp_path: Path) -> None:
    tls = tmp_path / "tls"
    tls.mkdir(mode=0o755)
    cert_file, key_file = self_signed_certificate(tls)
    (tls / "web.yml").write_text(
        f"tls_server_config:\n  cert_file: {cert_file.name}\n  key_file: {key_file.name}\n",
        encoding="utf-8",
    )
    for path in (tls, cert_file, key_file, tls / "web.yml"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # readable by the image's user
    web = "/etc/copilot-exporter/tls"
    with running(
        image,
        f"--web.config.file={web}/web.yml",
        options=[f"--volume={tls}:{web}:ro"],
        scheme="https",
    ) as container:
        trust = ssl.create_default_context(cafile=str(cert_file))
        wait_for_metrics(container, verify=trust)
        plain = container.url.replace("https:", "http:")
        with pytest.raises(httpx.TransportError):  # TLS only: the check must speak it too
            httpx.get(f"{plain}/healthz", timeout=3)

        check = container.healthcheck()
        assert check.returncode == 0, check.stdout + check.stderr + container.logs()


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_image_healthcheck_fails_while_nothing_answers_on_its_port(image: str) -> None:
    with running(image, "--web.listen-address=:9186", port=9186) as container:
        wait_for_metrics(container)
        check = container.healthcheck()
        assert check.returncode != 0
        assert "unhealthy" in check.stdout

"""The deployment artefacts: Dockerfile, the compose stack, the Kubernetes manifests.

External tools (hadolint, promtool, amtool, kubectl) and the kubernetes-validate schemas are
skipped with a message when missing locally; under CI (CI=true) a missing one fails the test.
"""

from __future__ import annotations

import http.server
import importlib
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any, NoReturn

import pytest
import yaml

from exporter import cli
from exporter import config as exporter_config
from tests.helpers import self_signed_certificate

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE_DIR = ROOT / "deploy" / "docker-compose"
COMPOSE_FILE = COMPOSE_DIR / "compose.yaml"
RULES_DIR = ROOT / "deploy" / "prometheus"
DASHBOARDS_DIR = ROOT / "grafana" / "dashboards"
K8S_DIR = ROOT / "deploy" / "kubernetes"
K8S_BASE = K8S_DIR / "base"
K8S_OVERLAY = K8S_DIR / "overlays" / "example"
GENERATE = ROOT / "deploy" / "generate.py"

IN_CI = os.environ.get("CI", "").lower() == "true"
EXPORTER_JOB = "github-copilot-exporter"
EXPORTER_PORT = 9185
STATE_DIR = PurePosixPath("/var/lib/copilot-exporter")
K8S_VERSION = "1.31"
BUILTIN_KINDS = {"Deployment", "Service", "ConfigMap", "Namespace", "Secret"}
CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}


def _missing(what: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"{what} is not installed, and CI must run this test")
    pytest.skip(f"{what} is not installed")


def require_tool(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        _missing(name)
    return found


def run(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rule_files() -> list[Path]:
    """deploy/prometheus/ rule files: YAML with a top-level groups list (as generate.py)."""
    found = sorted([*RULES_DIR.glob("*.yml"), *RULES_DIR.glob("*.yaml")])
    return [path for path in found if "groups" in (load_yaml(path) or {})]


def dashboard_files() -> list[Path]:
    return sorted(DASHBOARDS_DIR.glob("*.json"))


# --- Dockerfile ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


def dockerfile_stages() -> tuple[dict[str, str], list[list[Instruction]]]:
    """The global ARG defaults and the instructions of each stage (FROM first)."""
    instructions: list[Instruction] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue  # comments may also sit between continuation lines
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, args = (pending + stripped).partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip()))
        pending = ""
    global_args: dict[str, str] = {}
    stages: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            stages.append([instruction])
        elif stages:
            stages[-1].append(instruction)
        elif instruction.keyword == "ARG":
            name, _, default = instruction.args.partition("=")
            global_args[name] = default
    return global_args, stages


def stage_base(instruction: Instruction, global_args: dict[str, str]) -> str:
    """The stage's base image with ARG defaults filled in, as Docker Hub's short name when it
    is one (the Dockerfile spells it out in full, as podman asks)."""
    image = instruction.args.split()[0]
    image = re.sub(r"\$\{?(\w+)\}?", lambda m: global_args.get(m.group(1), m.group(0)), image)
    return image.removeprefix("docker.io/library/")


@pytest.mark.integration
def test_dockerfile_passes_hadolint() -> None:
    hadolint = require_tool("hadolint")
    result = run(hadolint, "--no-color", str(DOCKERFILE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_is_built_as_a_wheel_then_installed_into_python_312_slim() -> None:
    global_args, stages = dockerfile_stages()
    assert len(stages) >= 2, "a builder stage and a runtime stage"
    builder_runs = " ".join(i.args for i in stages[0] if i.keyword == "RUN")
    assert "pip wheel" in builder_runs or "-m build" in builder_runs
    runtime = stages[-1]
    assert stage_base(runtime[0], global_args) == "python:3.12-slim"
    installs = [i.args for i in runtime if i.keyword == "RUN" and "pip install" in i.args]
    assert installs, "the runtime stage installs the wheel"
    assert all("from=builder" in args and "--no-index" in args for args in installs), (
        "the runtime installs only the builder's wheels, fetching nothing"
    )


def test_runtime_image_has_no_compilers() -> None:
    _, stages = dockerfile_stages()
    runtime_runs = " ".join(i.args for i in stages[-1] if i.keyword == "RUN")
    for word in ("apt-get install", "build-essential", "gcc", "g++", "clang", "python3-dev"):
        assert word not in runtime_runs


def test_runtime_image_runs_as_a_numeric_non_root_user() -> None:
    _, stages = dockerfile_stages()
    runtime = stages[-1]
    users = [i.args for i in runtime if i.keyword == "USER"]
    assert users, "the runtime stage sets USER"
    match = re.fullmatch(r"(\d+)(?::(\d+))?", users[-1])
    assert match, f"USER {users[-1]}: Kubernetes' runAsNonRoot needs a numeric UID"
    assert int(match.group(1)) != 0
    last_user = max(n for n, i in enumerate(runtime) if i.keyword == "USER")
    assert all(i.keyword != "RUN" for i in runtime[last_user:]), "nothing runs as root after USER"


def test_runtime_image_suits_a_read_only_root_filesystem() -> None:
    _, stages = dockerfile_stages()
    runtime = stages[-1]
    env = " ".join(i.args for i in runtime if i.keyword == "ENV")
    assert re.search(r"\bPYTHONDONTWRITEBYTECODE=1\b", env)
    volumes = [json.loads(i.args) for i in runtime if i.keyword == "VOLUME"]
    assert [str(STATE_DIR)] in volumes
    assert [i.args for i in runtime if i.keyword == "EXPOSE"] == [str(EXPORTER_PORT)]
    entrypoint = [json.loads(i.args) for i in runtime if i.keyword == "ENTRYPOINT"]
    assert entrypoint == [["copilot-exporter"]]


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        code = self.status if self.path == "/healthz" else 404
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_healthcheck_succeeds_only_while_healthz_answers_ok(
    health_server: http.server.HTTPServer,
) -> None:
    _, stages = dockerfile_stages()
    checks = [i.args for i in stages[-1] if i.keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    _, _, exec_form = checks[0].partition(" CMD ")
    argv = json.loads(exec_form)
    assert argv[:2] == ["python", "-c"]
    url = f"http://127.0.0.1:{EXPORTER_PORT}/healthz"
    assert url in argv[2]

    port = health_server.server_address[1]
    code = argv[2].replace(f":{EXPORTER_PORT}/", f":{port}/")
    assert run(sys.executable, "-c", code).returncode == 0
    _Health.status = 503
    try:
        assert run(sys.executable, "-c", code).returncode != 0
    finally:
        _Health.status = 200
    health_server.shutdown()
    health_server.server_close()
    assert run(sys.executable, "-c", code).returncode != 0, "nothing listening"


def healthcheck_code(port: int) -> str:
    """The Python of the image's HEALTHCHECK, pointed at ``port`` instead of the exporter's."""
    _, stages = dockerfile_stages()
    (check,) = [i.args for i in stages[-1] if i.keyword == "HEALTHCHECK"]
    argv = json.loads(check.partition(" CMD ")[2])
    code: str = argv[2]
    return code.replace(f":{EXPORTER_PORT}/", f":{port}/")


@pytest.fixture
def tls_health_server(tmp_path: Path) -> Iterator[http.server.HTTPServer]:
    """A /healthz over TLS with a self-signed certificate, as with --web.config.file."""
    cert_file, key_file = self_signed_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_healthcheck_also_answers_for_an_exporter_serving_tls(
    tls_health_server: http.server.HTTPServer,
) -> None:
    code = healthcheck_code(tls_health_server.server_address[1])
    assert run(sys.executable, "-c", code).returncode == 0
    _Health.status = 503
    try:
        assert run(sys.executable, "-c", code).returncode != 0
    finally:
        _Health.status = 200


def test_dockerignore_lets_in_only_what_the_image_copies() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*", "start from nothing, so no .venv, .git or token file gets in"
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    _, stages = dockerfile_stages()
    copies = [i.args.split() for stage in stages for i in stage if i.keyword == "COPY"]
    sources = {
        src.rstrip("/")
        for args in copies
        if "--from" not in " ".join(args)
        for src in args[:-1]
        if not src.startswith("--")
    }
    assert sources <= allowed


# --- docker compose -------------------------------------------------------------------------

_INTERPOLATION = re.compile(r"\$\$|\$\{(\w+)(?:(:?[-+])([^}]*))?\}|\$(\w+)")


def interpolate(value: str, env: Mapping[str, str] | None = None) -> str:
    """Compose's interpolation: ${V}, ${V:-default}, ${V-default}, ${V:+alt}, ${V+alt}, $$."""
    env = {} if env is None else env

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        operator, word = match.group(2), match.group(3)
        is_set = name in env
        has_value = bool(env.get(name))
        if operator == ":-":
            return env[name] if has_value else word
        if operator == "-":
            return env[name] if is_set else word
        if operator == ":+":
            return word if has_value else ""
        if operator == "+":
            return word if is_set else ""
        return env.get(name, "")

    return _INTERPOLATION.sub(replace, value)


@dataclass(frozen=True)
class Mount:
    source: str  # a host path (relative to deploy/docker-compose/) or a named volume
    target: PurePosixPath

    @property
    def is_bind(self) -> bool:
        return self.source.startswith((".", "/", "~"))

    @property
    def host_path(self) -> Path:
        return (COMPOSE_DIR / self.source).resolve()


def compose() -> dict[str, Any]:
    doc = load_yaml(COMPOSE_FILE)
    assert isinstance(doc, dict)
    return doc


def service(name: str) -> dict[str, Any]:
    services: dict[str, dict[str, Any]] = compose()["services"]
    assert name in services, f"compose.yaml has no service {name!r}"
    return services[name]


def mounts(name: str, host_env: Mapping[str, str] | None = None) -> list[Mount]:
    found = []
    for entry in service(name).get("volumes", []):
        assert isinstance(entry, str), "short volume syntax expected"
        source, target, *_ = interpolate(entry, host_env).split(":")
        found.append(Mount(source, PurePosixPath(target)))
    return found


def host_path_of(name: str, container_path: str) -> Path:
    """Where a file seen by a compose service at container_path lives on the host."""
    path = PurePosixPath(container_path)
    for mount in mounts(name):
        if mount.is_bind and (path == mount.target or mount.target in path.parents):
            return mount.host_path / path.relative_to(mount.target)
    raise AssertionError(f"{name}: nothing mounted at {container_path}")


def test_compose_runs_exporter_prometheus_alertmanager_and_grafana() -> None:
    exporter = service("exporter")
    assert (
        COMPOSE_DIR / exporter["build"]["context"] / exporter["build"]["dockerfile"]
    ).resolve() == DOCKERFILE
    assert service("prometheus")["image"].startswith("prom/prometheus:")
    assert service("alertmanager")["image"].startswith("prom/alertmanager:")
    assert service("grafana")["image"].startswith("grafana/grafana:")
    services = compose()["services"]
    for name, spec in services.items():
        for dependency in spec.get("depends_on", []):
            assert dependency in services, f"{name} depends on unknown {dependency}"


def test_compose_mount_sources_exist() -> None:
    declared = set(compose().get("volumes") or {})
    for name in compose()["services"]:
        for mount in mounts(name):
            if mount.is_bind:
                assert mount.host_path.exists(), f"{name}: {mount.source} does not exist"
            else:
                assert mount.source in declared, f"{name}: volume {mount.source} not declared"


def test_compose_exporter_runs_read_only_with_state_on_a_volume() -> None:
    exporter = service("exporter")
    assert exporter["read_only"] is True
    assert "/tmp" in exporter["tmpfs"]
    state = [m for m in mounts("exporter") if m.target == STATE_DIR]
    assert len(state) == 1
    assert not state[0].is_bind, "state on a named volume"


def container_environment(name: str, host_env: Mapping[str, str]) -> dict[str, str]:
    environment = service(name).get("environment", {})
    assert isinstance(environment, dict), "mapping syntax expected"
    return {key: interpolate(str(value), host_env) for key, value in environment.items()}


def parse_exporter_args(monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str]) -> Any:
    """The exporter's own argument parsing, inside the container's environment."""
    for key in [k for k in os.environ if k.startswith(("GITHUB_", "COPILOT_EXPORTER_"))]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    command = service("exporter").get("command", [])  # none: the image's empty CMD
    assert "entrypoint" not in service("exporter"), "the image's entrypoint is used"
    return cli.build_parser().parse_args(command)


def test_compose_exporter_serves_demo_data_without_a_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = container_environment("exporter", {})
    args = parse_exporter_args(monkeypatch, env)
    assert args.config_file is None
    assert cli.should_demo(args, env)


def test_compose_exporter_reads_the_mounted_config_with_a_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = container_environment("exporter", {"GITHUB_TOKEN": "ghp_example"})
    assert env["GITHUB_TOKEN"] == "ghp_example"
    args = parse_exporter_args(monkeypatch, env)
    assert not cli.should_demo(args, env)
    assert args.config_file is not None
    config = host_path_of("exporter", str(args.config_file))
    assert_exporter_config(config.read_text(encoding="utf-8"), config, tmp_path, env)

    custom = tmp_path / "mine.yml"
    env = {"GITHUB_TOKEN": "ghp_example", "COPILOT_EXPORTER_CONFIG": str(custom)}
    sources = [m.source for m in mounts("exporter", env)]
    assert str(custom) in sources, "COPILOT_EXPORTER_CONFIG picks the mounted file"


def assert_exporter_config(
    text: str, where: Path, tmp_path: Path, env: Mapping[str, str] | None = None
) -> None:
    """Valid for the exporter's own loader, token-free, with its state on the state volume."""
    raw = yaml.safe_load(text)
    assert "token" not in raw.get("github", {}), f"{where}: no token in a committed file"
    assert STATE_DIR in PurePosixPath(raw["state_file"]).parents, where
    # The state directory exists in the container only: point the check at a local one.
    check_env = {**(env or {}), "COPILOT_EXPORTER_STATE_FILE": str(tmp_path / "state.json")}
    config = exporter_config.build(raw, check_env, str(where))
    assert config.scopes, where


@pytest.fixture
def prometheus_config(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """The compose Prometheus config with its container paths rewritten to host paths."""
    command = service("prometheus")["command"]
    flag = next(arg for arg in command if arg.startswith("--config.file="))
    config_path = host_path_of("prometheus", flag.removeprefix("--config.file="))
    config = load_yaml(config_path)
    config["rule_files"] = [
        str(host_path_of("prometheus", rule)) for rule in config.get("rule_files", [])
    ]
    rewritten = tmp_path / "prometheus.yml"
    rewritten.write_text(yaml.safe_dump(config), encoding="utf-8")
    return rewritten, config


@pytest.mark.integration
def test_prometheus_config_passes_promtool(prometheus_config: tuple[Path, Any]) -> None:
    promtool = require_tool("promtool")
    path, config = prometheus_config
    assert config["rule_files"], "the project's rules are loaded"
    for rule_file in config["rule_files"]:
        assert Path(rule_file).is_file(), f"{rule_file}: mounted rule file missing"
    result = run(promtool, "check", "config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_loads_every_project_rule_file(prometheus_config: tuple[Path, Any]) -> None:
    _, config = prometheus_config
    loaded = {Path(p).resolve() for p in config["rule_files"]}
    expected = {(RULES_DIR / name).resolve() for name in ("alerts.yml", "recording.yml")}
    assert expected <= loaded
    assert {path.resolve() for path in rule_files()} <= loaded


def test_prometheus_scrapes_the_exporter_as_github_copilot_exporter(
    prometheus_config: tuple[Path, Any],
) -> None:
    _, config = prometheus_config
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert re.fullmatch(".*copilot.*", EXPORTER_JOB)
    job = jobs[EXPORTER_JOB]
    targets = [t for static in job["static_configs"] for t in static["targets"]]
    assert targets == [f"exporter:{EXPORTER_PORT}"]
    services = compose()["services"]
    alertmanagers = [
        t
        for am in config["alerting"]["alertmanagers"]
        for static in am["static_configs"]
        for t in static["targets"]
    ]
    assert alertmanagers
    assert all(t.split(":")[0] in services for t in alertmanagers)


@pytest.mark.integration
def test_alertmanager_config_passes_amtool() -> None:
    amtool = require_tool("amtool")
    command = service("alertmanager")["command"]
    flag = next(arg for arg in command if arg.startswith("--config.file="))
    path = host_path_of("alertmanager", flag.removeprefix("--config.file="))
    result = run(amtool, "check-config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def _grafana_provisioning(kind: str) -> list[dict[str, Any]]:
    directory = host_path_of("grafana", f"/etc/grafana/provisioning/{kind}")
    docs = [load_yaml(p) for p in sorted(directory.glob("*.y*ml"))]
    key = "providers" if kind == "dashboards" else "datasources"
    return [item for doc in docs for item in doc.get(key, [])]


def test_grafana_provisions_the_project_dashboards() -> None:
    providers = _grafana_provisioning("dashboards")
    assert providers
    for provider in providers:
        assert provider["type"] == "file"
        assert host_path_of("grafana", provider["options"]["path"]) == DASHBOARDS_DIR.resolve()


def test_grafana_datasource_is_the_compose_prometheus() -> None:
    datasources = _grafana_provisioning("datasources")
    assert [d["type"] for d in datasources] == ["prometheus"]
    assert datasources[0]["url"] == "http://prometheus:9090"
    assert datasources[0]["isDefault"] is True


def _datasource_uids(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        datasource = node.get("datasource")
        if isinstance(datasource, dict) and datasource.get("type") == "prometheus":
            uid = datasource.get("uid")
            if isinstance(uid, str):
                yield uid
        for value in node.values():
            yield from _datasource_uids(value)
    elif isinstance(node, list):
        for item in node:
            yield from _datasource_uids(item)


def test_dashboards_query_the_provisioned_datasource() -> None:
    provisioned = {d["uid"] for d in _grafana_provisioning("datasources")}
    for path in dashboard_files():
        for uid in _datasource_uids(json.loads(path.read_text(encoding="utf-8"))):
            # A template variable ($datasource, ${DS_PROMETHEUS}) resolves to the default.
            assert uid.startswith("$") or uid in provisioned, f"{path.name}: datasource {uid}"


# --- Kubernetes ------------------------------------------------------------------------------


def test_generated_manifests_match_rules_and_dashboards() -> None:
    result = run(sys.executable, str(GENERATE), "--check")
    assert result.returncode == 0, result.stderr


def test_generate_check_names_the_stale_file(tmp_path: Path) -> None:
    (tmp_path / "grafana" / "dashboards").mkdir(parents=True)
    (tmp_path / "deploy" / "prometheus").mkdir(parents=True)
    rules = tmp_path / "deploy" / "prometheus" / "alerts.yml"
    rules.write_text(
        "groups:\n  - name: example\n    rules:\n      - alert: Down\n        expr: up == 0\n",
        encoding="utf-8",
    )
    # The same group name in another file is fine for Prometheus, and so it must be here.
    (tmp_path / "deploy" / "prometheus" / "recording.yml").write_text(
        "groups:\n  - name: example\n    rules:\n      - record: x:up:sum\n        expr: sum(up)\n",
        encoding="utf-8",
    )
    # promtool unit tests are no rule files.
    (tmp_path / "deploy" / "prometheus" / "alerts_test.yml").write_text(
        "rule_files: [alerts.yml]\ntests: []\n", encoding="utf-8"
    )
    dashboard = tmp_path / "grafana" / "dashboards" / "Copilot Usage.json"
    dashboard.write_text('{"title": "Usage", "panels": []}', encoding="utf-8")

    def generate(*args: str) -> subprocess.CompletedProcess[str]:
        return run(sys.executable, str(GENERATE), "--root", str(tmp_path), *args)

    assert generate("--check").returncode == 1
    assert generate().returncode == 0
    assert generate("--check").returncode == 0

    rules.write_text(rules.read_text(encoding="utf-8").replace("up == 0", "up < 1"))
    result = generate("--check")
    assert result.returncode == 1
    assert "stale: deploy/kubernetes/base/generated/prometheusrule.yaml" in result.stderr
    assert "dashboards.yaml" not in result.stderr

    generated = tmp_path / "deploy" / "kubernetes" / "base" / "generated"
    assert generate().returncode == 0
    alerts, recording = yaml.safe_load_all((generated / "prometheusrule.yaml").read_text())
    assert alerts["metadata"]["name"] == "github-copilot-exporter-alerts"
    assert alerts["spec"]["groups"][0]["rules"][0]["expr"] == "up < 1"
    assert recording["metadata"]["name"] == "github-copilot-exporter-recording"
    configmap = load_yaml(generated / "dashboards.yaml")
    assert configmap["metadata"]["name"] == "github-copilot-exporter-dashboard-copilot-usage"
    assert json.loads(configmap["data"]["Copilot Usage.json"])["title"] == "Usage"


def test_prometheus_rules_hold_the_groups_of_deploy_prometheus() -> None:
    text = (K8S_BASE / "generated" / "prometheusrule.yaml").read_text(encoding="utf-8")
    by_source = {
        doc["metadata"]["annotations"]["github-copilot-exporter/source"]: doc["spec"]["groups"]
        for doc in yaml.safe_load_all(text)
        if doc
    }
    expected = {
        path.relative_to(ROOT).as_posix(): load_yaml(path)["groups"] for path in rule_files()
    }
    assert by_source == expected
    assert {"deploy/prometheus/alerts.yml", "deploy/prometheus/recording.yml"} <= set(by_source)


def test_dashboard_configmaps_hold_every_grafana_dashboard() -> None:
    docs = [
        d
        for d in yaml.safe_load_all(
            (K8S_BASE / "generated" / "dashboards.yaml").read_text(encoding="utf-8")
        )
        if d
    ]
    by_file = {name: json.loads(text) for d in docs for name, text in d["data"].items()}
    expected = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in dashboard_files()}
    assert by_file == expected
    for doc in docs:
        assert doc["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert len(doc["data"]) == 1
        # `kubectl apply` copies the object into an annotation limited to 256 KiB.
        assert len(json.dumps(doc)) < 256 * 1024, doc["metadata"]["name"]


def kustomize(directory: Path) -> list[dict[str, Any]]:
    kubectl = require_tool("kubectl")
    result = run(kubectl, "kustomize", str(directory))
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {"base": kustomize(K8S_BASE), "overlay": kustomize(K8S_OVERLAY)}


def kubernetes_validate() -> ModuleType:
    try:
        return importlib.import_module("kubernetes_validate")
    except ImportError:
        _missing("the PyPI package kubernetes-validate")


def one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"{len(found)} {kind} objects"
    return found[0]


@pytest.mark.integration
@pytest.mark.parametrize("which", ["base", "overlay"])
def test_rendered_builtin_kinds_match_the_kubernetes_schemas(
    rendered: dict[str, list[dict[str, Any]]], which: str
) -> None:
    validator = kubernetes_validate()
    docs = rendered[which]
    kinds = {d["kind"] for d in docs}
    assert kinds <= BUILTIN_KINDS | CRD_KINDS, "a kind this test does not check"
    assert {"Deployment", "Service", "ConfigMap"} <= kinds
    errors = []
    for doc in docs:
        if doc["kind"] in BUILTIN_KINDS:
            try:
                validator.validate(doc, K8S_VERSION, strict=True)
            except Exception as err:  # the package raises several unrelated types
                path = ".".join(str(p) for p in getattr(err, "path", []))
                errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {path}: {err}")
    assert not errors, "\n".join(errors)


@pytest.mark.integration
@pytest.mark.parametrize("which", ["base", "overlay"])
def test_deployment_is_probed_locked_down_and_given_the_token(
    rendered: dict[str, list[dict[str, Any]]], which: str
) -> None:
    pod = one(rendered[which], "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert security["seccompProfile"]["type"] == "RuntimeDefault"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["port"] == "http-metrics"
    assert container["ports"] == [
        {"name": "http-metrics", "containerPort": EXPORTER_PORT, "protocol": "TCP"}
    ]
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    (token,) = [e for e in container["env"] if e["name"] == "GITHUB_TOKEN"]
    assert token["valueFrom"]["secretKeyRef"] == {
        "name": "github-copilot-exporter",
        "key": "token",
        "optional": False,
    }


@pytest.mark.integration
@pytest.mark.parametrize("which", ["base", "overlay"])
def test_deployment_writes_only_to_emptydirs_and_reads_its_configmap(
    rendered: dict[str, list[dict[str, Any]]], which: str, tmp_path: Path
) -> None:
    docs = rendered[which]
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounted = {PurePosixPath(m["mountPath"]): m for m in container["volumeMounts"]}
    for path in (PurePosixPath("/tmp"), STATE_DIR):
        assert "emptyDir" in volumes[mounted[path]["name"]], f"{path} is not an emptyDir"
        assert not mounted[path].get("readOnly", False)

    (flag,) = [a for a in container["args"] if a.startswith("--config.file=")]
    config_path = PurePosixPath(flag.removeprefix("--config.file="))
    mount = mounted[config_path.parent]
    assert mount["readOnly"] is True
    configmap_name = volumes[mount["name"]]["configMap"]["name"]
    (configmap,) = [
        d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == configmap_name
    ]
    text = configmap["data"][config_path.name]
    assert_exporter_config(text, K8S_DIR / which, tmp_path, {"GITHUB_TOKEN": "from-the-secret"})


@pytest.mark.integration
@pytest.mark.parametrize("which", ["base", "overlay"])
def test_service_and_servicemonitor_reach_the_metrics_port(
    rendered: dict[str, list[dict[str, Any]]], which: str
) -> None:
    docs = rendered[which]
    pod_labels = one(docs, "Deployment")["spec"]["template"]["metadata"]["labels"]
    svc = one(docs, "Service")
    assert svc["spec"]["ports"] == [
        {
            "name": "http-metrics",
            "port": EXPORTER_PORT,
            "targetPort": "http-metrics",
            "protocol": "TCP",
        }
    ]
    assert svc["spec"]["selector"].items() <= pod_labels.items()
    # The operator's job label defaults to the Service's name: the alerts match on it.
    assert re.fullmatch(".*copilot.*", svc["metadata"]["name"])

    monitor = one(docs, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"].get("namespace") == svc["metadata"].get("namespace")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "http-metrics"
    assert endpoint["path"] == "/metrics"
    assert re.fullmatch(r"\d+[smh]", endpoint["interval"])
    assert "jobLabel" not in monitor["spec"]


@pytest.mark.integration
@pytest.mark.parametrize("which", ["base", "overlay"])
def test_prometheus_rule_and_dashboards_have_the_expected_shape(
    rendered: dict[str, list[dict[str, Any]]], which: str
) -> None:
    docs = rendered[which]
    rules = [d for d in docs if d["kind"] == "PrometheusRule"]
    assert len(rules) == len(rule_files())
    for rule in rules:
        assert rule["apiVersion"] == "monitoring.coreos.com/v1"
        groups = rule["spec"]["groups"]
        assert isinstance(groups, list)
        names = [group["name"] for group in groups]
        # The operator writes one rule file per object: names must be unique within it.
        assert len(names) == len(set(names)), rule["metadata"]["name"]
        for group in groups:
            assert isinstance(group["name"], str)
            assert isinstance(group["rules"], list)
            for item in group["rules"]:
                assert ("alert" in item) != ("record" in item), item
                assert isinstance(item["expr"], str | int | float), item
                for key in ("labels", "annotations"):
                    assert all(isinstance(v, str) for v in item.get(key, {}).values()), item
    assert sum(len(rule["spec"]["groups"]) for rule in rules) == sum(
        len(load_yaml(path)["groups"]) for path in rule_files()
    )

    dashboards = [
        d
        for d in docs
        if d["kind"] == "ConfigMap" and d["metadata"].get("labels", {}).get("grafana_dashboard")
    ]
    assert sorted(name for d in dashboards for name in d["data"]) == [
        p.name for p in dashboard_files()
    ]
    generated = [
        d["metadata"]["name"]
        for d in yaml.safe_load_all((K8S_BASE / "generated" / "dashboards.yaml").read_text())
        if d
    ]
    # Names as generated, no hash suffix: an old copy would linger beside a new one in Grafana.
    assert sorted(d["metadata"]["name"] for d in dashboards) == sorted(generated)
    for dashboard in dashboards:
        assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"


@pytest.mark.integration
def test_rendered_prometheus_rules_pass_promtool(
    rendered: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    promtool = require_tool("promtool")
    for rule in [d for d in rendered["overlay"] if d["kind"] == "PrometheusRule"]:
        path = tmp_path / f"{rule['metadata']['name']}.yml"
        path.write_text(yaml.safe_dump(rule["spec"]), encoding="utf-8")
        result = run(promtool, "check", "rules", str(path))
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.integration
def test_overlay_sets_namespace_image_and_scopes(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    docs = rendered["overlay"]
    namespace = one(docs, "Namespace")["metadata"]["name"]
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == namespace, doc["metadata"]["name"]
    (container,) = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    image = container["image"]
    assert ":" in image.rsplit("/", 1)[-1], f"{image}: no tag"
    assert not image.endswith(":latest"), image
    (base_container,) = one(rendered["base"], "Deployment")["spec"]["template"]["spec"][
        "containers"
    ]
    assert image != base_container["image"]
    assert not [d for d in docs if d["kind"] == "Secret"], "no token committed"


@pytest.mark.parametrize(
    "path",
    [K8S_BASE / "config.yml", K8S_OVERLAY / "config.yml", COMPOSE_DIR / "exporter" / "config.yml"],
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_committed_exporter_configs_are_valid(path: Path, tmp_path: Path) -> None:
    assert_exporter_config(path.read_text(encoding="utf-8"), path, tmp_path)


@pytest.mark.integration
def test_example_overlay_reads_an_enterprise_an_org_and_its_teams(tmp_path: Path) -> None:
    path = K8S_OVERLAY / "config.yml"
    env = {"COPILOT_EXPORTER_STATE_FILE": str(tmp_path / "state.json")}
    config = exporter_config.build(load_yaml(path), env, str(path))
    assert {scope.type for scope in config.scopes} == {"enterprise", "organization", "team"}

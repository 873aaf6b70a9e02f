"""Command line: flags in the Prometheus exporters' style, ``check-config`` subcommand.

Exit status 2 for bad flags or config, before anything listens.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from exporter import __version__, backfill, logs, webconfig
from exporter.app import Exporter
from exporter.config import Config, ConfigError, load
from exporter.server import parse_listen_address

log = logging.getLogger("exporter")

_ENV_THAT_CONFIGURES = ("GITHUB_TOKEN", "GITHUB_TOKEN_FILE", "COPILOT_EXPORTER_SCOPES")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config.file",
        dest="config_file",
        type=Path,
        default=os.environ.get("COPILOT_EXPORTER_CONFIG") or None,
        help="YAML config file (env COPILOT_EXPORTER_CONFIG)",
    )
    parser.add_argument(
        "--log.level", dest="log_level", default="info", choices=["debug", "info", "warn", "error"]
    )
    parser.add_argument(
        "--log.format", dest="log_format", default="logfmt", choices=["logfmt", "json"]
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="copilot-exporter",
        description="Prometheus exporter for GitHub Copilot usage metrics.",
    )
    _common(parser)
    parser.add_argument(
        "--web.listen-address",
        dest="listen",
        default=":9185",
        help="address to listen on (default :9185)",
    )
    parser.add_argument("--web.telemetry-path", dest="telemetry_path", default="/metrics")
    parser.add_argument(
        "--web.config.file",
        dest="web_config",
        type=Path,
        default=None,
        help="exporter-toolkit web config (TLS, basic auth)",
    )
    parser.add_argument(
        "--demo",
        nargs="?",
        const="reports",
        choices=["reports", "legacy"],
        default=None,
        help="serve simulated data from the built-in fake GitHub",
    )
    parser.add_argument("--version", action="version", version=f"copilot-exporter {__version__}")
    sub = parser.add_subparsers(dest="command")
    check = sub.add_parser("check-config", help="validate the config and print the scopes")
    _common(check)
    backfill.add_parser(sub)
    return parser


def should_demo(args: argparse.Namespace, env: dict[str, str] | os._Environ[str]) -> bool:
    """Demo when asked, or when nothing at all says which GitHub to read."""
    if args.demo:
        return True
    return args.config_file is None and not any(env.get(k) for k in _ENV_THAT_CONFIGURES)


def describe(config: Config) -> str:
    auth = "GitHub App" if config.github.app else "token" if config.github.token else "none"
    every = config.refresh.cron or f"every {config.refresh.interval:g}s"
    lines = [
        f"config {config.origin}: OK",
        f"api_url: {config.github.api_url}",
        f"auth: {auth}",
        f"refresh: {every}",
        _spend(config),
        "scopes:",
    ]
    for scope in config.scopes:
        team = " (every team in the user-teams report)" if scope.is_wildcard else ""
        repos = " with repositories" if scope.repositories is not None else ""
        lines.append(f"  - {scope.type} {scope.name} via {scope.source}{team}{repos}")
    return "\n".join(lines)


def _spend(config: Config) -> str:
    billing = config.billing
    if not billing.enabled:
        return "spend: off (billing.enabled: false)"
    credential = "its own token" if config.github.billing_token else "the metrics credential"
    parts = [
        name
        for name, on in (
            ("budgets", billing.budgets),
            ("cost centers", billing.cost_centers),
            (f"top {billing.top_users} users", billing.top_users > 0),
        )
        if on
    ]
    also = f", with {', '.join(parts)}" if parts else ""
    return f"spend: every {billing.interval:g}s with {credential}{also}"


def _load(args: argparse.Namespace) -> Config:
    config = load(args.config_file)
    if config.github.token is None and config.github.app is None:
        raise ConfigError(
            config.origin,
            [
                "github: no credentials: set GITHUB_TOKEN, github.token_file or github.app "
                "(or run with --demo)"
            ],
        )
    return config


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.setup(args.log_level, args.log_format)
    if args.command == "backfill":
        return backfill.run(args)
    if args.command == "check-config":
        try:
            print(describe(_load(args)))
        except ConfigError as exc:
            print(f"invalid configuration:\n{exc}", file=sys.stderr)
            return 2
        return 0
    return serve(args)


def serve(args: argparse.Namespace) -> int:
    try:
        listen = parse_listen_address(args.listen)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    # Both files are checked, and both reported, before anything starts or listens.
    invalid: list[str] = []
    web = None
    try:
        web = webconfig.load(args.web_config) if args.web_config else None
    except ConfigError as exc:
        invalid.append(f"invalid web configuration:\n{exc}")
    demo = should_demo(args, os.environ)
    config = None
    try:
        config = None if demo else _load(args)
    except ConfigError as exc:
        invalid.append(f"invalid configuration:\n{exc}")
    if invalid:
        print("\n".join(invalid), file=sys.stderr)
        return 2
    fake = None
    if config is None:
        from exporter.demo import start_demo

        if not args.demo:
            log.warning("no config file and no GitHub token")
        fake, config = start_demo(
            os.environ.get("COPILOT_EXPORTER_SOURCE") or args.demo or "reports"
        )
    exporter = Exporter(config, listen=listen, telemetry_path=args.telemetry_path, web=web)
    try:
        exporter.start()
    except OSError as exc:
        print(f"cannot listen on {args.listen}: {exc.strerror}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    log.info("shutting down")
    exporter.stop()
    if fake is not None:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Prometheus exporter for GitHub Copilot usage metrics."""

__version__ = "0.1.0"

"""The Grafana dashboards as code: ``python -m grafana.generate`` (``make dashboards``) writes
grafana/dashboards/*.json.

``promql`` holds the query shapes, ``panels`` the panel vocabulary on Grafana's typed
builders (grafana-foundation-sdk), and one module per dashboard lists its rows of panels.
A development tool: the exporter never imports it.
"""

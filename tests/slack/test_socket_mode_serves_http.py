"""`plaudit serve --socket-mode` serves the HTTP API and the health checks beside Socket Mode."""

from __future__ import annotations

import json

from bot.simulator.fake_slack import FakeSlack
from tests.scale.cluster import Cluster, call, free_port, wait_for


def test_socket_mode_serves_the_api_and_checks_and_keeps_trying_slack(tmp_path):
    slack_port = free_port()  # nothing listens there yet: Slack is unreachable at start
    cluster = Cluster(
        f"sqlite:///{tmp_path / 'socket.db'}",
        tmp_path,
        f"http://127.0.0.1:{slack_port}/api/",
        {"SLACK_APP_TOKEN": "xapp-socket-test"},
    )
    port = free_port()
    server = cluster._spawn("socket", ["serve", "--socket-mode", "--port", str(port)], port)
    try:
        cluster.wait_ready([server], limit=30)
        _, token = cluster.api_client(port)
        status, _ = call(port, "GET", "/api/v1/employees", headers={"Authorization": f"Bearer {token}"})
        assert status == 200
        status, raw = call(port, "GET", "/readyz")
        report = json.loads(raw)
        assert status == 200 and report["waiting_for"] == ["slack"] and "unreachable" in report["slack"]

        with FakeSlack(port=slack_port) as fake:
            assert wait_for(lambda: fake.calls_to("apps.connections.open"), 30), server.log.read_text()
            assert fake.calls_to("apps.connections.open")[-1].token == "xapp-socket-test"
            assert wait_for(
                lambda: _slack_readiness(port) == "the Socket Mode connection is not open yet", 30
            )
    finally:
        cluster.stop_all()
    assert server.popen.returncode == 0  # SIGTERM stops it cleanly


def _slack_readiness(port: int) -> str:
    return json.loads(call(port, "GET", "/readyz")[1]).get("slack", "")

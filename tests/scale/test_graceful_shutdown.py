"""`plaudit serve` stopped with SIGTERM finishes the request in flight, then exits cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import time

from bot.simulator.fake_slack import FakeSlack
from storage.database.engine import make_engine
from storage.ledger.verify import verify_ledger
from tests.scale.cluster import Cluster, call, wait_for
from tests.scale.load import seed_people


def test_sigterm_lets_the_request_in_flight_finish_and_refuses_new_ones(tmp_path):
    url = f"sqlite:///{tmp_path / 'plaudit.db'}"
    with FakeSlack() as fake:
        cluster = Cluster(url, tmp_path, fake.url)
        try:
            server = cluster.server("app", workers=1)
            cluster.wait_ready([server])
            _, token = cluster.api_client(server.port)
            seed_people(server.port, token, 1, fake)
            body = json.dumps({"employee_ids": ["E-0"], "points": 9, "reason": "in flight"}).encode()
            half = len(body) // 2
            with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
                conn.sendall(
                    f"POST /api/v1/awards HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                    f"Idempotency-Key: in-flight-1\r\nContent-Length: {len(body)}\r\n"
                    f"Connection: close\r\n\r\n".encode()
                    + body[:half]
                )
                time.sleep(0.5)  # the worker has the request and waits for the rest of its body
                os.kill(server.popen.pid, signal.SIGTERM)  # as an orchestrator stops the master
                assert wait_for(lambda: _refused(server.port), 10), "still accepting after SIGTERM"
                conn.sendall(body[half:])
                answer = _read_all(conn)
            assert answer.startswith(b"HTTP/1.1 201"), answer[:300]
            assert server.popen.wait(30) == 0
            log = server.log.read_text()
            assert "Traceback" not in log, log[-2000:]
        finally:
            cluster.stop_all()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            keys = (
                conn.exec_driver_sql("SELECT idempotency_key FROM transactions WHERE kind = 'award'")
                .scalars()
                .all()
            )
        assert [k for k in keys if k.endswith(":in-flight-1")] != []  # the award is in the ledger
        assert verify_ledger(engine) == []
    finally:
        engine.dispose()


def _refused(port: int) -> bool:
    try:
        call(port, "GET", "/healthz", timeout=1)
        return False
    except OSError:
        return True


def _read_all(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)

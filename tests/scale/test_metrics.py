"""/metrics under `plaudit serve --workers 2`: valid Prometheus text that counts every worker's
traffic (multi-process mode), moving as requests and recognitions flow."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from storage.schema.core import TransactionRow
from tests.scale.cluster import api, call, wait_for
from tests.scale.load import kudos_sender, seed_people
from tests.scale.test_scale_out import SETTINGS

AWARDS = 30


def scrape(port: int) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics, parsed by prometheus_client's own text parser."""
    status, raw = call(port, "GET", "/metrics")
    assert status == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(raw.decode())
        for s in family.samples
    }


def total(samples: dict, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def grants(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(TransactionRow).where(TransactionRow.kind == "allowance.grant")
        ).scalar()


def test_metrics_parse_and_count_traffic_across_two_workers(cluster_factory, fake, engine, tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    cluster = cluster_factory(**SETTINGS, PROMETHEUS_MULTIPROC_DIR=str(folder))
    server = cluster.server("app", workers=2, scheduler=True)
    cluster.wait_ready([server])
    _, token = cluster.api_client(server.port)
    people = seed_people(server.port, token, 3, fake)
    assert wait_for(lambda: grants(engine) >= 3, 20, step=0.2)  # allowances to give from
    before = scrape(server.port)

    for n in range(AWARDS):
        status, body = api(
            server.port,
            "POST",
            "/api/v1/awards",
            token,
            {"employee_ids": [people[n % 3][0]], "points": 1, "reason": "metrics"},
            f"metrics-{n}",
        )
        assert status == 201, body
    for n in range(3):
        send = kudos_sender(
            "T0PLAUDIT", people[n][1], f"<@{people[(n + 1) % 3][1]}> 2 for help", f"metrics-trig-{n}"
        )
        assert send(server.port)[1]["response_type"] == "in_channel"
    after = scrape(server.port)
    assert len(list(folder.glob("counter_*.db"))) == 2  # each worker served a share

    awards = dict(route="/api/v1/awards", method="POST", status="201")
    assert (
        total(after, "plaudit_http_requests_total", **awards)
        - total(before, "plaudit_http_requests_total", **awards)
        == AWARDS
    )  # both workers' share
    assert (
        total(after, "plaudit_http_requests_total") - total(before, "plaudit_http_requests_total")
        >= AWARDS + 3
    )
    assert total(after, "plaudit_recognitions") - total(before, "plaudit_recognitions") == 3
    assert total(after, "plaudit_recognition_points") - total(before, "plaudit_recognition_points") == 6

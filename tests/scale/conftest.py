"""Fixtures for the scale-out tests: a FakeSlack, a clean PostgreSQL database and a cluster."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from bot.simulator.fake_slack import FakeSlack
from storage.database.engine import make_engine
from tests.databases import database_url
from tests.scale.cluster import Cluster


@pytest.fixture
def pg_url(tmp_path, postgres_url) -> str:
    """PostgreSQL only: these tests are about several processes sharing one server."""
    return database_url("postgres", tmp_path, postgres_url)


@pytest.fixture
def fake():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def cluster_factory(pg_url, fake, tmp_path):
    """Make the cluster with extra settings; every process it started is stopped afterwards."""
    made: list[Cluster] = []

    def make(**extra: str) -> Cluster:
        cluster = Cluster(pg_url, tmp_path, fake.url, extra)
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.stop_all()


@pytest.fixture
def engine(pg_url) -> Engine:
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()

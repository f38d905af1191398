"""Webhooks stay outside the network, belong to their client and carry only what it may read."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from api.app import create_app
from api.config import ApiConfig
from rewards.policy import RecognitionPolicy
from rewards.services.recognition import GiveRecognition, give_recognition
from rewards.webhook_destinations import DestinationPolicy, ip_literal, is_internal, resolve
from scheduler.outbox import deliver_due
from scheduler.webhooks import WebhookDeliverer
from storage.delivery import webhooks as subs
from tests.api.callers import NO_LIMIT, new_caller
from tests.factories import employee, give_allowance

LOOPBACK_ALLOWED = DestinationPolicy.parse("127.0.0.1", https_only=False)


class CountingReceiver:
    """A loopback HTTP receiver that counts what reaches it."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.hosts: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                receiver.hosts.append(self.headers["Host"])
                receiver.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    r = CountingReceiver()
    yield r
    r.server.shutdown()


def internal_spellings(port: int) -> list[str]:
    """The loopback receiver (and other internal places) in the spellings a client could send."""
    return [
        f"http://127.0.0.1:{port}/hooks",
        f"http://2130706433:{port}/hooks",
        f"http://0177.0.0.1:{port}/hooks",
        f"http://0x7f.1:{port}/hooks",
        f"http://0x7f000001:{port}/hooks",
        f"http://127.1:{port}/hooks",
        f"http://127.0.0.1.:{port}/hooks",
        f"http://[::1]:{port}/hooks",
        f"http://[::ffff:127.0.0.1]:{port}/hooks",
        f"http://[::ffff:7f00:1]:{port}/hooks",
        f"http://[::127.0.0.1]:{port}/hooks",
        f"http://[64:ff9b::127.0.0.1]:{port}/hooks",
        f"http://localhost:{port}/hooks",
        f"http://LocalHost.:{port}/hooks",
        f"http://hooks.localhost:{port}/hooks",
        f"http://user@127.0.0.1:{port}/hooks",
        f"http://0.0.0.0:{port}/hooks",
        f"http://0:{port}/hooks",
        f"http://[::]:{port}/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8/hooks",
        "http://192.168.1.1/hooks",
        "http://172.16.0.1/hooks",
        "http://100.64.0.1/hooks",
        "http://[fd00::1]/hooks",
        "http://[fe80::1]/hooks",
        "http://224.0.0.1/hooks",
        "http://240.0.0.1/hooks",
    ]


def _log_of(hr, sub_id) -> list[dict]:
    response = hr.get(f"/api/v1/webhooks/{sub_id}/deliveries")
    assert response.status_code == 200
    return response.get_json()["items"]


def test_a_subscription_to_an_internal_address_is_refused_in_every_spelling(hr, receiver):
    for url in internal_spellings(receiver.port):
        response = hr.post("/api/v1/webhooks", json={"url": url, "events": ["*"]})
        assert response.status_code == 422, url
        assert response.get_json()["code"] in ("destination_not_allowed", "validation_error"), url
    assert hr.get("/api/v1/webhooks").get_json()["items"] == []


def test_no_delivery_reaches_an_internal_address_and_the_log_reveals_nothing(store, hr, receiver):
    # Rows as an older version (or a direct database edit) could have stored them.
    urls = internal_spellings(receiver.port)
    ids = [subs.create(store, url, ["*"], f"api:{hr.client_id}")[0].id for url in urls]
    for sub_id in ids:
        assert hr.post(f"/api/v1/webhooks/{sub_id}/test").status_code == 202

    assert deliver_due(store, {"webhook": WebhookDeliverer(store, timeout=2)}) == 0

    assert receiver.bodies == []
    for sub_id, url in zip(ids, urls, strict=True):
        (delivery,) = _log_of(hr, sub_id)
        assert delivery["status"] == "pending" and delivery["delivered_at"] is None, url
        assert [a["error"] for a in delivery["log"]] == ["destination_not_allowed"], url
        text = json.dumps(delivery["log"])
        assert str(receiver.port) not in text and "127." not in text and "refused" not in text


def _dns(monkeypatch, answers: dict[str, list[str]], delay: float = 0.0) -> None:
    """Stand in for the system resolver: these names resolve to these addresses, others do not."""

    def getaddrinfo(host, port, *args, **kwargs):
        time.sleep(delay)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_name_that_resolves_inside_is_refused_at_each_delivery(store, hr, receiver, monkeypatch):
    url = f"http://hooks.partner.example:{receiver.port}/in"
    _dns(monkeypatch, {"hooks.partner.example": ["93.184.215.14"]})
    created = hr.post("/api/v1/webhooks", json={"url": url, "events": ["*"]})
    assert created.status_code == 201  # public now: checked again at delivery
    sub_id = created.get_json()["id"]
    hr.post(f"/api/v1/webhooks/{sub_id}/test")
    answers = {"hooks.partner.example": ["203.0.113.9", "127.0.0.1"]}

    def rebinding(host, port):
        return [ipaddress.ip_address(a) for a in answers[host]]

    deliverer = WebhookDeliverer(store, timeout=2, resolver=rebinding)
    assert deliver_due(store, {"webhook": deliverer}) == 0
    assert receiver.bodies == []
    assert [a["error"] for a in _log_of(hr, sub_id)[0]["log"]] == ["destination_not_allowed"]


def test_the_checked_address_is_the_one_connected_to_with_the_name_as_host(store, hr, receiver):
    seen = []
    url = f"http://hooks.partner.example:{receiver.port}/in"
    sub, _ = subs.create(store, url, ["*"], f"api:{hr.client_id}")
    hr.post(f"/api/v1/webhooks/{sub.id}/test")
    allowed = DestinationPolicy.parse("127.0.0.0/8", https_only=False)

    def resolver(host, port):
        seen.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    deliverer = WebhookDeliverer(store, destinations=allowed, resolver=resolver)
    assert deliver_due(store, {"webhook": deliverer}) == 1
    assert seen == ["hooks.partner.example"] and len(receiver.bodies) == 1
    assert receiver.hosts == [f"hooks.partner.example:{receiver.port}"]


def test_a_non_http_service_answer_and_a_closed_port_show_only_a_category(store, hr):
    banner = socket.create_server(("127.0.0.1", 0))
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()

    def answer_with_banner():
        conn, _ = banner.accept()
        conn.recv(65536)
        conn.sendall(b"SSH-2.0-OpenSSH_9.6 internal-db-01 secret-banner\r\n")
        conn.close()

    threading.Thread(target=answer_with_banner, daemon=True).start()
    ssh = subs.create(store, f"http://127.0.0.1:{banner.getsockname()[1]}/", ["*"], f"api:{hr.client_id}")[0]
    shut = subs.create(store, f"http://127.0.0.1:{closed_port}/", ["*"], f"api:{hr.client_id}")[0]
    for sub in (ssh, shut):
        hr.post(f"/api/v1/webhooks/{sub.id}/test")
    deliverer = WebhookDeliverer(store, timeout=2, destinations=LOOPBACK_ALLOWED)
    assert deliver_due(store, {"webhook": deliverer}) == 0
    banner.close()

    assert [a["error"] for a in _log_of(hr, ssh.id)[0]["log"]] == ["bad_response"]
    assert [a["error"] for a in _log_of(hr, shut.id)[0]["log"]] == ["connection_refused"]
    assert "OpenSSH" not in json.dumps(_log_of(hr, ssh.id))


def test_production_requires_https_for_a_new_subscription_and_at_delivery(store, hr):
    config = ApiConfig.from_mapping({"PLAUDIT_ENV": "production"})
    app = create_app(
        store, config=dataclasses.replace(NO_LIMIT, webhook_destinations=config.webhook_destinations)
    )
    client = new_caller(store, app.test_client(), ["webhooks:manage"])
    plain = client.post("/api/v1/webhooks", json={"url": "http://hooks.example.com/in"})
    assert plain.status_code == 422 and "https" in plain.get_json()["detail"]
    assert client.post("/api/v1/webhooks", json={"url": "https://hooks.example.com/in"}).status_code == 201

    sub, _ = subs.create(store, "http://hooks.example.com/in", ["*"], f"api:{hr.client_id}")
    hr.post(f"/api/v1/webhooks/{sub.id}/test")
    deliverer = WebhookDeliverer(store, destinations=config.webhook_destinations)
    assert deliver_due(store, {"webhook": deliverer}) == 0
    assert [a["error"] for a in _log_of(hr, sub.id)[0]["log"]] == ["destination_not_allowed"]


def test_the_allow_list_names_hosts_and_networks_and_refuses_nonsense():
    policy = DestinationPolicy.parse("hooks.internal, 10.1.0.0/16 ,[fd00::5]", https_only=False)
    assert policy.host_allowed("HOOKS.internal.")
    assert policy.address_allowed(ipaddress.ip_address("10.1.2.3"))
    assert policy.address_allowed(ipaddress.ip_address("::ffff:10.1.2.3"))
    assert policy.address_allowed(ipaddress.ip_address("fd00::5"))
    assert not policy.address_allowed(ipaddress.ip_address("10.2.0.1"))
    with pytest.raises(ValueError, match="neither a host name"):
        DestinationPolicy.parse("http://x/", https_only=False)
    assert ip_literal("0x7f.0.1") == ipaddress.ip_address("127.0.0.1")
    assert ip_literal("017700000001") == ipaddress.ip_address("127.0.0.1")
    assert ip_literal("256.1") is None and ip_literal("hooks.example") is None
    assert is_internal(ipaddress.ip_address("2002:7f00:1::1"))  # 6to4 around loopback
    assert not is_internal(ipaddress.ip_address("8.8.8.8"))


def test_another_client_can_neither_list_read_test_nor_delete_a_subscription(hr, make_caller):
    mine = hr.post("/api/v1/webhooks", json={"url": "https://hooks.example.com/a"}).get_json()
    other = make_caller("webhooks:manage", name="other")
    theirs = other.post("/api/v1/webhooks", json={"url": "https://hooks.example.com/b"}).get_json()

    assert [s["id"] for s in other.get("/api/v1/webhooks").get_json()["items"]] == [theirs["id"]]
    for response in (
        other.get(f"/api/v1/webhooks/{mine['id']}/deliveries"),
        other.post(f"/api/v1/webhooks/{mine['id']}/test"),
        other.delete(f"/api/v1/webhooks/{mine['id']}"),
    ):
        assert response.status_code == 404
        assert response.get_json()["code"] == "webhook_not_found"
    assert [s["id"] for s in hr.get("/api/v1/webhooks").get_json()["items"]] == [mine["id"]]


def _give(store, giver, recipient, reason, private, key):
    give_recognition(
        store.uow(),
        GiveRecognition(giver.id, [recipient.id], 5, reason, key, private=private, context={"channel": "C1"}),
        RecognitionPolicy(),
        store.clock,
    )


def test_a_payload_carries_only_what_the_subscribers_scopes_read_naming_people_by_hr_id(
    store, http, receiver
):
    ana, ben = employee(store, external_id="HR-ana"), employee(store, external_id="HR-ben")
    give_allowance(store, ana, 100)
    url = f"http://127.0.0.1:{receiver.port}/hooks"
    reader = new_caller(store, http, ["webhooks:manage", "reports:read"], "reader")
    blind = new_caller(store, http, ["webhooks:manage"], "blind")
    owners = {}
    for caller in (reader, blind):
        sub, _ = subs.create(store, url, ["recognition.created"], f"api:{caller.client_id}")
        owners[sub.id] = caller
    _give(store, ana, ben, "for the public demo", False, "k-1")
    _give(store, ana, ben, "for the private matter", True, "k-2")

    deliverer = WebhookDeliverer(store, destinations=LOOPBACK_ALLOWED)
    assert deliver_due(store, {"webhook": deliverer}) == 2

    data = [b["data"] for b in receiver.bodies]
    assert [(d["giver_id"], d["recipient_ids"], d["reason"]) for d in data] == [
        ("HR-ana", ["HR-ben"], "for the public demo"),
        ("HR-ana", ["HR-ben"], None),
    ]
    assert all(ana.id not in json.dumps(d) and "context" not in d for d in data)
    assert "private matter" not in json.dumps(receiver.bodies)
    blind_sub = next(i for i, c in owners.items() if c is blind)
    log = _log_of(blind, blind_sub)
    assert {a["error"] for d in log for a in d["log"]} == {"not_permitted"}


def test_an_unresolvable_name_and_a_name_resolving_inside_are_refused_alike(hr, monkeypatch):
    # Was: an unresolvable name got 201, so 422 against 201 told internal names from unknown ones.
    _dns(monkeypatch, {"db.corp.internal": ["10.1.2.3"], "mixed.example": ["93.184.215.14", "127.0.0.1"]})
    answers = []
    for host in ("db.corp.internal", "mixed.example", "no-such-host.example", "x" * 63 + ".invalid"):
        response = hr.post("/api/v1/webhooks", json={"url": f"https://{host}/in", "events": ["*"]})
        assert response.status_code == 422, host
        body = response.get_json()
        answers.append((body["code"], body["detail"]))
    assert len(set(answers)) == 1
    assert answers[0] == ("destination_not_allowed", "A webhook host must resolve to a public address.")
    assert hr.get("/api/v1/webhooks").get_json()["items"] == []


def test_a_slow_resolver_is_given_up_on_at_subscription_and_at_delivery(store, hr, monkeypatch):
    monkeypatch.setattr("rewards.webhook_destinations.DNS_TIMEOUT_SECONDS", 0.2)
    _dns(monkeypatch, {"slow.example": ["93.184.215.14"]}, delay=1.5)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        resolve("slow.example", 443)
    response = hr.post("/api/v1/webhooks", json={"url": "https://slow.example/in", "events": ["*"]})
    assert response.status_code == 422
    assert response.get_json()["code"] == "destination_not_allowed"

    sub_id = subs.create(store, "https://slow.example/in", ["*"], f"api:{hr.client_id}")[0].id
    hr.post(f"/api/v1/webhooks/{sub_id}/test")
    assert deliver_due(store, {"webhook": WebhookDeliverer(store, timeout=2)}) == 0
    assert [a["error"] for a in _log_of(hr, sub_id)[0]["log"]] == ["destination_not_allowed"]
    assert time.monotonic() - started < 1.4  # nothing waited for the resolver to answer


def test_at_delivery_a_name_that_does_not_resolve_records_the_same_category_as_an_internal_one(
    store, hr, monkeypatch
):
    _dns(monkeypatch, {"inside.example": ["192.168.0.5"]})
    ids = [
        subs.create(store, f"https://{host}/in", ["*"], f"api:{hr.client_id}")[0].id
        for host in ("inside.example", "gone.example")
    ]
    for sub_id in ids:
        hr.post(f"/api/v1/webhooks/{sub_id}/test")
    assert deliver_due(store, {"webhook": WebhookDeliverer(store, timeout=2)}) == 0
    logs = [[a["error"] for a in _log_of(hr, sub_id)[0]["log"]] for sub_id in ids]
    assert logs == [["destination_not_allowed"], ["destination_not_allowed"]]


@pytest.mark.parametrize(
    "address",
    [
        "2001::7f00:1",  # the reviewer's: allowed before, as its embedded client looked public
        "2001:0:7f00:1::",  # server 127.0.0.1
        "2001:0:c000:0201::",  # server 192.0.2.1
        "2001:0:cb00:7109:0:fbaa:34ff:8ef6",  # a public server and client
    ],
)
def test_teredo_addresses_are_refused_whatever_they_embed(hr, address):
    assert is_internal(ipaddress.ip_address(address))
    response = hr.post("/api/v1/webhooks", json={"url": f"https://[{address}]/in", "events": ["*"]})
    assert response.status_code == 422

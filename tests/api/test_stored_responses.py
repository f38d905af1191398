"""Stored API responses (the Idempotency-Key replay cache) hold no code or secret in the clear."""

from __future__ import annotations

import base64

from storage.encryption.ciphers import FieldCipher, Keyring, generate_key
from storage.encryption.rotation import rotate_keys
from storage.store import Store
from tests.factories import employee, fund_wallet
from tests.test_personal_data import _database_bytes

CODE = "GIFT-QX7-PLUM-4410"
GIFT = {"name": "Book voucher", "points_cost": 40, "kind": "gift_card", "requires_approval": True}


def fulfilled(store, hr) -> tuple[str, dict, dict]:
    fund_wallet(store, employee(store, external_id="E-1"), 100)
    item = hr.post("/api/v1/catalog/items", json=GIFT).get_json()["id"]
    rid = hr.post("/api/v1/redemptions", key="r-1", json={"employee_id": "E-1", "item_id": item}).get_json()[
        "id"
    ]
    hr.post(f"/api/v1/redemptions/{rid}/approve", key="r-2", json={})
    path = f"/api/v1/redemptions/{rid}/fulfill"
    done = hr.post(path, key="r-3", json={"fulfilment": CODE})
    hook = hr.post(
        "/api/v1/webhooks", key="w-1", json={"url": "https://hr.example.com/hooks", "events": ["*"]}
    )
    assert done.status_code == 200 and hook.status_code == 201
    return path, done.get_json(), hook.get_json()


def test_codes_and_secrets_in_stored_responses_are_not_in_the_database(store, hr, backend, tmp_path):
    path, done, hook = fulfilled(store, hr)
    assert done["fulfilment"] == CODE  # the caller sees it once...
    again = hr.post(path, key="r-3", json={"fulfilment": CODE})
    assert again.headers.get("Idempotent-Replayed") == "true" and again.get_json() == done
    replayed_hook = hr.post(
        "/api/v1/webhooks", key="w-1", json={"url": "https://hr.example.com/hooks", "events": ["*"]}
    )
    assert replayed_hook.get_json()["secret"] == hook["secret"]
    dump = _database_bytes(store, backend, tmp_path)  # ...the database never in the clear
    assert b"hr.example.com/hooks" in dump  # the dump really holds the API's rows
    assert CODE.encode() not in dump
    assert hook["secret"].encode() not in dump


def test_rotation_covers_stored_responses(store, hr, keyring, blind_index, clock, http):
    fulfilled(store, hr)
    new_key = generate_key()
    rotating = Keyring.parse(
        f"k2:{new_key}," + ",".join(f"{kid}:{base64.b64encode(k).decode()}" for kid, k in keyring.keys)
    )
    seen = []
    rotate_keys(store.engine, FieldCipher(rotating), progress=lambda t, d, n: seen.append(t))
    assert "api_idempotency" in seen
    only_new = Store(store.engine, FieldCipher(Keyring.parse(f"k2:{new_key}")), blind_index, clock)
    from api.app import create_app
    from tests.api.callers import NO_LIMIT

    app = create_app(only_new, config=NO_LIMIT)
    replay = app.test_client().post(
        "/api/v1/webhooks",
        headers={**hr.auth, "Idempotency-Key": "w-1"},
        json={"url": "https://hr.example.com/hooks", "events": ["*"]},
    )
    assert replay.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true"

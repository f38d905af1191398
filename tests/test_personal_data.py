"""Personal data at rest: only ciphertexts in the database, rotation, and row binding."""

from __future__ import annotations

import base64
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, update

from rewards.errors import DecryptionError
from rewards.model import Employee
from rewards.services.employees import erase_employee
from storage.encryption.ciphers import FieldCipher, Keyring, generate_key
from storage.encryption.rotation import rotate_keys
from storage.schema.core import EmployeeRow
from storage.store import Store
from tests.factories import employee

SEEDED = {
    "email": "Zelda.Quartermain@example.org",
    "display_name": "Zelda Quartermain",
    "birth_date": date(1987, 2, 14),
    "hire_date": date(2019, 11, 3),
    "phone": "+44 20 7946 0321",
    "postal_address": "7 Lantern Row, Exeter",
    "user_name": "zquartermain.login@corp-directory.example",  # SCIM userName
    "directory_id": "00u1quartermainOkta",  # SCIM externalId
}


def _forms(fields: dict) -> list[bytes]:
    """Every form a grep might find a value in: as stored, lower-cased, as dates in ISO and US."""
    out = []
    for value in fields.values():
        if isinstance(value, date):
            out += [value.isoformat(), value.strftime("%m/%d/%Y"), value.strftime("%Y%m%d")]
        else:
            out += [value, value.lower()]
    return [form.encode() for form in out]


def _database_bytes(store: Store, backend: str, tmp_path: Path) -> bytes:
    if backend == "sqlite":
        store.engine.dispose()  # close connections so the WAL is checkpointed into the file
        db_file = Path(store.engine.url.database)
        return b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))
    url = store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run(["pg_dump", "--no-owner", url], check=True, capture_output=True).stdout


def test_the_database_holds_no_personal_data_in_a_greppable_form(store, backend, tmp_path):
    person = employee(store, **SEEDED)
    dump = _database_bytes(store, backend, tmp_path)
    assert dump  # the dump really has content
    assert person.id.encode() in dump
    for form in _forms(SEEDED):
        assert form not in dump, f"{form!r} found in the raw database"


def test_lookup_by_email_uses_the_blind_index_and_ignores_case(store):
    person = employee(store, **SEEDED)
    with store.reader() as uow:
        found = uow.employees.get_by_email("  zelda.quartermain@EXAMPLE.org ")
    assert found is not None and found.id == person.id
    assert found.display_name == "Zelda Quartermain"
    assert found.birth_date == date(1987, 2, 14)


def test_rotation_re_encrypts_everything_so_the_old_key_can_be_removed(store, keyring, blind_index, clock):
    people = [
        employee(store, **{**SEEDED, "email": f"p{n}@example.org", "user_name": f"u{n}@corp.example"})
        for n in range(7)
    ]
    new_key = generate_key()
    rotating = Keyring.parse(
        f"k2:{new_key}," + ",".join(f"{kid}:{base64.b64encode(k).decode()}" for kid, k in keyring.keys)
    )
    seen = []
    report = rotate_keys(
        store.engine,
        FieldCipher(rotating),
        batch_size=3,
        progress=lambda table, done, total: seen.append((table, done, total)),
    )
    assert report.rewritten == 7 * len(SEEDED)  # every personal field of every person
    assert ("employees", 7, 7) in seen and ("employees", 3, 7) in seen

    only_new = Store(store.engine, FieldCipher(Keyring.parse(f"k2:{new_key}")), blind_index, clock)
    with only_new.reader() as uow:
        for person in people:
            again = uow.employees.get(person.id)
            assert again.email == person.email and again.hire_date == SEEDED["hire_date"]
    assert rotate_keys(store.engine, FieldCipher(rotating)).rewritten == 0  # resumable: done


def test_a_ciphertext_copied_into_another_row_fails_with_a_clear_error(store):
    ana, ben = employee(store, **SEEDED), employee(store)
    with store.uow() as uow:
        stolen = uow.session.scalar(select(EmployeeRow.email_enc).where(EmployeeRow.id == ana.id))
        uow.session.execute(update(EmployeeRow).where(EmployeeRow.id == ben.id).values(email_enc=stolen))
        uow.commit()
    with store.reader() as uow, pytest.raises(DecryptionError) as caught:
        uow.employees.get(ben.id)
    message = str(caught.value)
    assert "employees.email_enc" in message and ben.id in message
    assert "copied from another row" in message
    assert "Zelda" not in message


def test_a_value_under_a_key_missing_from_the_keyring_names_the_key(store, blind_index, clock):
    ana = employee(store, **SEEDED)
    other = Store(store.engine, FieldCipher(Keyring.parse(f"k9:{generate_key()}")), blind_index, clock)
    with other.reader() as uow, pytest.raises(DecryptionError, match="key 'k1'"):
        uow.employees.get(ana.id)


def test_erasure_removes_personal_fields_and_keeps_the_ledger(store):
    from storage.ledger.verify import verify_ledger
    from tests.factories import balances, fund_wallet

    ana = employee(store, **SEEDED)
    fund_wallet(store, ana, 40)
    erased = erase_employee(store.uow(), ana.id, store.clock)
    assert erased.email is None and erased.display_name is None and not erased.is_active
    with store.reader() as uow:
        row = uow.session.get(EmployeeRow, ana.id)
        assert all(
            getattr(row, f"{f}_enc") is None
            for f in ("email", "display_name", "birth_date", "hire_date", "phone", "postal_address")
        )
        assert row.email_bidx is None
        assert uow.employees.get_by_email(SEEDED["email"]) is None
    assert balances(store, ana)["wallet"] == 40
    assert verify_ledger(store.engine) == []


def test_an_employee_in_a_log_line_or_traceback_shows_no_personal_data():
    person = Employee(id="e1", **SEEDED)
    assert "Zelda" not in repr(person) and "1987" not in repr(person)


def test_rotation_while_the_service_updates_records_loses_no_update(store, keyring):
    import threading

    from rewards.services.employees import upsert_employee

    people = [employee(store, external_id=f"rot-{n}") for n in range(40)]
    rotating = FieldCipher(
        Keyring.parse(
            f"k2:{generate_key()},"
            + ",".join(f"{kid}:{base64.b64encode(k).decode()}" for kid, k in keyring.keys)
        )
    )
    # The documented procedure: the service already runs with "k2,k1", then rotation runs.
    service = Store(store.engine, rotating, store.blind_index, store.clock)
    done = threading.Event()
    failures = []

    def service_keeps_writing():
        n = 0
        try:
            while not done.is_set() or n < 40:
                upsert_employee(service.uow(), f"rot-{n % 40}", {"phone": f"+1 555 {n:04d}"}, store.clock)
                n += 1
        except Exception as exc:  # surfaced below: a thread's exception would be lost
            failures.append(exc)

    writer = threading.Thread(target=service_keeps_writing)
    writer.start()
    report = rotate_keys(store.engine, rotating, batch_size=5)
    done.set()
    writer.join()
    assert failures == []
    assert report.rewritten > 0

    with service.reader() as uow:
        for person in people:
            again = uow.employees.get(person.id)
            assert again.email == person.email and again.phone.startswith("+1 555 ")
        rows = uow.session.execute(select(EmployeeRow.phone_enc, EmployeeRow.email_enc)).all()
    assert all(token.startswith("v1:k2:") for row in rows for token in row if token)

"""Teams (SCIM Groups) through their service: members are real employees, external ids unique,
changes applied in order and all or nothing, listings paged and filtered, erasure forgets them."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from rewards.services.employees import erase_employee
from rewards.services.teams import (
    create_team,
    delete_team,
    get_team,
    list_teams,
    patch_members,
    replace_team,
    teams_of,
)
from rewards.teams import (
    DuplicateTeam,
    InvalidTeam,
    MemberOp,
    TeamNotFound,
    TeamQuery,
    TextMatch,
    UnknownMember,
    members_after,
)
from storage.schema.teams import TeamMemberRow, TeamRow
from tests.factories import employee


def new_team(store, name="Platform", **kwargs):
    return create_team(store.uow(), name, store.clock, **kwargs)


def rows(store, table):
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_team_is_created_read_and_replaced_with_its_members(store):
    ana, ben, cy = employee(store), employee(store), employee(store)
    team = new_team(store, external_id="okta-00g1", member_ids=[ben.id, ana.id, ana.id])

    read = get_team(store.reader(), team.id)
    assert read.display_name == "Platform" and read.external_id == "okta-00g1"
    assert sorted(read.member_ids) == sorted([ana.id, ben.id])

    store.clock.advance(seconds=60)
    replaced = replace_team(store.uow(), team.id, "Platform Eng", store.clock, member_ids=[cy.id])
    read = get_team(store.reader(), team.id)
    assert read == replaced
    assert read.display_name == "Platform Eng" and read.external_id is None and read.member_ids == (cy.id,)
    assert read.created_at == team.created_at and read.updated_at > team.updated_at


def test_member_changes_apply_in_order(store):
    ana, ben, cy = employee(store), employee(store), employee(store)
    team = new_team(store, member_ids=[ana.id])
    ops = [
        MemberOp("add", (ben.id, cy.id)),
        MemberOp("remove", (ana.id, "not-a-member-is-fine")),
        MemberOp("remove", (cy.id,)),
        MemberOp("add", (cy.id,)),
    ]
    changed = patch_members(store.uow(), team.id, ops, store.clock, display_name="Renamed")
    assert sorted(changed.member_ids) == sorted([ben.id, cy.id])
    assert get_team(store.reader(), team.id).display_name == "Renamed"

    emptied = patch_members(store.uow(), team.id, [MemberOp("replace", ())], store.clock)
    assert emptied.member_ids == () and rows(store, TeamMemberRow) == 0
    assert emptied.display_name == "Renamed"  # kept when not given


def test_external_id_kept_changed_or_cleared_by_a_patch(store):
    team = new_team(store, external_id="x-1")
    assert patch_members(store.uow(), team.id, [], store.clock).external_id == "x-1"
    assert patch_members(store.uow(), team.id, [], store.clock, external_id="x-2").external_id == "x-2"
    assert patch_members(store.uow(), team.id, [], store.clock, external_id=None).external_id is None


def test_members_after_keeps_first_seen_order_without_repeats():
    assert members_after(["a", "b"], [MemberOp("add", ("c", "a")), MemberOp("remove", ("b",))]) == ("a", "c")
    assert members_after(["a"], [MemberOp("replace", ("z", "z")), MemberOp("add", ("y",))]) == ("z", "y")


def test_an_unknown_or_erased_member_is_refused_by_id_and_nothing_changes(store):
    ana, gone = employee(store), employee(store)
    erase_employee(store.uow(), gone.id, store.clock)
    team = new_team(store, member_ids=[ana.id])

    for bad in ("no-such-person", gone.id):
        with pytest.raises(UnknownMember) as refused:
            patch_members(store.uow(), team.id, [MemberOp("add", (bad,))], store.clock, display_name="X")
        assert refused.value.details["employee_id"] == bad and bad in refused.value.message
        with pytest.raises(UnknownMember):
            new_team(store, "Other", member_ids=[ana.id, bad])
        with pytest.raises(UnknownMember):
            replace_team(store.uow(), team.id, "Y", store.clock, member_ids=[bad])
    assert get_team(store.reader(), team.id) == team
    assert rows(store, TeamRow) == 1


def test_an_external_id_belongs_to_one_team(store):
    first = new_team(store, "A", external_id="ext-1")
    other = new_team(store, "B")
    with pytest.raises(DuplicateTeam) as refused:
        new_team(store, "C", external_id="ext-1")
    assert refused.value.details["field"] == "externalId"
    with pytest.raises(DuplicateTeam):
        replace_team(store.uow(), other.id, "B", store.clock, external_id="ext-1")
    with pytest.raises(DuplicateTeam):
        patch_members(store.uow(), other.id, [], store.clock, external_id="ext-1")
    assert replace_team(store.uow(), first.id, "A2", store.clock, external_id="ext-1").external_id == "ext-1"
    assert rows(store, TeamRow) == 2


@pytest.mark.parametrize(
    ("name", "external_id", "field"),
    [("", None, "displayName"), ("   ", None, "displayName"), ("x" * 201, None, "displayName"),
     ("ok", "", "externalId"), ("ok", "y" * 201, "externalId")],
)  # fmt: skip
def test_bad_fields_are_refused_by_name(store, name, external_id, field):
    with pytest.raises(InvalidTeam) as refused:
        new_team(store, name, external_id=external_id)
    assert refused.value.details["field"] == field
    assert rows(store, TeamRow) == 0


def test_missing_teams_are_not_found(store):
    for call in (
        lambda: get_team(store.reader(), "nope"),
        lambda: delete_team(store.uow(), "nope"),
        lambda: replace_team(store.uow(), "nope", "X", store.clock),
        lambda: patch_members(store.uow(), "nope", [], store.clock),
    ):
        with pytest.raises(TeamNotFound):
            call()


def test_delete_removes_the_team_and_its_memberships_not_the_people(store):
    ana = employee(store)
    team = new_team(store, member_ids=[ana.id])
    delete_team(store.uow(), team.id)
    assert rows(store, TeamRow) == 0 and rows(store, TeamMemberRow) == 0
    with store.reader() as uow:
        assert uow.employees.get(ana.id) is not None


def test_listing_pages_and_filters(store):
    ana, ben = employee(store), employee(store)
    made = []
    for n, name in enumerate(["Sales EMEA", "Sales US", "Support", "Platform_50%"]):
        store.clock.advance(seconds=1)
        made.append(new_team(store, name, external_id=f"e{n}", member_ids=[ana.id] if n % 2 else [ben.id]))

    def names(query):
        page = list_teams(store.reader(), query)
        return [t.display_name for t in page.teams], page.total

    assert names(TeamQuery()) == (["Sales EMEA", "Sales US", "Support", "Platform_50%"], 4)
    assert names(TeamQuery(start_index=2, count=2)) == (["Sales US", "Support"], 4)
    assert names(TeamQuery(start_index=9)) == ([], 4)
    assert names(TeamQuery(count=0)) == ([], 4)
    assert names(TeamQuery(display_name=TextMatch("eq", "sales us"))) == (["Sales US"], 1)
    assert names(TeamQuery(display_name=TextMatch("sw", "SALES"))) == (["Sales EMEA", "Sales US"], 2)
    assert names(TeamQuery(display_name=TextMatch("co", "p"))) == (["Support", "Platform_50%"], 2)
    assert names(TeamQuery(display_name=TextMatch("co", "_5"))) == (["Platform_50%"], 1)
    assert names(TeamQuery(display_name=TextMatch("co", "%"))) == (["Platform_50%"], 1)
    assert names(TeamQuery(display_name=TextMatch("sw", "_"))) == ([], 0)  # no LIKE wildcards
    assert names(TeamQuery(external_id="e2")) == (["Support"], 1)
    assert names(TeamQuery(member_id=ana.id)) == (["Sales US", "Platform_50%"], 2)
    both = TeamQuery(member_id=ana.id, display_name=TextMatch("sw", "sales"))
    assert names(both) == (["Sales US"], 1)
    page = list_teams(store.reader(), TeamQuery(member_id=ana.id))
    assert all(t.member_ids == (ana.id,) for t in page.teams)


@pytest.mark.parametrize(
    ("start", "count", "field"), [(0, 10, "startIndex"), (1, -1, "count"), (1, 1001, "count")]
)
def test_a_page_out_of_bounds_is_refused_by_name(store, start, count, field):
    with pytest.raises(InvalidTeam) as refused:
        list_teams(store.reader(), TeamQuery(start_index=start, count=count))
    assert refused.value.details["field"] == field


def test_teams_of_people(store):
    ana, ben, cy = employee(store), employee(store), employee(store)
    a = new_team(store, "B-team", member_ids=[ana.id, ben.id])
    b = new_team(store, "A-team", member_ids=[ana.id])
    found = teams_of(store.reader(), [ana.id, ben.id, cy.id])
    assert [t.id for t in found[ana.id]] == [b.id, a.id]  # by name
    assert [t.display_name for t in found[ben.id]] == ["B-team"]
    assert cy.id not in found


def test_erasure_removes_the_persons_memberships(store):
    ana, ben = employee(store), employee(store)
    team = new_team(store, member_ids=[ana.id, ben.id])
    erase_employee(store.uow(), ana.id, store.clock)
    assert get_team(store.reader(), team.id).member_ids == (ben.id,)
    assert teams_of(store.reader(), [ana.id]) == {}


def test_concurrent_additions_to_one_team_all_land(store):
    people = [employee(store) for _ in range(12)]
    team = new_team(store)
    barrier = threading.Barrier(len(people))
    failures: list[BaseException] = []

    def add(person):
        try:
            barrier.wait()
            patch_members(store.uow(), team.id, [MemberOp("add", (person.id,))], store.clock)
        except BaseException as exc:  # noqa: BLE001  (reported below)
            failures.append(exc)

    threads = [threading.Thread(target=add, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert sorted(get_team(store.reader(), team.id).member_ids) == sorted(p.id for p in people)


def test_concurrent_creates_with_one_external_id_make_one_team(store):
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def create(n):
        barrier.wait()
        try:
            new_team(store, f"T{n}", external_id="same")
            outcomes.append("created")
        except DuplicateTeam:
            outcomes.append("duplicate")

    threads = [threading.Thread(target=create, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["created"] + ["duplicate"] * 5
    assert rows(store, TeamRow) == 1


def test_names_are_compared_without_regard_to_case_in_any_script(store):
    new_team(store, "Équipe Straße")
    new_team(store, "ÄRZTE")

    def names(op, value):
        return [
            t.display_name
            for t in list_teams(store.reader(), TeamQuery(display_name=TextMatch(op, value))).teams
        ]

    assert names("eq", "équipe strasse") == ["Équipe Straße"]
    assert names("co", "STRASSE") == ["Équipe Straße"]
    assert names("sw", "ärz") == ["ÄRZTE"]
    assert names("eq", "equipe strasse") == []  # accents still count

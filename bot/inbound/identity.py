"""Who is who: a Slack user id becomes an employee, met through users.info on first sight."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from rewards import errors
from rewards.model import Employee
from rewards.services.allowance import AllowanceTerms
from rewards.services.people import ChatProfile, meet_chat_user
from storage.store import Store

log = logging.getLogger("plaudit.slack.identity")
CACHE_LIMIT = 50_000


class UnknownSlackUser(errors.EmployeeNotFound):
    code = "unknown_slack_user"


class Directory:
    """Finds (or meets) the employee behind a Slack user id."""

    def __init__(self, store: Store, client: WebClient, settings) -> None:
        self.store = store
        self.client = client
        self.settings = settings
        self._ids: dict[str, str] = {}  # Slack user id → employee id

    def employee_for(self, slack_user_id: str) -> Employee:
        with self.store.reader() as uow:
            known = uow.employees.get_by_slack_id(slack_user_id)
        employee = known if known is not None else self._meet(slack_user_id)
        self._ids[slack_user_id] = employee.id
        return employee

    def employee_id_for(self, slack_user_id: str, *, colleague: bool = False) -> str:
        """The employee id only: answered from memory after the first time (ids never change;
        the services still load the employee and check it is active). `colleague`: someone
        named by the person acting, so a closed account is refused in their words."""
        cached = self._ids.get(slack_user_id)
        if cached is not None:
            return cached
        if len(self._ids) >= CACHE_LIMIT:
            self._ids.clear()
        try:
            return self.employee_for(slack_user_id).id
        except errors.AccountClosed:
            if not colleague:
                raise
            raise errors.AccountClosed(
                f"<@{slack_user_id}> has no Plaudit account any more (it was closed).",
                slack_user_id=slack_user_id,
            ) from None

    def group_members(self, group_id: str) -> list[str]:
        try:
            response = self.client.usergroups_users_list(usergroup=group_id)
        except SlackApiError:
            raise UnknownSlackUser(f"I could not find the user group <!subteam^{group_id}>.") from None
        return list(response.get("users") or [])

    def _meet(self, slack_user_id: str) -> Employee:
        profile = self._profile(slack_user_id)
        terms = AllowanceTerms(self.settings.allowance, self.settings.timezone)
        employee, _ = meet_chat_user(self.store.uow(), profile, self.store.clock, terms)
        return employee

    def _profile(self, slack_user_id: str) -> ChatProfile:
        try:
            user = self.client.users_info(user=slack_user_id)["user"]
        except SlackApiError:
            raise UnknownSlackUser(f"I could not find <@{slack_user_id}> in this workspace.") from None
        profile = user.get("profile") or {}
        return ChatProfile(
            user_id=slack_user_id,
            email=profile.get("email") or None,
            display_name=profile.get("display_name") or profile.get("real_name") or None,
            timezone=user.get("tz") or None,
            is_bot=bool(user.get("is_bot")) or slack_user_id == "USLACKBOT",
            is_guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
            deleted=bool(user.get("deleted")),
        )

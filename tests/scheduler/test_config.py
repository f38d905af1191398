"""Scheduler settings come from PLAUDIT_* values, with clear errors for bad ones."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plaudit.clocks import SimulatedClock, clock_from
from plaudit.settings import SettingsError
from rewards.clock import SystemClock
from scheduler.config import SchedulerConfig, SchedulerConfigError


def test_defaults_are_the_documented_ones():
    config = SchedulerConfig.from_mapping({})
    assert config.milestone_hour == 9 and config.milestone_window == timedelta(days=7)
    assert config.remind_after == timedelta(hours=48)
    assert config.escalate_after == timedelta(days=5)
    assert config.expire_after == timedelta(days=14)
    assert config.digest_enabled is False and config.leader_poll_seconds <= 30


def test_values_are_parsed():
    config = SchedulerConfig.from_mapping(
        {
            "PLAUDIT_TIMEZONE": "Asia/Kolkata",
            "PLAUDIT_MILESTONE_WINDOW_DAYS": "3",
            "PLAUDIT_DIGEST_ENABLED": "yes",
            "PLAUDIT_DIGEST_WEEKDAY": "Friday",
            "PLAUDIT_APPROVAL_REMIND_HOURS": "24",
            "PLAUDIT_OUTBOX_MAX_ATTEMPTS": "3",
            "PLAUDIT_CELEBRATION_CHANNEL": "C1",
        }
    )
    assert config.timezone == "Asia/Kolkata" and config.milestone_window == timedelta(days=3)
    assert config.digest_enabled and config.digest_weekday == 4
    assert config.remind_after == timedelta(hours=24) and config.outbox_max_attempts == 3
    assert config.celebration_channel == "C1"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PLAUDIT_MILESTONE_HOUR", "25"),
        ("PLAUDIT_MILESTONE_WINDOW_DAYS", "soon"),
        ("PLAUDIT_OUTBOX_MAX_ATTEMPTS", "0"),
        ("PLAUDIT_DIGEST_WEEKDAY", "someday"),
        ("PLAUDIT_SCHEDULER_LEADER_POLL_SECONDS", "-1"),
    ],
)
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(SchedulerConfigError, match=name):
        SchedulerConfig.from_mapping({name: value})


def test_the_simulated_clock_is_for_demos_only():
    assert isinstance(clock_from({}, production=False), SystemClock)
    extra = {
        "PLAUDIT_SIMULATED_CLOCK_START": "2027-01-01T00:00:00+00:00",
        "PLAUDIT_SIMULATED_CLOCK_SPEED": "10",
    }
    assert isinstance(clock_from(extra, production=False), SimulatedClock)
    with pytest.raises(SettingsError):
        clock_from(extra, production=True)

"""Settings from the environment: defaults for development, clear errors naming the variable."""

from __future__ import annotations

import pytest

from plaudit.keyring_source import load_keys
from plaudit.settings import Settings, SettingsError
from storage.encryption.ciphers import generate_key


def test_defaults_need_no_configuration(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.database_url == f"sqlite:///{tmp_path / 'plaudit.db'}"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.recognition.max_points == 100 and "ownership" in settings.recognition.values
    assert settings.redemption.approval_threshold == 500


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PLAUDIT_TIMEZONE": "Mars/Olympus"}, "PLAUDIT_TIMEZONE"),
        ({"PLAUDIT_MAX_POINTS": "lots"}, "PLAUDIT_MAX_POINTS"),
        ({"PLAUDIT_ALLOWANCE_PERIOD": "daily"}, "PLAUDIT_ALLOWANCE_PERIOD"),
    ],
)
def test_a_bad_value_names_its_variable(env, named):
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env)


def test_values_are_normalised_and_the_threshold_can_be_turned_off():
    settings = Settings.from_env(
        {
            "PLAUDIT_VALUES": "#Kindness, Craft ,",
            "PLAUDIT_APPROVAL_THRESHOLD": "none",
            "PLAUDIT_TIMEZONE": "Asia/Kolkata",
        }
    )
    assert settings.recognition.values == ("kindness", "craft")
    assert settings.redemption.approval_threshold is None
    assert settings.recognition.timezone == "Asia/Kolkata"


def test_development_keys_are_created_once_with_private_permissions(tmp_path):
    settings = Settings.from_env({"PLAUDIT_DEV_KEYRING": str(tmp_path / "k" / "dev.json")})
    first = load_keys(settings)
    second = load_keys(settings)
    assert (tmp_path / "k" / "dev.json").stat().st_mode & 0o777 == 0o600
    assert first[0] == second[0]


def test_half_configured_keys_are_refused():
    with pytest.raises(SettingsError, match="PLAUDIT_BLIND_INDEX_KEY"):
        load_keys(Settings.from_env({"PLAUDIT_ENCRYPTION_KEYS": f"k1:{generate_key()}"}))

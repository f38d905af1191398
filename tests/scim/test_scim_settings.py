"""The SCIM settings the API reads from the PLAUDIT_* mapping."""

from __future__ import annotations

import pytest

from api.config import ApiConfig, ApiConfigError


def test_defaults_deactivate_and_allow_a_provider_pushing_fifty_at_once():
    config = ApiConfig.from_mapping({})
    assert config.scim_delete == "deactivate"
    assert config.scim_rate_per_second >= 50 and config.scim_rate_burst >= 50


def test_settings_are_read():
    config = ApiConfig.from_mapping(
        {"PLAUDIT_SCIM_DELETE": "Erase", "PLAUDIT_SCIM_RATE": "20", "PLAUDIT_SCIM_BURST": "40"}
    )
    assert (config.scim_delete, config.scim_rate_per_second, config.scim_rate_burst) == ("erase", 20.0, 40)


@pytest.mark.parametrize(
    ("name", "value"),
    [("PLAUDIT_SCIM_DELETE", "shred"), ("PLAUDIT_SCIM_RATE", "fast"), ("PLAUDIT_SCIM_BURST", "-1")],
)
def test_a_bad_setting_is_refused_by_name(name, value):
    with pytest.raises(ApiConfigError, match=name):
        ApiConfig.from_mapping({name: value})

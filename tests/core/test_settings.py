"""Bad settings stop golive with one sentence naming the variable."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.settings import SettingsError, load_settings
from providers.base import Endpoints


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GOLIVE_PORT", "abc"),
        ("GOLIVE_TIMEZONE", "Mars/Olympus"),
        ("GOLIVE_DATABASE_URL", "mysql://x"),
        ("GOLIVE_PUBLIC_URL", "golive.example.com"),
    ],
)
def test_malformed_setting_names_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert variable in str(info.value)


def test_cli_reports_bad_key_in_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("GOLIVE_SECRET_KEYS", "not-a-key")
    monkeypatch.setenv("GOLIVE_DATA_DIR", str(tmp_path))
    assert main(["doctor"]) == 2
    err = capsys.readouterr().err
    assert "GOLIVE_SECRET_KEYS key #1 is not a Fernet key" in err
    assert "not-a-key" not in err


def test_explicit_endpoint_override_wins():
    defaults = Endpoints("https://www.googleapis.com/youtube/v3", "https://a", "https://t")
    env = {"GOLIVE_YOUTUBE_API_URL": "http://127.0.0.1:9/youtube/v3/"}
    endpoints = Endpoints.from_env("youtube", defaults, env)
    assert endpoints.api_url == "http://127.0.0.1:9/youtube/v3"
    assert endpoints.auth_url == "https://a"

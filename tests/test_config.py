"""Settings from BUURBOT_* variables; the token is a secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.core.config import RuntimeName, Settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "TELEGRAM_TOKEN", "RUNTIME", "TIMEZONE", "DEFAULT_LANGUAGE"):
        monkeypatch.delenv(f"BUURBOT_{name}", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite+aiosqlite:///buurbot.db"
    assert settings.telegram_token is None
    assert settings.runtime is RuntimeName.AIOGRAM
    assert settings.timezone == "Europe/Amsterdam"
    assert settings.default_language == "nl"


def test_environment_and_secret_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUURBOT_TELEGRAM_TOKEN", "123456:SECRET-TOKEN")
    monkeypatch.setenv("BUURBOT_RUNTIME", "ptb")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.runtime is RuntimeName.PTB
    assert settings.telegram_token is not None
    assert settings.telegram_token.get_secret_value() == "123456:SECRET-TOKEN"
    assert "SECRET-TOKEN" not in repr(settings) and "SECRET-TOKEN" not in str(settings)


@pytest.mark.parametrize(
    ("name", "value"), [("TIMEZONE", "Mars/Olympus"), ("DEFAULT_LANGUAGE", "fr"), ("RUNTIME", "x")]
)
def test_invalid_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(f"BUURBOT_{name}", value)
    with pytest.raises(
        ValidationError, match=f"(?s)^1 validation error for Settings\n{name.lower()}\n"
    ):
        Settings(_env_file=None)  # type: ignore[call-arg]

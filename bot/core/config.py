"""Settings from BUURBOT_* environment variables and an optional .env file."""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Dutch first (the default), English is the source of every text.
SUPPORTED_LANGUAGES = ("nl", "en", "tr", "pl", "ar", "uk")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class RuntimeName(StrEnum):
    AIOGRAM = "aiogram"
    PTB = "ptb"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BUURBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite+aiosqlite:///buurbot.db"
    # redis://host:6379/0: every process of this bot shares Telegram's limits there. Unset:
    # in PostgreSQL when that is the database, else each process alone (SQLite: one process).
    redis_url: str | None = None
    # A secret: SecretStr keeps it out of repr() and logs.
    telegram_token: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"
    runtime: RuntimeName = RuntimeName.AIOGRAM
    timezone: str = "Europe/Amsterdam"
    default_language: str = "nl"
    # Each initiative's invite links are t.me/<username>?start=...; the Telegram
    # runtimes learn the username from getMe, the console uses this.
    bot_username: str = "buurbot"
    # The one stall threshold (bot/domain/stall.py): after this many quiet days, with nothing
    # planned ahead, the initiators get a nudge, the coach an alert, and the coach's
    # overview and digest list the initiative as quiet.
    stall_days: int = 21
    # Per-person flood limit: this many updates per window before a polite pause.
    flood_max_updates: int = 20
    flood_window_seconds: float = 10.0
    group_flood_max_updates: int = 40
    # One person in a group: everyone reads what their updates make the bot post.
    group_member_flood_max_updates: int = 8
    max_text_length: int = 4096
    # WhatsApp (Cloud API): `buurbot run` serves it when the token and phone number id are
    # set. Secrets as SecretStr: redacted from every log record (bot/core/logs.py).
    whatsapp_token: SecretStr | None = None
    whatsapp_phone_number_id: str = ""
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_api_base: str = "https://graph.facebook.com"
    whatsapp_api_version: str = "v23.0"
    # The business's public number (digits, with country code) for wa.me links.
    whatsapp_number: str = ""
    # Template names Meta approved (comma-separated): only these are sent.
    whatsapp_approved_templates: str = ""
    # DEBUG, INFO, WARNING or ERROR; unset: INFO for the bot, WARNING for the console and the
    # operator commands. Secrets are redacted from the log at every level.
    log_level: str | None = None  # TEMP
    # The web console (`buurbot web`): the public address the bot's login links point to;
    # cookies are Secure when it is https (or behind TLS: X-Forwarded-Proto, or this set).
    web_url: str = "http://127.0.0.1:8090"
    web_secure_cookies: bool = False
    web_session_hours: int = 8

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"default_language must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"log_level must be one of {', '.join(LOG_LEVELS)}")
        return value.strip().upper()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(self.whatsapp_token and self.whatsapp_phone_number_id)

    @property
    def approved_templates(self) -> frozenset[str]:
        return frozenset(
            name.strip() for name in self.whatsapp_approved_templates.split(",") if name.strip()
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

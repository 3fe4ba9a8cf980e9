"""Runtime settings, read from the environment or a ``.env`` file when asked to, never at import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from config.messages import DEFAULT_CLI_LANGUAGE, CliLanguage


class Settings(BaseSettings):
    """psm-bot settings: every field maps to a ``PSM_*`` environment variable."""

    model_config = SettingsConfigDict(
        env_prefix="PSM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: SecretStr | None = Field(
        default=None, description="Token from @BotFather (secret, never logged)."
    )
    api_base_url: str | None = Field(
        default=None,
        description="Bot API server root, e.g. http://127.0.0.1:8081; Telegram's by default.",
    )
    database: Path = Field(default=Path("psm-bot.sqlite3"), description="SQLite file.")
    event_file: Path | None = Field(
        default=None, description="Event configuration (YAML); the bundled file by default."
    )
    organisers: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Comma-separated Telegram user ids of organisers."
    )
    bot_username: str | None = Field(
        default=None,
        description="The bot's @username, for links printed outside Telegram (psm-bot qr).",
    )

    cli_language: CliLanguage = Field(
        default=DEFAULT_CLI_LANGUAGE,
        description="Language of check-config and of the bot's refusal of an invalid event file "
        "(it or en; check-config --lang wins).",
    )

    # --- production: logging (issue 14) ---
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO",
        description="Lowest level logged (libraries stay at INFO or above: their DEBUG lines "
        "quote whole updates).",
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="text: one readable line; json: one JSON object per line."
    )

    # --- production: proxy and Telegram's test environment (issue 14) ---
    proxy: SecretStr | None = Field(
        default=None,
        description="HTTP proxy for the Bot API requests, e.g. http://proxy.example.org:3128 "
        "(wins over HTTPS_PROXY; NO_PROXY still applies). Secret: it may hold a password.",
    )
    ca_file: Path | None = Field(
        default=None,
        description="PEM file of CA certificates to trust besides the system's, for the Bot "
        "API client (a TLS-inspecting proxy's or a self-hosted Bot API server's private CA).",
    )
    test_environment: bool = Field(
        default=False,
        description="Talk to Telegram's test servers (a bot made with the test BotFather).",
    )

    # --- production: webhook mode (issue 14); polling when webhook_url is not set ---
    webhook_url: str | None = Field(
        default=None,
        description="Public https:// URL Telegram POSTs updates to (the reverse proxy's); "
        "unset: polling.",
    )
    webhook_listen: str = Field(
        default="127.0.0.1", description="Address the bot's webhook server listens on."
    )
    webhook_port: int = Field(
        default=8443, ge=1, le=65535, description="Port the bot's webhook server listens on."
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        validate_default=True,
        description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (required with "
        "webhook_url; 1-256 of A-Z a-z 0-9 _ -).",
    )

    outbox_interval: float = Field(
        default=1.0, gt=0, le=60, description="Seconds between two looks at the outbox."
    )

    overall_rate: float = Field(
        default=29.0, gt=0, le=30, description="Messages per second overall (Telegram: ~30)."
    )
    chat_rate: float = Field(
        default=1.0, gt=0, description="Messages per second to one chat, after a short burst."
    )
    chat_burst: int = Field(default=5, ge=1, description="Messages one chat may get at once.")
    http_connections: int = Field(
        default=64,
        ge=1,
        le=1024,
        description="Connections to the Bot API server kept open at most (bot/http.py).",
    )

    sandbox_host: str = Field(
        default="127.0.0.1",
        description="Address of the sandbox page (psm-bot sandbox); loopback only by default.",
    )
    sandbox_port: int = Field(
        default=8080, ge=0, le=65535, description="Port of the sandbox's page (0: a free one)."
    )
    sandbox_database: Path = Field(
        default=Path("sandbox.sqlite3"),
        description="The sandbox's own SQLite file (never PSM_DATABASE's).",
    )

    # --- operations (issue 14, prod-ops): backups ---
    backup_interval: dt.timedelta = Field(
        default=dt.timedelta(minutes=30),
        description="Scheduled backups while an event is running: every this long (30m, 1h, "
        "or seconds; 0 turns them off).",
    )
    backup_keep: int = Field(
        default=24, ge=1, description="How many scheduled backups to keep (the newest)."
    )
    backup_every_day: bool = Field(
        default=False,
        description="Scheduled backups every day, not only on the event file's event days.",
    )

    conversation_ttl_days: int = Field(
        default=7,
        ge=1,
        description="A conversation nobody answered for this many days is forgotten.",
    )
    health_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port of the running bot's /healthz (none by default; 0: a free one).",
    )
    health_host: str = Field(
        default="127.0.0.1", description="Address of /healthz; loopback only by default."
    )

    # --- issue 15, part C: the bot's web server (the projector view and /healthz) ---
    web_host: str = Field(
        default="127.0.0.1",
        description="Address of the bot's web server (the projector page, /healthz); "
        "loopback by default: the organisation's reverse proxy forwards to it.",
    )
    web_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port of the bot's web server (none by default: no projector page; "
        "0: a free one, logged).",
    )
    public_url: str | None = Field(
        default=None,
        description="The address the reverse proxy exposes the web server at, e.g. "
        "https://bot.example.org/psm-bot (used in the projector's links).",
    )
    web_secret: SecretStr | None = Field(
        default=None,
        description="Key of the projector links' signatures (by default derived from the "
        "bot token: a new token makes old links invalid).",
    )

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// address, e.g. https://bot.example.org")
        if parts.query or parts.fragment:
            raise ValueError("must be an address without ? or #, e.g. https://bot.example.org/psm")
        return value

    def web_secret_value(self) -> str | None:
        """``PSM_WEB_SECRET`` in clear (None when unset), for the projector's tokens only."""
        secret = self.web_secret.get_secret_value().strip() if self.web_secret else ""
        return secret or None

    # --- end of part C's block ---

    @field_validator("backup_interval", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return parse_interval(value)

    @field_validator("organisers", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("proxy")
    @classmethod
    def _proxy(cls, value: SecretStr | None) -> SecretStr | None:
        text = value.get_secret_value().strip() if value is not None else ""
        if not text:
            return None
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "must be an http:// proxy URL, e.g. http://proxy.example.org:3128 (SOCKS is not "
                "supported)"
            )
        return SecretStr(text)

    @field_validator("ca_file", mode="before")
    @classmethod
    def _ca_file(cls, value: object) -> object:
        """A readable PEM file with at least one certificate (checked now: one line at start,
        not a TLS error at the first request); empty means none."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        path = Path(str(value).strip()).expanduser()
        if not path.is_file():
            raise ValueError(f"{path} is not a file (a PEM file of CA certificates to trust)")
        import ssl  # only when a CA file is set

        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=str(path))
        except (ssl.SSLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc.__class__.__name__
            raise ValueError(f"{path} holds no PEM CA certificate ({reason})") from None
        return path

    def proxy_url(self) -> str | None:
        """``PSM_PROXY`` in clear, for the HTTP client only."""
        return self.proxy.get_secret_value() if self.proxy else None

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        value = value.strip()
        parts = urlsplit(value)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError("must be an https:// URL (Telegram delivers webhooks over HTTPS)")
        if not parts.hostname:
            raise ValueError("must name a host, e.g. https://bot.example.org/psm-bot/webhook")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        secret = value.get_secret_value().strip() if value is not None else ""
        if not secret:
            if info.data.get("webhook_url"):
                raise ValueError("required with PSM_WEBHOOK_URL (e.g. from: openssl rand -hex 32)")
            return None
        if len(secret) > 256 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret):
            raise ValueError("use 1 to 256 characters among A-Z a-z 0-9 _ -")
        return SecretStr(secret)

    def webhook_path(self) -> str:
        """The path the webhook server answers on: the public URL's (the proxy forwards it)."""
        return urlsplit(self.webhook_url or "").path or "/"

    def webhook_secret_value(self) -> str:
        """The webhook secret in clear, for setWebhook and the check of each request."""
        return self.webhook_secret.get_secret_value() if self.webhook_secret else ""

    @field_validator("api_base_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None

    def token(self) -> str:
        """The bot token in clear, for the Bot API client only."""
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise MissingTokenError
        return self.bot_token.get_secret_value().strip()


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(value: object) -> object:
    """``30m``, ``1h``, ``90s``, ``2d`` or a number of seconds as a timedelta; anything else
    is left for pydantic to refuse."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.timedelta(seconds=value)
    if isinstance(value, str):
        text = value.strip().lower()
        unit = _UNITS.get(text[-1:])
        number = text[:-1] if unit else text
        try:
            amount = float(number)
        except ValueError:
            raise ValueError(f"'{value}' is not a duration: write it as 30m, 1h, 90s, 0") from None
        if amount < 0:
            raise ValueError(f"'{value}': a duration cannot be negative")
        return dt.timedelta(seconds=amount * (unit or 1))
    return value


class MissingTokenError(RuntimeError):
    """No token configured."""

    def __str__(self) -> str:
        return (
            "No bot token: set PSM_BOT_TOKEN (from @BotFather) in the environment or in .env "
            "(see .env.example)."
        )


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and ``.env`` now (never at import time)."""
    return Settings(**overrides)  # type: ignore[arg-type]

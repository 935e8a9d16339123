"""Reading one setting from the environment: a bad value stops start-up with an error that
names the variable (bots/config.py reads them all once, each channel its own)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from urllib.parse import urlsplit

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
"""Hosts where plain http is allowed (the demo and the tests): anywhere else a token travels over TLS only."""
TRUE_WORDS, FALSE_WORDS = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def read_int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def read_date(env: Mapping[str, str], name: str) -> date | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a date as YYYY-MM-DD, got {raw!r}") from None


def read_flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().casefold()
    if raw not in TRUE_WORDS | FALSE_WORDS:
        raise ConfigError(f"{name} must be 1 or 0, got {raw!r}")
    return raw in TRUE_WORDS


def read_choice(env: Mapping[str, str], name: str, default: str, allowed: set[str]) -> str:
    raw = (env.get(name, "") or default).strip().upper()
    if raw not in allowed:
        raise ConfigError(f"{name} must be one of {sorted(allowed)}, got {raw!r}")
    return raw


def check_url(name: str, url: str) -> None:
    """An address a token or a secret will travel to: https, or http on this machine only."""
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return
    raise ConfigError(f"{name} must be an https:// address (http:// only on this machine, for the demo), got {url!r}")


def read_url(env: Mapping[str, str], name: str, default: str) -> str:
    url = env.get(name, "").strip().rstrip("/") or default
    check_url(name, url)
    return url

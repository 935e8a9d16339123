"""The WeCom channel's settings: the self-built app's ids and callback secrets, all or none."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bots.role_groups import read_role_groups, wecom_groups
from bots.settings_readers import ConfigError, read_int
from state.models import Role

WECOM_PUBLIC_API = "https://qyapi.weixin.qq.com/cgi-bin/"


@dataclass(frozen=True, kw_only=True)
class WecomSettings:
    corp_id: str = ""
    agent_id: int = 0
    secret: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    encoding_aes_key: str = field(default="", repr=False)
    api_base_url: str = WECOM_PUBLIC_API
    role_groups: Mapping[Role, tuple[str, ...]] = field(default_factory=dict)  # ESAFETY_ROLE_GROUPS' dept: and tag: groups
    group_sends_per_month: int = 0  # group sends one 班级群 may receive a month (WeCom's rule); 0: the month's days

    @property
    def school_contacts(self) -> bool:
        """The school asked for its roster from the school contacts: it named WeCom role groups."""
        return bool(self.role_groups)

    @property
    def configured(self) -> bool:
        return bool(self.corp_id)


def wecom_settings(env: Mapping[str, str]) -> WecomSettings:
    names = ("WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_SECRET", "WECOM_TOKEN", "WECOM_ENCODING_AES_KEY")
    given = {name: env.get(name, "").strip() for name in names}
    base = env.get("WECOM_API_BASE_URL", "").strip() or WECOM_PUBLIC_API
    if urlsplit(base).scheme not in {"http", "https"}:
        raise ConfigError(f"WECOM_API_BASE_URL must be an http(s) URL, got {base!r}")
    role_groups = wecom_groups(read_role_groups(env.get("ESAFETY_ROLE_GROUPS", "")))
    if not any(given.values()):
        if role_groups:
            raise ConfigError("ESAFETY_ROLE_GROUPS names WeCom departments or tags, but WeCom is off: set WECOM_CORP_ID and the rest")
        return WecomSettings(api_base_url=base)
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise ConfigError(f"WeCom is partly configured: also set {', '.join(missing)}")
    if len(given["WECOM_ENCODING_AES_KEY"]) != 43:
        raise ConfigError("WECOM_ENCODING_AES_KEY must be the 43-character EncodingAESKey from the WeCom admin console")
    return WecomSettings(
        corp_id=given["WECOM_CORP_ID"],
        agent_id=read_int(env, "WECOM_AGENT_ID", 0, low=1, high=2**31 - 1),
        secret=given["WECOM_SECRET"],
        token=given["WECOM_TOKEN"],
        encoding_aes_key=given["WECOM_ENCODING_AES_KEY"],
        api_base_url=base.rstrip("/") + "/",
        role_groups=role_groups,
        group_sends_per_month=read_int(env, "WECOM_GROUP_SENDS_PER_MONTH", 0, low=0, high=31),
    )

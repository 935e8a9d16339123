"""ESAFETY_ROLE_GROUPS: which directory groups give the staff roles, for each channel's directory.

`dsl=ID;deputy_dsl=ID;head=ID;admin=ID,ID`. An id as it is (an Entra group's object id) is a
Microsoft 365 group, read by the Teams directory; `dept:ID` (a WeCom department) and `tag:ID` (a
WeCom tag) are read by the WeCom directory. One setting serves a school on both channels.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from bots.settings_readers import ConfigError
from state.models import Role

STAFF_ROLES = (Role.DSL, Role.DEPUTY_DSL, Role.HEAD, Role.ADMIN)
"""The roles a directory group can give, strongest first: someone in two groups takes the first."""
WECOM_ID = re.compile(r"(dept|tag):\d+")
RoleGroups = Mapping[Role, tuple[str, ...]]


def read_role_groups(raw: str) -> dict[Role, tuple[str, ...]]:
    """Every staff role's groups, as written; a malformed setting stops start-up."""
    found: dict[Role, tuple[str, ...]] = {}
    allowed = {role.value: role for role in STAFF_ROLES}
    for part in filter(None, (piece.strip() for piece in raw.split(";"))):
        name, equals, ids = part.partition("=")
        role = allowed.get(name.strip().casefold())
        groups = tuple(filter(None, (group.strip() for group in ids.split(","))))
        if not equals or role is None or not groups:
            raise ConfigError(f"ESAFETY_ROLE_GROUPS: {part!r} is not ROLE=GROUP_ID[,GROUP_ID] with ROLE one of {sorted(allowed)}")
        if role in found:
            raise ConfigError(f"ESAFETY_ROLE_GROUPS names {role.value} twice")
        odd = [group for group in groups if ":" in group and not WECOM_ID.fullmatch(group)]
        if odd:
            raise ConfigError(f"ESAFETY_ROLE_GROUPS: {', '.join(odd)}: a WeCom group is dept:NUMBER or tag:NUMBER")
        found[role] = groups
    return found


def microsoft_groups(groups: RoleGroups) -> dict[Role, tuple[str, ...]]:
    """The Entra groups: the ids with no `dept:` or `tag:` prefix."""
    return _only(groups, lambda group: ":" not in group)


def wecom_groups(groups: RoleGroups) -> dict[Role, tuple[str, ...]]:
    """The WeCom departments and tags, still prefixed."""
    return _only(groups, lambda group: ":" in group)


def _only(groups: RoleGroups, keep: Callable[[str], bool]) -> dict[Role, tuple[str, ...]]:
    chosen = {role: tuple(group for group in ids if keep(group)) for role, ids in groups.items()}
    return {role: ids for role, ids in chosen.items() if ids}

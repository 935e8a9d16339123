"""ESAFETY_ROLE_GROUPS: one setting for both channels' directories, checked at start-up."""

from __future__ import annotations

import pytest

from bots.role_groups import microsoft_groups, read_role_groups, wecom_groups
from bots.settings_readers import ConfigError
from bots.teams.graph_settings import graph_settings
from state.models import Role


def test_role_groups_map_each_staff_role_to_its_groups_on_each_channel() -> None:
    assert read_role_groups("dsl=G1; deputy_dsl=G2;admin=G3,G4") == {Role.DSL: ("G1",), Role.DEPUTY_DSL: ("G2",), Role.ADMIN: ("G3", "G4")}
    assert read_role_groups("") == {}
    both = read_role_groups("dsl=G1,dept:7;admin=tag:3")  # a school on Teams and WeCom: one setting
    assert microsoft_groups(both) == {Role.DSL: ("G1",)}
    assert wecom_groups(both) == {Role.DSL: ("dept:7",), Role.ADMIN: ("tag:3",)}
    for bad in ("teacher=G1", "dsl", "dsl=", "dsl=G1;dsl=G2", "dsl=dept:x", "admin=team:4"):
        with pytest.raises(ConfigError, match="ESAFETY_ROLE_GROUPS"):
            read_role_groups(bad)


def test_wecom_role_groups_alone_do_not_ask_for_microsoft_graph() -> None:
    assert not graph_settings({"ESAFETY_ROLE_GROUPS": "dsl=dept:7"}).wanted

"""The Teams app package: a valid manifest and both icons, in a zip an admin can upload."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from dataclasses import replace

import pytest

from bots.teams.package import PackageError, Publisher, build_package

APP_ID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
SCHOOL = Publisher(developer="School", website="https://s.example/", privacy="https://s.example/p", terms="https://s.example/t")
REQUIRED = ("$schema", "manifestVersion", "version", "id", "developer", "name", "description", "icons", "accentColor")


def test_package_has_a_valid_manifest_and_icons() -> None:
    """manifest.json parses, has every required field, the three scopes with commands for each,
    and the icons are PNGs of the sizes Teams requires (192×192 colour, 32×32 outline)."""
    archive = zipfile.ZipFile(io.BytesIO(build_package(APP_ID, SCHOOL)))
    assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
    manifest = json.loads(archive.read("manifest.json"))
    assert all(field in manifest for field in REQUIRED)
    assert manifest["$schema"].endswith(f"/v{manifest['manifestVersion']}/MicrosoftTeams.schema.json")
    (bot,) = manifest["bots"]
    assert (bot["botId"], manifest["id"]) == (APP_ID, APP_ID)
    assert bot["scopes"] == ["personal", "groupChat", "team"]
    assert sorted(scope for commands in bot["commandLists"] for scope in commands["scopes"]) == ["groupChat", "personal", "team"]
    assert all(len(command["title"]) <= 32 for commands in bot["commandLists"] for command in commands["commands"])
    assert len(manifest["name"]["short"]) <= 30
    assert len(manifest["description"]["short"]) <= 80
    for name, size in (("color.png", 192), ("outline.png", 32)):
        png = archive.read(name)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert struct.unpack(">II", png[16:24]) == (size, size)


def test_app_id_must_be_a_guid() -> None:
    """A mistyped app id is refused rather than packaged."""
    with pytest.raises(PackageError, match="GUID"):
        build_package("not-a-guid", SCHOOL)


@pytest.mark.parametrize(("changed", "refusal"), [
    ({"website": "notaurl"}, "--website must be an https URL"),
    ({"privacy": "http://s.example/p"}, "--privacy must be an https URL"),
    ({"terms": "https://"}, "--terms must be an https URL"),
    ({"version": "1.0"}, "--app-version must be three numbers"),
])
def test_a_package_teams_would_reject_is_refused(changed: dict[str, str], refusal: str) -> None:
    with pytest.raises(PackageError, match=refusal):
        build_package(APP_ID, replace(SCHOOL, **changed))


def test_the_version_is_the_schools_and_placeholders_are_named() -> None:
    """An update needs a higher version; options left at their placeholders are listed for a warning."""
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(build_package(APP_ID, replace(SCHOOL, version="1.2.3")))).read("manifest.json"))
    assert manifest["version"] == "1.2.3"
    assert SCHOOL.placeholders() == []
    assert Publisher(developer="St Mary's").placeholders() == ["--website", "--privacy", "--terms"]

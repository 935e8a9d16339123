"""`esafety-bot teams-package`: the zip a school's Teams admin uploads (manifest + two icons).

The bot is offered in the three scopes it works in: `personal` (1:1 reports and staff alerts),
`groupChat` and `team` (class chats). Commands are listed per scope so Teams suggests them.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bots.teams.icons import color_icon, outline_icon

MANIFEST_VERSION = "1.22"
SCHEMA = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
SEMVER = re.compile(r"^\d{1,9}\.\d{1,9}\.\d{1,9}$")

PERSONAL_COMMANDS = [
    ("report", "Tell the safeguarding team about a worry, privately"),
    ("help", "What the safety bot can do for you"),
    ("status", "Staff: is a class group supervised? status GROUP"),
    ("cases", "Safeguarding leads: open cases"),
    ("ack", "Safeguarding leads: acknowledge a case, ack C-…"),
    ("schedule", "Staff: set a group's reminder schedule"),
]
GROUP_COMMANDS = [
    ("report", "Report a worry privately (the bot messages you)"),
    ("status", "Staff: is this group supervised?"),
    ("recheck", "Staff: check supervision again now"),
    ("lesson start", "Staff: start a recorded live lesson"),
    ("lesson end", "Staff: end the lesson and take the register"),
    ("schedule", "Staff: set this group's reminder schedule"),
]


class PackageError(ValueError):
    pass


@dataclass(frozen=True)
class Publisher:
    """Who publishes the app, as Teams shows it, and the package's version (raise it to upload an
    update). Teams rejects a package whose links are not https URLs."""

    developer: str = "Your school"
    website: str = "https://example.org/"
    privacy: str = "https://example.org/privacy"
    terms: str = "https://example.org/terms"
    version: str = "1.0.0"

    def check(self) -> None:
        for option, url in (("--website", self.website), ("--privacy", self.privacy), ("--terms", self.terms)):
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.netloc:
                raise PackageError(f"{option} must be an https URL (Teams rejects anything else), got {url!r}")
        if not SEMVER.match(self.version):
            raise PackageError(f"--app-version must be three numbers such as 1.0.1 (raise it for each update), got {self.version!r}")

    def placeholders(self) -> list[str]:
        """The options still at their placeholder values: Teams shows them to every user."""
        default = Publisher()
        return [option for option, mine, theirs in (("--developer", self.developer, default.developer),
                                                     ("--website", self.website, default.website),
                                                     ("--privacy", self.privacy, default.privacy),
                                                     ("--terms", self.terms, default.terms)) if mine == theirs]


def manifest(app_id: str, publisher: Publisher) -> dict[str, Any]:
    if not GUID.match(app_id):
        raise PackageError(f"--app-id must be the bot's Microsoft app id (a GUID), got {app_id!r}")
    publisher.check()

    def commands(items: list[tuple[str, str]]) -> list[dict[str, str]]:
        return [{"title": title, "description": description} for title, description in items]

    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": publisher.version,
        "id": app_id,
        "developer": {"name": publisher.developer, "websiteUrl": publisher.website, "privacyUrl": publisher.privacy,
                      "termsOfUseUrl": publisher.terms},
        "name": {"short": "e-Safety", "full": "e-Safety class assistant"},
        "description": {
            "short": "Keeps class chats supervised and routes worries to the safeguarding lead.",
            "full": ("Checks that an adult from the admin team is in every class chat with students, refuses private "
                     "teacher-student chats, posts e-safety reminders and recording notices, and delivers reported "
                     "worries to the school's safeguarding lead with acknowledgement and escalation."),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#1F6FB2",
        "bots": [{
            "botId": app_id,
            "scopes": ["personal", "groupChat", "team"],
            "supportsFiles": False,
            "isNotificationOnly": False,
            "commandLists": [
                {"scopes": ["personal"], "commands": commands(PERSONAL_COMMANDS)},
                {"scopes": ["groupChat"], "commands": commands(GROUP_COMMANDS)},
                {"scopes": ["team"], "commands": commands(GROUP_COMMANDS)},
            ],
        }],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
    }


def build_package(app_id: str, publisher: Publisher) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        content = manifest(app_id, publisher)
        archive.writestr("manifest.json", json.dumps(content, indent=2, ensure_ascii=False))
        archive.writestr("color.png", color_icon())
        archive.writestr("outline.png", outline_icon())
    return data.getvalue()

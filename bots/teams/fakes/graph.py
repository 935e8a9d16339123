"""A local Microsoft Graph for the school's directory, on the real wire format: the identity
platform's client-credentials token endpoint (`/{tenant}/oauth2/v2.0/token`) and, under
`/v1.0`, `education/classes` (with each class's `members` and `teachers`), `education/users`
and `groups/{id}/transitiveMembers`. Lists come in pages of `page_size` joined by an absolute
`@odata.nextLink` with a `$skiptoken`, as Graph pages them; `throttle(n)` answers the next n
requests 429 with a `Retry-After`. Every request needs the bearer token it issued.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bots.sockets import free_port

GRAPH_PATH = "/v1.0"


@dataclass
class FakeClass:
    id: str
    name: str
    students: list[str] = field(default_factory=list)  # user ids
    teachers: list[str] = field(default_factory=list)


@dataclass
class FakeUser:
    id: str
    name: str
    upn: str
    primary_role: str = ""  # student | teacher | "" (not an education user: a staff member in a role group only)

    def entry(self) -> dict[str, Any]:
        """As the education API lists them (an educationUser)."""
        return {"@odata.type": "#microsoft.graph.educationUser", "id": self.id, "displayName": self.name,
                "userPrincipalName": self.upn, "mail": self.upn, "primaryRole": self.primary_role or "none"}

    def directory_entry(self) -> dict[str, Any]:
        """As a group's members list them (a directory user)."""
        return {"@odata.type": "#microsoft.graph.user", "id": self.id, "displayName": self.name, "userPrincipalName": self.upn,
                "mail": self.upn}


class FakeGraph:
    def __init__(self, *, tenant_id: str, client_id: str, client_secret: str, page_size: int = 2, retry_after: int = 3) -> None:
        self.tenant_id, self.client_id, self.client_secret = tenant_id, client_id, client_secret
        self.page_size, self.retry_after = page_size, retry_after
        self.users: dict[str, FakeUser] = {}
        self.classes: dict[str, FakeClass] = {}
        self.groups: dict[str, list[str]] = {}  # group id → member user ids, or "group:ID" for a nested group
        self.tokens_issued = 0
        self.requests: list[str] = []  # each Graph path asked for, in order
        self._throttled = 0
        self._tokens: set[str] = set()
        self._runner: web.AppRunner | None = None
        self.url = ""

    @property
    def base_url(self) -> str:
        return self.url + GRAPH_PATH

    def throttle(self, requests: int) -> None:
        self._throttled = requests

    def revoke_tokens(self) -> None:
        """Every token issued so far stops working (Graph then answers 401)."""
        self._tokens.clear()

    def add_user(self, user: FakeUser) -> FakeUser:
        self.users[user.id] = user
        return user

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_get(GRAPH_PATH + "/education/classes", self._classes)
        app.router.add_get(GRAPH_PATH + "/education/classes/{id}/members", self._members)
        app.router.add_get(GRAPH_PATH + "/education/classes/{id}/teachers", self._teachers)
        app.router.add_get(GRAPH_PATH + "/education/users", self._education_users)
        app.router.add_get(GRAPH_PATH + "/groups/{id}/transitiveMembers", self._group_members)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if (request.match_info["tenant"] != self.tenant_id or form.get("grant_type") != "client_credentials"
                or form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret):
            return web.json_response({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."},
                                     status=401)
        token = secrets.token_urlsafe(24)
        self._tokens.add(token)
        self.tokens_issued += 1
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "access_token": token})

    def _page(self, request: web.Request, entries: list[dict[str, Any]]) -> web.Response:
        self.requests.append(request.path)
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self._tokens:
            return web.json_response({"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty or invalid."}},
                                     status=401)
        if self._throttled:
            self._throttled -= 1
            return web.json_response({"error": {"code": "TooManyRequests", "message": "Too many requests."}}, status=429,
                                     headers={"Retry-After": str(self.retry_after)})
        start = int(request.query.get("$skiptoken", "0"))
        body: dict[str, Any] = {"value": entries[start:start + self.page_size]}
        if start + self.page_size < len(entries):
            body["@odata.nextLink"] = str(request.url.update_query({"$skiptoken": str(start + self.page_size)}))
        return web.json_response(body)

    def _entries(self, user_ids: list[str]) -> list[dict[str, Any]]:
        return [self.users[user_id].entry() for user_id in user_ids if user_id in self.users]

    async def _classes(self, request: web.Request) -> web.Response:
        return self._page(request, [{"id": each.id, "displayName": each.name} for each in self.classes.values()])

    async def _members(self, request: web.Request) -> web.Response:
        found = self.classes.get(request.match_info["id"])
        if found is None:
            return web.json_response({"error": {"code": "ResourceNotFound"}}, status=404)
        return self._page(request, self._entries(found.students + found.teachers))

    async def _teachers(self, request: web.Request) -> web.Response:
        found = self.classes.get(request.match_info["id"])
        if found is None:
            return web.json_response({"error": {"code": "ResourceNotFound"}}, status=404)
        return self._page(request, self._entries(found.teachers))

    async def _education_users(self, request: web.Request) -> web.Response:
        return self._page(request, [user.entry() for user in self.users.values() if user.primary_role])

    async def _group_members(self, request: web.Request) -> web.Response:
        group_id = request.match_info["id"]
        if group_id not in self.groups:
            return web.json_response({"error": {"code": "Request_ResourceNotFound"}}, status=404)
        users = [self.users[user_id].directory_entry() for user_id in self._flattened(group_id, set()) if user_id in self.users]
        return self._page(request, [*users,
                                    *({"@odata.type": "#microsoft.graph.group", "id": member[6:], "displayName": member[6:]}
                                      for member in self.groups[group_id] if member.startswith("group:"))])

    def _flattened(self, group_id: str, seen: set[str]) -> list[str]:
        seen.add(group_id)
        found: list[str] = []
        for member in self.groups.get(group_id, []):
            if member.startswith("group:"):
                if member[6:] not in seen:
                    found += self._flattened(member[6:], seen)
            elif member not in found:
                found.append(member)
        return found


SCHOOL_ROLE_GROUPS = "dsl=grp-safeguarding-leads;deputy_dsl=grp-safeguarding-deputies;head=grp-head;admin=grp-school-office"
"""ESAFETY_ROLE_GROUPS for `small_school`."""


def small_school(graph: FakeGraph) -> None:
    """A small Teams school in Microsoft 365, for the demo and the tests: class 5A (three pupils,
    its teacher) and 6B (two pupils, a teacher who is also the deputy lead), and the Entra groups
    that carry the staff roles (the office group nests the head's assistant's group)."""
    names = [("Amira Pupil", "student"), ("Ben Pupil", "student"), ("Chloe Pupil", "student"), ("Dev Pupil", "student"),
             ("Esme Pupil", "student"), ("Tess Teacher", "teacher"), ("Dee Deputy", "teacher"), ("Lee Lead", ""), ("Hal Head", ""),
             ("Adam Admin", ""), ("Ola Office", "")]
    people = [(f"3f6d1a52-8c1e-4d7a-9a5a-{number:012d}", name, role) for number, (name, role) in enumerate(names, start=1)]
    for user_id, name, role in people:
        graph.add_user(FakeUser(user_id, name, f"{name.split()[0].lower()}@school.example", role))
    ids = {name.split()[0]: user_id for user_id, name, _ in people}
    graph.classes = {
        "c5a00000-0000-4000-8000-000000000005": FakeClass("c5a00000-0000-4000-8000-000000000005", "5A",
                                                          students=[ids["Amira"], ids["Ben"], ids["Chloe"]], teachers=[ids["Tess"]]),
        "c6b00000-0000-4000-8000-000000000006": FakeClass("c6b00000-0000-4000-8000-000000000006", "6B",
                                                          students=[ids["Dev"], ids["Esme"]], teachers=[ids["Dee"]]),
    }
    graph.groups = {"grp-safeguarding-leads": [ids["Lee"]], "grp-safeguarding-deputies": [ids["Dee"]], "grp-head": [ids["Hal"]],
                    "grp-school-office": [ids["Adam"], "group:grp-office-assistants"], "grp-office-assistants": [ids["Ola"]]}

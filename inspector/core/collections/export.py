"""A collection (or one folder of it) as a Postman Collection v2.1 document, so work can always leave.

Profiles become Postman `auth` on the collection, folders and requests (a request with `profile = ""` gets
`noauth`); secret fields carry their reference (${secret:KEY}), never a value, and the profile's name rides
along under "x-inspector-profile" so importing the file back gives the same profiles. `expect_status` becomes
a one-line test script, which the importer reads back. Environments are not part of a Postman collection.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from inspector.core.collections.importers.postman import PROFILE_KEY
from inspector.core.collections.model import Collection, Folder, SavedRequest
from inspector.core.variables import VARIABLE_RE, is_reference

SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
_LANGUAGES = {
    "application/xml": "xml",
    "text/xml": "xml",
    "text/html": "html",
    "application/javascript": "javascript",
}
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")

ProfileLookup = Callable[[str], Any]  # name -> Profile, or None when no profile has that name


@dataclass(frozen=True)
class Export:
    document: dict[str, Any]
    warnings: tuple[str, ...]

    def text(self) -> str:
        return json.dumps(self.document, indent=2, ensure_ascii=False) + "\n"


def to_postman(
    collection: Collection, folder: Folder | None = None, profiles: ProfileLookup | None = None
) -> Export:
    """The collection, or `folder` of it (with its own folder settings), as Postman v2.1."""
    warnings: list[str] = []
    exporter = _Exporter(profiles or (lambda name: None), warnings)
    source = folder if folder is not None else collection.as_folder()
    doc: dict[str, Any] = {
        "info": {
            "_postman_id": str(uuid.uuid5(uuid.NAMESPACE_URL, str(collection.root))),
            "name": source.name,
            "schema": SCHEMA,
        },
        "item": exporter.items(source.items),
    }
    if source.description:
        doc["info"]["description"] = source.description
    variables = dict(collection.vars)
    if folder is not None:
        variables.update(folder.vars)
    if variables:
        doc["variable"] = _variables(variables)
    auth = exporter.auth(source.profile if folder is not None else collection.profile, source.name)
    if folder is not None and auth is None and collection.profile is not None:
        auth = exporter.auth(collection.profile, collection.name)  # what the folder inherited
    if auth is not None:
        doc["auth"] = auth
    if collection.environments:
        names = ", ".join(e.name for e in collection.environments)
        warnings.append(f"Environments ({names}) are not part of a Postman collection and were not exported.")
    return Export(doc, tuple(warnings))


def _variables(values: Mapping[str, str]) -> list[dict[str, Any]]:
    out = []
    for key, value in values.items():
        entry: dict[str, Any] = {"key": key, "value": value}
        entry["type"] = "secret" if is_reference(value) else "string"
        out.append(entry)
    return out


def _attrs(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": v, "type": "string"} for k, v in values.items() if v is not None]


class _Exporter:
    def __init__(self, profiles: ProfileLookup, warnings: list[str]) -> None:
        self.profiles = profiles
        self.warnings = warnings

    def auth(self, profile_name: str | None, where: str) -> dict[str, Any] | None:
        if profile_name is None:
            return None
        if profile_name == "":
            return {"type": "noauth"}
        profile = self.profiles(profile_name)
        if profile is None:
            self.warnings.append(
                f"The profile '{profile_name}' of {where} was not found, so its auth is not in the export."
            )
            return None
        return self._profile_auth(profile, where)

    def _profile_auth(self, profile: Any, where: str) -> dict[str, Any] | None:
        secret = set(profile.secret_fields())

        def value(field: str) -> Any:
            v = profile.credentials.get(field)
            if field in secret and isinstance(v, str) and v and not is_reference(v):
                self.warnings.append(
                    f"The profile '{profile.name}' holds a literal {field}; it was left out of the export."
                )
                return ""
            return v

        kind = profile.kind
        auth: dict[str, Any]
        if kind == "none":
            auth = {"type": "noauth"}
        elif kind == "bearer":
            auth = {"type": "bearer", "bearer": _attrs({"token": value("token")})}
        elif kind in ("basic", "digest"):
            auth = {
                "type": kind,
                kind: _attrs({"username": value("username"), "password": value("password")}),
            }
        elif kind == "api-key":
            auth = {
                "type": "apikey",
                "apikey": _attrs(
                    {"key": value("name"), "value": value("value"), "in": value("in") or "header"}
                ),
            }
        elif kind in ("oauth2-client-credentials", "oauth2-refresh-token"):
            attrs = {
                "grant_type": "client_credentials"
                if kind == "oauth2-client-credentials"
                else "authorization_code",
                "accessTokenUrl": value("token_url"),
                "clientId": value("client_id"),
                "clientSecret": value("client_secret"),
                "scope": value("scope"),
                "client_authentication": "header" if value("auth") == "basic" else "body",
            }
            if kind == "oauth2-refresh-token":
                attrs["refreshToken"] = value("refresh_token")
            if value("audience"):
                attrs["audience"] = value("audience")
            auth = {"type": "oauth2", "oauth2": _attrs(attrs)}
        else:
            self.warnings.append(
                f"The profile '{profile.name}' of {where} is of kind {kind}, which Postman cannot "
                "express; its auth is not in the export."
            )
            return None
        auth[PROFILE_KEY] = profile.name
        return auth

    def items(self, items: tuple[Folder | SavedRequest, ...]) -> list[dict[str, Any]]:
        out = []
        for item in items:
            if isinstance(item, Folder):
                entry: dict[str, Any] = {"name": item.name, "item": self.items(item.items)}
                if item.description:
                    entry["description"] = item.description
                if item.vars:
                    entry["variable"] = _variables(item.vars)
                auth = self.auth(item.profile, f"the folder '{item.name}'")
                if auth is not None:
                    entry["auth"] = auth
                out.append(entry)
            else:
                out.append(self.request(item))
        return out

    def request(self, r: SavedRequest) -> dict[str, Any]:
        request: dict[str, Any] = {
            "method": r.method,
            "header": [_kv(h.name, h.value, h.enabled) for h in r.headers],
            "url": _url(r),
        }
        body = _body(r)
        if body is not None:
            request["body"] = body
        if r.description:
            request["description"] = r.description
        auth = self.auth(r.profile, f"the request '{r.name}'")
        if auth is not None:
            request["auth"] = auth
        entry: dict[str, Any] = {"name": r.name, "request": request, "response": []}
        if r.expect_status is not None:
            entry["event"] = [
                {
                    "listen": "test",
                    "script": {
                        "type": "text/javascript",
                        "exec": [
                            f'pm.test("Status is {r.expect_status}", function () {{ '
                            f"pm.response.to.have.status({r.expect_status}); }});"
                        ],
                    },
                }
            ]
        return entry


def _kv(key: str, value: str, enabled: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"key": key, "value": value}
    if not enabled:
        entry["disabled"] = True
    return entry


def _url(r: SavedRequest) -> dict[str, Any]:
    url = r.url
    path_vars = [name for name in r.vars if f"{{{{{name}}}}}" in url.split("?")[0] and _in_path(url, name)]
    for name in path_vars:
        url = _replace_in_path(url, name)
    enabled = [p for p in r.params if p.enabled]
    raw = url + ("?" + "&".join(f"{p.name}={p.value}" for p in enabled) if enabled else "")
    out: dict[str, Any] = {"raw": raw}
    m = _SCHEME_RE.match(url)
    rest = url[m.end() :] if m else url
    if m:
        out["protocol"] = m.group(1)
    host, slash, path = rest.partition("/")
    if host:
        hostname, colon, port = host.rpartition(":") if re.search(r":\d+$", host) else (host, "", "")
        out["host"] = hostname.split(".") if not VARIABLE_RE.search(hostname) else [hostname]
        if colon:
            out["port"] = port
    if slash:
        out["path"] = path.split("/")
    if r.params:
        out["query"] = [_kv(p.name, p.value, p.enabled) for p in r.params]
    if r.vars:
        out["variable"] = [{"key": k, "value": v} for k, v in r.vars.items()]
    return out


def _in_path(url: str, name: str) -> bool:
    m = _SCHEME_RE.match(url)
    rest = url[m.end() :] if m else url
    # the first part is the host (or {{base_url}}); a path variable is a whole segment after it
    segments = rest.split("/")[1:]
    return f"{{{{{name}}}}}" in segments


def _replace_in_path(url: str, name: str) -> str:
    m = _SCHEME_RE.match(url)
    prefix = url[: m.end()] if m else ""
    rest = url[len(prefix) :]
    head, *segments = rest.split("/")
    segments = [f":{name}" if s == f"{{{{{name}}}}}" else s for s in segments]
    return prefix + "/".join([head, *segments])


def _body(r: SavedRequest) -> dict[str, Any] | None:
    b = r.body
    if b.kind == "json":
        return {"mode": "raw", "raw": b.text, "options": {"raw": {"language": "json"}}}
    if b.kind == "text":
        language = _LANGUAGES.get((b.content_type or "").split(";")[0].strip().lower(), "text")
        return {"mode": "raw", "raw": b.text, "options": {"raw": {"language": language}}}
    if b.kind == "form":
        return {"mode": "urlencoded", "urlencoded": [_kv(f.name, f.value, f.enabled) for f in b.fields]}
    if b.kind == "multipart":
        fields = []
        for f in b.fields:
            entry: dict[str, Any] = {"key": f.name}
            if f.is_file:
                entry.update({"type": "file", "src": f.file})
            else:
                entry.update({"type": "text", "value": f.value})
            if f.content_type:
                entry["contentType"] = f.content_type
            if not f.enabled:
                entry["disabled"] = True
            fields.append(entry)
        return {"mode": "formdata", "formdata": fields}
    if b.kind == "file":
        return {"mode": "file", "file": {"src": b.file}}
    return None

"""Insomnia export format 4 (JSON or YAML): workspaces, request groups, requests, environments, auth.

The base environment becomes the collection's [vars], each sub-environment an environments/NAME.toml, a
request group's environment its folder.toml [vars]. Insomnia's `{{ _.name }}` becomes `{{name}}`; the
`{% uuid %}` and `{% now %}` tags become built-ins; other template tags (response chaining, prompts) are kept
as written and listed as not carried over.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from inspector.core.collections.importers.common import (
    ImportContext,
    Imported,
    ImportedEnvironment,
    ImportedFolder,
    ImportError_,
    as_text,
    clean_name,
    description_text,
)
from inspector.core.collections.importers.postman import graphql_body
from inspector.core.collections.model import BodyField, Param, SavedBody, SavedRequest
from inspector.core.collections.store import MAX_DEPTH
from inspector.core.request import Header

_VAR_RE = re.compile(r"\{\{\s*(?:_\.)?([A-Za-z0-9_$][A-Za-z0-9_.$-]*)\s*\}\}")
_TAG_RE = re.compile(r"\{%\s*([A-Za-z]+)([^%]*)%\}")
_SKIPPED_TYPES = {
    "cookie_jar": "cookie jar",
    "api_spec": "API design document",
    "unit_test_suite": "unit test suite",
    "unit_test": "unit test",
    "grpc_request": "gRPC request",
    "websocket_request": "WebSocket request",
    "proto_file": "proto file",
    "proto_directory": "proto folder",
    "mock": "mock server",
    "mock_route": "mock route",
}


def detect(doc: Any) -> str | None:
    if isinstance(doc, dict) and doc.get("_type") == "export" and isinstance(doc.get("resources"), list):
        return "insomnia-4"
    return None


class _Reader:
    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx

    def text(self, value: Any, where: str) -> str:
        """Insomnia's template syntax as ours."""
        text = as_text(value)
        if "{" not in text:
            return text
        text = _VAR_RE.sub(lambda m: f"{{{{{m.group(1)}}}}}", text)

        def tag(m: re.Match[str]) -> str:
            name, args = m.group(1), m.group(2)
            if name == "uuid":
                return "{{$uuid}}"
            if name == "now":
                return "{{$timestamp}}" if ("unix" in args or "millis" in args) else "{{$isoTimestamp}}"
            self.ctx.skip(
                where,
                f"{{% {name} %}} template tag",
                "Insomnia's template tags are not run here "
                "(response chaining, prompts, files): it is kept as written; replace it with a "
                "{{variable}}.",
            )
            return m.group(0)

        return _TAG_RE.sub(tag, text)

    def env_data(self, data: Any, prefix: str = "") -> dict[str, str]:
        """Nested environment data flattened to dotted names ({{ _.api.host }} becomes {{api.host}})."""
        out: dict[str, str] = {}
        if not isinstance(data, Mapping):
            return out
        for key, value in data.items():
            name = f"{prefix}{key}"
            if isinstance(value, Mapping):
                out.update(self.env_data(value, f"{name}."))
            else:
                out[name] = self.text(value, "environment")
        return out

    def auth(self, value: Any, where: str, item: str) -> str | None:
        if not isinstance(value, dict) or not value:
            return None
        kind = str(value.get("type") or "").lower()
        if value.get("disabled") is True or kind in ("none", "noauth"):
            return ""
        if not kind:
            return None
        def t(key: str) -> str | None:
            return self.text(value.get(key), item) if value.get(key) is not None else None

        ctx = self.ctx
        if kind == "bearer":
            return ctx.profile(
                "bearer", {"token": t("token"), "prefix": t("prefix") or "Bearer"}, where=where
            )
        if kind in ("basic", "digest"):
            return ctx.profile(kind, {"username": t("username"), "password": t("password")}, where=where)
        if kind == "apikey":
            place = "query" if str(value.get("addTo") or "header").lower().startswith("query") else "header"
            return ctx.profile(
                "api-key",
                {"name": t("key") or "X-API-Key", "value": t("value"), "in": place},
                where=where,
                label="api key",
            )
        if kind == "oauth2":
            grant = str(value.get("grantType") or "authorization_code")
            common = {
                "token_url": t("accessTokenUrl"),
                "client_id": t("clientId"),
                "client_secret": t("clientSecret"),
                "scope": t("scope"),
                "auth": "body" if value.get("credentialsInBody") else "basic",
            }
            if grant == "client_credentials" and value.get("accessTokenUrl"):
                return ctx.profile(
                    "oauth2-client-credentials",
                    {**common, "audience": t("audience")},
                    where=where,
                    label="oauth2 client credentials",
                )
            ctx.skip(
                item,
                f"oauth2 {grant} flow",
                "this sign-in flow is not run here: the profile sends an access "
                "token you store with `secrets set`.",
            )
            return ctx.profile(
                "bearer", {"token": t("accessToken"), "prefix": "Bearer"}, where=where, label="oauth2 token"
            )
        ctx.skip(
            item,
            f"{kind} auth",
            f"Request Inspector has no profile kind for {kind} auth; the request is "
            'imported without credentials (profile = "").',
        )
        return ""

    def body(self, value: Any, where: str) -> tuple[SavedBody, str | None]:
        if not isinstance(value, dict) or not value:
            return SavedBody(), None
        mime = str(value.get("mimeType") or "").split(";")[0].strip().lower()
        if mime == "application/x-www-form-urlencoded":
            fields = [
                BodyField(
                    self.text(p.get("name"), where),
                    self.text(p.get("value"), where),
                    enabled=p.get("disabled") is not True,
                )
                for p in value.get("params") or []
                if isinstance(p, dict)
            ]
            return SavedBody("form", fields=tuple(fields)), None
        if mime == "multipart/form-data":
            fields = []
            for p in value.get("params") or []:
                if not isinstance(p, dict):
                    continue
                enabled = p.get("disabled") is not True
                if p.get("type") == "file":
                    if not p.get("fileName"):
                        self.ctx.skip(
                            where, f"form field {p.get('name')}", "no file was chosen for it in Insomnia."
                        )
                    fields.append(
                        BodyField(
                            self.text(p.get("name"), where),
                            file=str(p.get("fileName") or ""),
                            enabled=enabled,
                        )
                    )
                else:
                    fields.append(
                        BodyField(
                            self.text(p.get("name"), where), self.text(p.get("value"), where), enabled=enabled
                        )
                    )
            return SavedBody("multipart", fields=tuple(fields)), None
        if value.get("fileName"):
            return SavedBody("file", file=str(value["fileName"]), content_type=mime or None), None
        text = self.text(value.get("text"), where)
        if mime == "application/graphql":
            import json

            try:
                doc = json.loads(text)
                query, variables = as_text(doc.get("query")), as_text(doc.get("variables") or {})
            except (ValueError, AttributeError):
                query, variables = text, "{}"
            return SavedBody("json", text=graphql_body(query, variables)), None
        if mime.endswith("json"):
            return SavedBody("json", text=text), (mime if mime != "application/json" else None)
        if not text:
            return SavedBody(), None
        return SavedBody("text", text=text, content_type=mime or None), None


def import_export(doc: dict[str, Any], fallback_name: str) -> Imported:
    resources = [r for r in doc.get("resources") or [] if isinstance(r, dict) and r.get("_id")]
    workspaces = [r for r in resources if r.get("_type") == "workspace"]
    if not workspaces and not any(r.get("_type") == "request" for r in resources):
        raise ImportError_(
            "The Insomnia export holds no workspace and no request: export it again from Insomnia "
            "(Export Data, Insomnia v4 format)."
        )
    name = clean_name(workspaces[0].get("name"), fallback_name) if len(workspaces) == 1 else fallback_name
    ctx = ImportContext(name, "insomnia-4")
    reader = _Reader(ctx)
    children: dict[str, list[dict[str, Any]]] = {}
    for r in resources:
        children.setdefault(str(r.get("parentId")), []).append(r)
    for r in resources:
        label = _SKIPPED_TYPES.get(str(r.get("_type")))
        if label:
            ctx.skip(
                clean_name(r.get("name"), str(r["_id"])),
                label,
                "Request Inspector does not import this kind of Insomnia resource.",
            )

    root = ImportedFolder(
        name, description=description_text(workspaces[0].get("description")) if len(workspaces) == 1 else ""
    )
    environments: list[ImportedEnvironment] = []

    def order_key(r: dict[str, Any]) -> tuple[float, str]:
        key = r.get("metaSortKey")
        return (float(key) if isinstance(key, int | float) else 0.0, str(r.get("name") or ""))

    def build(parent_id: str, path: tuple[str, ...], depth: int) -> list[ImportedFolder | SavedRequest]:
        items: list[ImportedFolder | SavedRequest] = []
        if depth >= MAX_DEPTH:
            ctx.skip("/".join(path), "folders", f"they are nested more than {MAX_DEPTH} folders deep.")
            return items
        for r in sorted(children.get(parent_id, []), key=order_key):
            kind = r.get("_type")
            rname = clean_name(r.get("name"), str(r["_id"]))
            where = "/".join((*path, rname))
            if kind == "request_group":
                folder = ImportedFolder(rname, description=description_text(r.get("description")))
                folder.vars = ctx.variables(
                    reader.env_data(r.get("environment")), scope="folder", scope_name=where
                )
                folder.profile = reader.auth(r.get("authentication"), f"the folder {where}", where)
                folder.items = build(str(r["_id"]), (*path, rname), depth + 1)
                items.append(folder)
            elif kind == "request":
                items.append(_request(reader, r, rname, where))
        return items

    def workspace_envs(ws_id: str, prefix: str) -> dict[str, str]:
        base_vars: dict[str, str] = {}
        for env in children.get(ws_id, []):
            if env.get("_type") != "environment":
                continue
            base_vars.update(
                ctx.variables(
                    reader.env_data(env.get("data")),
                    scope="collection",
                    source=f"the base environment of {prefix or name}",
                )
            )
            for sub in sorted(children.get(str(env["_id"]), []), key=order_key):
                if sub.get("_type") != "environment":
                    continue
                env_name = clean_name(sub.get("name"), str(sub["_id"]))
                if prefix:
                    env_name = f"{prefix} {env_name}"
                data = reader.env_data(sub.get("data"))
                environments.append(
                    ImportedEnvironment(
                        env_name,
                        ctx.variables(
                            data,
                            scope="environment",
                            scope_name=env_name,
                            source=f"the Insomnia environment {env_name}",
                        ),
                    )
                )
        return base_vars

    if len(workspaces) <= 1:
        ws_id = str(workspaces[0]["_id"]) if workspaces else "__WORKSPACE_ID__"
        root.vars = workspace_envs(ws_id, "")
        root.items = build(ws_id, (), 0)
    else:
        for ws in workspaces:
            wname = clean_name(ws.get("name"), str(ws["_id"]))
            folder = ImportedFolder(wname, description=description_text(ws.get("description")))
            folder.vars = workspace_envs(str(ws["_id"]), wname)
            folder.items = build(str(ws["_id"]), (wname,), 1)
            root.items.append(folder)
    root.vars.update({k: v for k, v in ctx.extra_vars.items() if k not in root.vars})
    return Imported("insomnia-4", root, environments, ctx.profiles, ctx.not_imported, ctx.references)


def _request(reader: _Reader, r: dict[str, Any], name: str, where: str) -> SavedRequest:
    def t(value: Any) -> str:
        return reader.text(value, where)

    url = t(r.get("url")).strip()
    base, _, query = url.partition("?")
    params = [Param(k, v) for k, _, v in (p.partition("=") for p in query.split("&") if p)] if query else []
    for p in r.get("parameters") or []:
        if isinstance(p, dict) and p.get("name") is not None:
            params.append(Param(t(p.get("name")), t(p.get("value")), p.get("disabled") is not True))
    headers = [
        Header(t(h.get("name")).strip(), t(h.get("value")), h.get("disabled") is not True)
        for h in r.get("headers") or []
        if isinstance(h, dict) and as_text(h.get("name")).strip()
    ]
    body, json_type = reader.body(r.get("body"), where)
    if json_type and not any(h.name.lower() == "content-type" for h in headers):
        headers.append(Header("Content-Type", json_type))
    if body.kind in ("json", "form", "multipart") or (body.kind == "text" and body.content_type):
        # Insomnia adds its own Content-Type header for the body; ours is set by the body kind
        kind_types = {
            "json": "application/json",
            "form": "application/x-www-form-urlencoded",
            "multipart": "multipart/form-data",
        }
        wanted = kind_types.get(body.kind, body.content_type)
        headers = [
            h
            for h in headers
            if not (h.name.lower() == "content-type" and h.value.split(";")[0].strip().lower() == wanted)
        ]
    if base and "://" not in base and not base.startswith("{{"):
        base = "http://" + base
    request = SavedRequest(
        name=name,
        method=str(r.get("method") or "GET").upper(),
        url=base,
        params=tuple(params),
        headers=tuple(headers),
        body=body,
        profile=reader.auth(r.get("authentication"), f"the request {where}", where),
        description=description_text(r.get("description")),
    )
    return reader.ctx.secure_request(request, where)

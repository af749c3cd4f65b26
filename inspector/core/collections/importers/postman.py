"""Postman Collection v2.0 / v2.1 and Postman environment files.

What real exports hold and how each is carried over: nested folders; `auth` on the collection, a folder or a
request (bearer, basic, apikey, digest, oauth2; `noauth` sends none; a missing auth or `inherit` follows the
parent) becoming profiles whose secrets are references; `variable` lists; url objects (raw, or host/path
arrays, `:name` path variables); disabled headers and params; bodies (raw with a language, urlencoded,
formdata with files, file, graphql); descriptions. Scripts are never run: each is listed, and one that sets
variables says which. A test script that only checks the status (what our export writes) becomes
`expect_status`.
"""

from __future__ import annotations

import json
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
    obj,
)
from inspector.core.collections.model import BodyField, Param, SavedBody, SavedRequest
from inspector.core.collections.store import MAX_DEPTH
from inspector.core.request import Header

SCHEMA_V20 = "v2.0.0"
SCHEMA_V21 = "v2.1.0"
PROFILE_KEY = "x-inspector-profile"  # our export names the profile, so a round trip keeps it
_PATH_VAR_RE = re.compile(r"(?<=/):([A-Za-z_][A-Za-z0-9_.-]*)")
_STATUS_TEST_RE = re.compile(
    r"^\s*pm\.test\([^)]*?,\s*function\s*\(\)\s*\{\s*pm\.response\.to\.have\.status\((\d{3})\);?\s*\}\);?\s*$"
)
_SETS_VARIABLE_RE = re.compile(
    r"(?:pm\.(?:environment|collectionVariables|globals|variables)\.set|postman\.set(?:Environment|Global)"
    r"Variable)\(\s*[\"'`]([^\"'`]+)[\"'`]"
)
_LANGUAGE_TYPES = {
    "json": None,
    "xml": "application/xml",
    "html": "text/html",
    "javascript": "application/javascript",
    "text": None,
    "graphql": "application/graphql",
}


def detect(doc: Any) -> str | None:
    """'postman-2.0', 'postman-2.1', 'postman-environment' or None."""
    if not isinstance(doc, dict):
        return None
    info = doc.get("info")
    if isinstance(info, dict) and isinstance(info.get("schema"), str) and "postman" in info["schema"]:
        schema = info["schema"]
        if SCHEMA_V20 in schema:
            return "postman-2.0"
        return "postman-2.1"
    if isinstance(info, dict) and "_postman_id" in info and isinstance(doc.get("item"), list):
        return "postman-2.1"
    if isinstance(doc.get("values"), list) and (
        doc.get("_postman_variable_scope") == "environment" or "name" in doc
    ):
        return "postman-environment"
    return None


def import_collection(doc: dict[str, Any], fmt: str, fallback_name: str) -> Imported:
    info = obj(doc.get("info"))
    name = clean_name(info.get("name"), fallback_name)
    ctx = ImportContext(name, fmt)
    reader = _Reader(ctx)
    root = ImportedFolder(name=name, description=description_text(info.get("description")))
    root.vars = reader.variables(doc.get("variable"), "collection")
    root.profile = reader.auth(doc.get("auth"), "the collection", "collection")
    reader.events(doc.get("event"), "collection")
    items = doc.get("item")
    if not isinstance(items, list):
        raise ImportError_(
            "The Postman collection has no 'item' list: export it again from Postman (Collection v2.1)."
        )
    root.items = reader.items(items, ())
    root.vars.update({k: v for k, v in ctx.extra_vars.items() if k not in root.vars})
    return Imported(
        fmt, root, profiles=ctx.profiles, not_imported=ctx.not_imported, references=ctx.references
    )


def import_environment(doc: dict[str, Any], collection_name: str, fallback_name: str) -> Imported:
    """A Postman environment file, as one environment for an existing collection."""
    name = clean_name(doc.get("name"), fallback_name)
    ctx = ImportContext(collection_name, "postman-environment")
    env = ImportedEnvironment(name)
    for i, value in enumerate(doc.get("values") or []):
        if not isinstance(value, dict):
            continue
        key = clean_name(value.get("key"), "")
        if not key:
            continue
        if value.get("enabled") is False:
            ctx.skip(f"environment {name}", f"variable {key}", "it is disabled in Postman.")
            continue
        env.vars[key] = ctx.variable_value(
            key,
            as_text(value.get("value")),
            declared_secret=value.get("type") == "secret",
            scope="environment",
            scope_name=name,
            source=f"value {i + 1} of the Postman environment",
        )
    return Imported(
        "postman-environment",
        ImportedFolder(collection_name),
        environments=[env],
        not_imported=ctx.not_imported,
        references=ctx.references,
    )


def _pairs(value: Any) -> dict[str, Any]:
    """v2.1 auth attributes are [{key, value}], v2.0 ones a plain object: both as a dict."""
    if isinstance(value, dict):
        return dict(value)
    out: dict[str, Any] = {}
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                out[item["key"]] = item.get("value")
    return out


class _Reader:
    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx

    def variables(self, value: Any, where: str) -> dict[str, str]:
        out: dict[str, str] = {}
        if not isinstance(value, list):
            return out
        for entry in value:
            if not isinstance(entry, dict):
                continue
            key = clean_name(entry.get("key") or entry.get("id"), "")
            if not key:
                continue
            if entry.get("disabled") is True:
                self.ctx.skip(where, f"variable {key}", "it is disabled in Postman.")
                continue
            out[key] = self.ctx.variable_value(
                key,
                as_text(entry.get("value")),
                declared_secret=entry.get("type") == "secret",
                source=f"variable {{{{{key}}}}} of {where}",
            )
        return out

    def events(self, value: Any, where: str) -> int | None:
        """List each script as not run; the status a status-only test script checks, if that is all it is."""
        status = None
        if not isinstance(value, list):
            return None
        for event in value:
            if not isinstance(event, dict):
                continue
            script = obj(event.get("script"))
            exec_ = script.get("exec")
            text = "\n".join(exec_) if isinstance(exec_, list) else exec_ if isinstance(exec_, str) else ""
            if not text.strip():
                continue
            listen = event.get("listen")
            kind = (
                "pre-request script"
                if listen == "prerequest"
                else "test script"
                if listen == "test"
                else (f"{listen} script")
            )
            m = _STATUS_TEST_RE.match(text.strip()) if listen == "test" else None
            if m:
                status = int(m.group(1))
                continue
            sets = sorted(set(_SETS_VARIABLE_RE.findall(text)))
            why = "scripts are not run by Request Inspector"
            if sets:
                names = ", ".join(f"{{{{{n}}}}}" for n in sets)
                why += (
                    f"; it sets {names}: give {'that variable' if len(sets) == 1 else 'those variables'} a "
                    "value in an environment (or with --var) instead"
                )
            self.ctx.skip(where, kind, why + ".")
        return status

    def auth(self, value: Any, where: str, item: str) -> str | None:
        """The profile for an auth object: None follows the parent, "" sends none."""
        if not isinstance(value, dict):
            return None
        kind = str(value.get("type") or "").lower()
        attrs = _pairs(value.get(kind))
        named = value.get(PROFILE_KEY) if isinstance(value.get(PROFILE_KEY), str) else None
        ctx = self.ctx
        if kind in ("", "inherit"):
            return None
        if kind == "noauth":
            return ""
        if kind == "bearer":
            return ctx.profile(
                "bearer", {"token": attrs.get("token"), "prefix": "Bearer"}, where=where, name=named
            )
        if kind in ("basic", "digest"):
            return ctx.profile(
                kind,
                {"username": attrs.get("username"), "password": attrs.get("password")},
                where=where,
                name=named,
            )
        if kind == "apikey":
            place = "query" if str(attrs.get("in") or "header").lower() == "query" else "header"
            return ctx.profile(
                "api-key",
                {"name": attrs.get("key") or "X-API-Key", "value": attrs.get("value"), "in": place},
                where=where,
                label="api key",
                name=named,
            )
        if kind == "oauth2":
            return self._oauth2(attrs, where, item, named)
        ctx.skip(
            item,
            f"{kind} auth",
            f"Request Inspector has no profile kind for {kind} auth; the requests under "
            'it are imported without credentials (profile = "").',
        )
        return ""

    def _oauth2(self, attrs: Mapping[str, Any], where: str, item: str, named: str | None) -> str:
        ctx = self.ctx
        grant = str(attrs.get("grant_type") or attrs.get("grantType") or "authorization_code")
        client_auth = "basic" if str(attrs.get("client_authentication") or "header") == "header" else "body"
        common = {
            "token_url": attrs.get("accessTokenUrl"),
            "client_id": attrs.get("clientId"),
            "client_secret": attrs.get("clientSecret"),
            "scope": attrs.get("scope"),
            "auth": client_auth,
        }
        if grant == "client_credentials" and attrs.get("accessTokenUrl"):
            return ctx.profile(
                "oauth2-client-credentials",
                {**common, "audience": attrs.get("audience")},
                where=where,
                label="oauth2 client credentials",
                name=named,
            )
        if attrs.get("refreshToken") and attrs.get("accessTokenUrl"):
            fields = {**common, "refresh_token": attrs.get("refreshToken")}
            fields.pop("audience", None)
            return ctx.profile(
                "oauth2-refresh-token", fields, where=where, label="oauth2 refresh token", name=named
            )
        ctx.skip(
            item,
            f"oauth2 {grant} flow",
            "this sign-in flow is not run here: the profile sends an access "
            "token you store with `secrets set` (get one from your identity provider).",
        )
        return ctx.profile(
            "bearer",
            {"token": attrs.get("accessToken"), "prefix": "Bearer"},
            where=where,
            label="oauth2 token",
            name=named,
        )

    def items(self, items: list[Any], path: tuple[str, ...]) -> list[ImportedFolder | SavedRequest]:
        out: list[ImportedFolder | SavedRequest] = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            name = clean_name(item.get("name"), f"Item {i + 1}")
            where = "/".join((*path, name))
            if isinstance(item.get("item"), list) or "request" not in item:
                if len(path) >= MAX_DEPTH:
                    self.ctx.skip(where, "folder", f"it is nested more than {MAX_DEPTH} folders deep.")
                    continue
                folder = ImportedFolder(name, description=description_text(item.get("description")))
                folder.profile = self.auth(item.get("auth"), f"the folder {where}", where)
                folder.vars = self.variables(item.get("variable"), f"folder {where}")
                self.events(item.get("event"), where)
                folder.items = self.items(item.get("item") or [], (*path, name))
                out.append(folder)
            else:
                out.append(self.request(item, name, where))
        return out

    def request(self, item: dict[str, Any], name: str, where: str) -> SavedRequest:
        raw = item.get("request")
        req: dict[str, Any] = {"url": raw} if isinstance(raw, str) else raw if isinstance(raw, dict) else {}
        url, params, path_vars = self.url(req.get("url"), where)
        headers = self.headers(req.get("header"))
        body, extra_headers = self.body(req.get("body"), where)
        names = {h.name.lower() for h in headers}
        headers += [h for h in extra_headers if h.name.lower() not in names]
        profile = self.auth(req.get("auth"), f"the request {where}", where)
        status = self.events(item.get("event"), where)
        responses = item.get("response")
        if isinstance(responses, list) and responses:
            n = len(responses)
            self.ctx.skip(
                where,
                f"{n} saved example response{'s' if n != 1 else ''}",
                "saved examples are not part of a request; send it to see a real response.",
            )
        description = description_text(req.get("description")) or description_text(item.get("description"))
        request = SavedRequest(
            name=name,
            method=str(req.get("method") or "GET").upper(),
            url=url,
            params=tuple(params),
            headers=tuple(headers),
            body=body,
            profile=profile,
            expect_status=status,
            vars=path_vars,
            description=description,
        )
        return self.ctx.secure_request(request, where)

    def url(self, value: Any, where: str) -> tuple[str, list[Param], dict[str, str]]:
        params: list[Param] = []
        path_vars: dict[str, str] = {}
        if isinstance(value, str) or value is None:
            raw = value or ""
            query_list = None
        elif isinstance(value, dict):
            given = value.get("raw")
            raw = given if isinstance(given, str) else _url_from_parts(value)
            query_list = value.get("query") if isinstance(value.get("query"), list) else None
            for v in value.get("variable") or []:
                if isinstance(v, dict) and (v.get("key") or v.get("id")):
                    key = str(v.get("key") or v.get("id")).strip()
                    path_vars[key] = as_text(v.get("value"))
        else:
            raw = ""
        raw = raw.strip()
        base, _, fragment = raw.partition("#")
        base, _, query = base.partition("?")
        if fragment:
            self.ctx.skip(where, "URL fragment", f"'#{fragment}' is never sent to a server.")
        if query_list is not None:
            for q in query_list:
                if isinstance(q, dict) and q.get("key") is not None:
                    params.append(
                        Param(str(q["key"]), as_text(q.get("value")), q.get("disabled") is not True)
                    )
        elif query:
            for part in query.split("&"):
                if part:
                    key, _, val = part.partition("=")
                    params.append(Param(key, val))
        if base and "://" not in base and not base.startswith("{{"):
            base = "http://" + base  # what Postman itself assumes
        # :name path segments become {{name}}, with the value in the request's [vars]
        for m in _PATH_VAR_RE.finditer(base):
            path_vars.setdefault(m.group(1), "")
        base = _PATH_VAR_RE.sub(lambda m: f"{{{{{m.group(1)}}}}}", base)
        path_vars = {k: v for k, v in path_vars.items() if v != "" or f"{{{{{k}}}}}" in base}
        return base, params, path_vars

    def headers(self, value: Any) -> list[Header]:
        out: list[Header] = []
        if isinstance(value, str):  # v2.0 allows "Name: value\nName: value"
            for line in value.splitlines():
                name, sep, val = line.partition(":")
                if sep and name.strip():
                    out.append(Header(name.strip(), val.strip()))
            return out
        for h in value or []:
            if isinstance(h, dict) and isinstance(h.get("key"), str) and h["key"].strip():
                out.append(Header(h["key"].strip(), as_text(h.get("value")), h.get("disabled") is not True))
        return out

    def body(self, value: Any, where: str) -> tuple[SavedBody, list[Header]]:
        if not isinstance(value, dict):
            return SavedBody(), []
        mode = value.get("mode")
        if value.get("disabled") is True:
            self.ctx.skip(where, "body", "it is disabled in Postman.")
            return SavedBody(), []
        if mode == "raw":
            text = as_text(value.get("raw"))
            options = obj(value.get("options"))
            raw_options = obj(options.get("raw"))
            language = str(raw_options.get("language") or "text").lower()
            if language == "json":
                return SavedBody("json", text=text), []
            return SavedBody("text", text=text, content_type=_LANGUAGE_TYPES.get(language)), []
        if mode == "urlencoded":
            fields = [
                BodyField(str(f.get("key")), as_text(f.get("value")), enabled=f.get("disabled") is not True)
                for f in value.get("urlencoded") or []
                if isinstance(f, dict) and f.get("key") is not None
            ]
            return SavedBody("form", fields=tuple(fields)), []
        if mode == "formdata":
            return SavedBody(
                "multipart", fields=tuple(self._form_data(value.get("formdata") or [], where))
            ), []
        if mode == "file":
            src = (value.get("file") or {}).get("src") if isinstance(value.get("file"), dict) else None
            if not src:
                self.ctx.skip(where, "file body", "no file was chosen for it in Postman.")
                return SavedBody(), []
            return SavedBody("file", file=str(src)), []
        if mode == "graphql":
            graphql = obj(value.get("graphql"))
            return SavedBody(
                "json", text=graphql_body(as_text(graphql.get("query")), as_text(graphql.get("variables")))
            ), []
        if mode:
            self.ctx.skip(where, f"{mode} body", "this kind of body is not known to Request Inspector.")
        return SavedBody(), []

    def _form_data(self, entries: list[Any], where: str) -> list[BodyField]:
        fields: list[BodyField] = []
        for f in entries:
            if not isinstance(f, dict) or f.get("key") is None:
                continue
            enabled = f.get("disabled") is not True
            content_type = f.get("contentType") if isinstance(f.get("contentType"), str) else None
            if f.get("type") == "file":
                src = f.get("src")
                if isinstance(src, list):
                    if len(src) > 1:
                        self.ctx.skip(
                            where,
                            f"form field {f['key']}",
                            f"it sends {len(src)} files; only the first was kept.",
                        )
                    src = src[0] if src else None
                if not src:
                    self.ctx.skip(
                        where,
                        f"form field {f['key']}",
                        "no file was chosen for it in Postman; the field was kept with an empty file name.",
                    )
                fields.append(
                    BodyField(str(f["key"]), file=str(src or ""), enabled=enabled, content_type=content_type)
                )
            else:
                fields.append(
                    BodyField(
                        str(f["key"]), as_text(f.get("value")), enabled=enabled, content_type=content_type
                    )
                )
        return fields


def graphql_body(query: str, variables: str) -> str:
    """A GraphQL request as the JSON body it is sent as; variables that hold {{vars}} stay as written."""
    variables = variables.strip() or "{}"
    try:
        json.loads(variables)
        vars_text = variables
    except ValueError:
        vars_text = variables if "{{" in variables else json.dumps(variables)
    return '{\n  "query": ' + json.dumps(query, ensure_ascii=False) + ',\n  "variables": ' + vars_text + "\n}"


def _url_from_parts(url: Mapping[str, Any]) -> str:
    protocol = url.get("protocol")
    host = url.get("host")
    host_text = ".".join(str(h) for h in host) if isinstance(host, list) else str(host or "")
    path = url.get("path")
    path_text = (
        "/".join(str(p) if not isinstance(p, dict) else str(p.get("value", "")) for p in path)
        if (isinstance(path, list))
        else str(path or "").lstrip("/")
    )
    port = f":{url['port']}" if url.get("port") else ""
    prefix = f"{protocol}://" if protocol else ""
    return f"{prefix}{host_text}{port}" + (f"/{path_text}" if path_text else "")

"""OpenAPI 3.0 / 3.1 (JSON or YAML): one request per operation, grouped by its first tag.

`servers[0]` becomes the collection's `base_url` (other servers become environments); path templates become
`{{name}}` with an example value in the request's [vars] when the document gives one; query, header and
cookie parameters and an example body are filled from `example`, `examples`, `default` or the schema;
`securitySchemes` become profiles (http basic/bearer/digest, apiKey in a header or the query, oauth2 flows,
openIdConnect), and the document's and each operation's `security` pick the default and per-request profile.
Local `$ref`s are followed; other references are listed as not carried over.
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
    seq,
)
from inspector.core.collections.model import BodyField, Param, SavedBody, SavedRequest
from inspector.core.request import Header

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEMPLATE_RE = re.compile(r"\{([^{}/]+)\}")
MAX_SCHEMA_DEPTH = 8


def detect(doc: Any) -> str | None:
    if not isinstance(doc, dict):
        return None
    version = doc.get("openapi")
    if isinstance(version, str):
        if version.startswith("3.0"):
            return "openapi-3.0"
        if version.startswith("3.1"):
            return "openapi-3.1"
    return None


def is_swagger2(doc: Any) -> bool:
    return isinstance(doc, dict) and str(doc.get("swagger", "")).startswith("2")


class _Doc:
    def __init__(self, doc: dict[str, Any], ctx: ImportContext) -> None:
        self.doc = doc
        self.ctx = ctx

    def deref(self, value: Any, where: str, depth: int = 0) -> Any:
        """A local $ref followed (a chain of them too); an external one is listed and read as empty."""
        while isinstance(value, dict) and isinstance(value.get("$ref"), str) and depth < 32:
            ref = value["$ref"]
            if not ref.startswith("#/"):
                self.ctx.skip(
                    where,
                    f"reference {ref}",
                    "references to other files are not followed; import a bundled document (one file).",
                )
                return {}
            target: Any = self.doc
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part) if isinstance(target, dict) else None
            if target is None:
                self.ctx.skip(where, f"reference {ref}", "it points at nothing in the document.")
                return {}
            value = target
            depth += 1
        return value

    def example(self, schema: Any, where: str, depth: int = 0) -> Any:
        """An example value for a schema: its example, default or enum, else one made from its type."""
        schema = self.deref(schema, where)
        if not isinstance(schema, dict) or depth > MAX_SCHEMA_DEPTH:
            return None
        for key in ("example", "default", "const"):
            if key in schema:
                return schema[key]
        if isinstance(schema.get("examples"), list) and schema["examples"]:
            return schema["examples"][0]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        for combo in ("oneOf", "anyOf"):
            if isinstance(schema.get(combo), list) and schema[combo]:
                return self.example(schema[combo][0], where, depth + 1)
        if isinstance(schema.get("allOf"), list):
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                value = self.example(part, where, depth + 1)
                if isinstance(value, dict):
                    merged.update(value)
            return merged
        kind = schema.get("type")
        if isinstance(kind, list):  # 3.1: ["string", "null"]
            kind = next((k for k in kind if k != "null"), None)
        if kind == "object" or (kind is None and isinstance(schema.get("properties"), dict)):
            props = obj(schema.get("properties"))
            return {str(k): self.example(v, where, depth + 1) for k, v in list(props.items())[:50]}
        if kind == "array":
            item = self.example(schema.get("items"), where, depth + 1)
            return [] if item is None else [item]
        if kind == "string":
            fmt = schema.get("format")
            return {
                "date": "2024-01-01",
                "date-time": "2024-01-01T00:00:00Z",
                "email": "user@example.com",
                "uuid": "00000000-0000-4000-8000-000000000000",
                "uri": "https://example.com",
            }.get(str(fmt), "string")
        if kind in ("integer", "number"):
            return 0
        if kind == "boolean":
            return True
        return None

    def parameter_value(self, param: dict[str, Any], where: str) -> str | None:
        if "example" in param:
            return as_text(param["example"])
        examples = param.get("examples")
        if isinstance(examples, dict) and examples:
            first = self.deref(next(iter(examples.values())), where)
            if isinstance(first, dict) and "value" in first:
                return as_text(first["value"])
        schema = self.deref(param.get("schema"), where)
        if isinstance(schema, dict):
            for key in ("example", "default"):
                if key in schema:
                    return as_text(schema[key])
            if isinstance(schema.get("enum"), list) and schema["enum"]:
                return as_text(schema["enum"][0])
        return None


def import_document(doc: dict[str, Any], fmt: str, fallback_name: str) -> Imported:
    info = obj(doc.get("info"))
    name = clean_name(info.get("title"), fallback_name)
    ctx = ImportContext(name, fmt)
    d = _Doc(doc, ctx)
    root = ImportedFolder(name, description=description_text(info.get("description")))
    servers = [s for s in doc.get("servers") or [] if isinstance(s, dict) and isinstance(s.get("url"), str)]
    environments: list[ImportedEnvironment] = []
    if servers:
        root.vars["base_url"] = _server_url(servers[0])
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", root.vars["base_url"]):
            ctx.skip(
                "servers",
                "server URL",
                f"servers[0] is '{root.vars['base_url']}', not a full URL: set "
                "base_url in an environment to the API's address.",
            )
        if len(servers) > 1:
            for i, server in enumerate(servers):
                env_name = clean_name(server.get("description"), f"server {i + 1}")
                environments.append(ImportedEnvironment(env_name, {"base_url": _server_url(server)}))
    else:
        root.vars["base_url"] = ""
        ctx.skip("servers", "server URL", "the document names no server: set base_url in an environment.")

    schemes = (
        doc.get("components", {}).get("securitySchemes") if isinstance(doc.get("components"), dict) else None
    )
    profiles: dict[str, str] = {}
    if isinstance(schemes, dict):
        for scheme_name, scheme in schemes.items():
            made = _scheme_profile(d, str(scheme_name), d.deref(scheme, f"securitySchemes.{scheme_name}"))
            if made is not None:
                profiles[str(scheme_name)] = made
    root.profile = _security_profile(doc.get("security"), profiles)

    tags = {
        str(t.get("name")): description_text(t.get("description"))
        for t in doc.get("tags") or []
        if isinstance(t, dict) and t.get("name")
    }
    folders: dict[str, ImportedFolder] = {}
    for tag, text in tags.items():  # the document's tag order first, so the tree reads like its docs
        folders[tag] = ImportedFolder(clean_name(tag, "untagged"), description=text)
    paths = obj(doc.get("paths"))
    if not paths:
        ctx.skip("paths", "operations", "the document has no paths, so there is no request to import.")
    loose: list[ImportedFolder | SavedRequest] = []
    for path, item in paths.items():
        item = d.deref(item, f"paths.{path}")
        if not isinstance(item, dict):
            continue
        shared = seq(item.get("parameters"))
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            request = _operation(d, str(path), method, op, shared, profiles)
            op_tags = [t for t in op.get("tags") or [] if isinstance(t, str)]
            if op_tags:
                folder = folders.setdefault(op_tags[0], ImportedFolder(clean_name(op_tags[0], "untagged")))
                folder.items.append(request)
            else:
                loose.append(request)
    root.items = [*[f for f in folders.values() if f.items or f.description], *loose]
    webhooks = doc.get("webhooks")
    if isinstance(webhooks, dict) and webhooks:
        ctx.skip(
            "webhooks",
            f"{len(webhooks)} webhook{'s' if len(webhooks) != 1 else ''}",
            "webhooks are requests the API sends to you, not requests to send.",
        )
    root.vars.update({k: v for k, v in ctx.extra_vars.items() if k not in root.vars})
    return Imported(fmt, root, environments, ctx.profiles, ctx.not_imported, ctx.references)


def _server_url(server: Mapping[str, Any]) -> str:
    url = str(server.get("url") or "")
    variables = obj(server.get("variables"))

    def fill(m: re.Match[str]) -> str:
        var = variables.get(m.group(1))
        if isinstance(var, dict) and var.get("default") is not None:
            return str(var["default"])
        return f"{{{{{m.group(1)}}}}}"

    return _TEMPLATE_RE.sub(fill, url).rstrip("/")


def _security_profile(security: Any, profiles: Mapping[str, str]) -> str | None:
    """The profile a `security` list picks: None when absent, "" when it allows anonymous or is empty."""
    if not isinstance(security, list):
        return None
    if not security or any(isinstance(req, dict) and not req for req in security):
        return ""
    for requirement in security:
        if isinstance(requirement, dict):
            for scheme in requirement:
                if scheme in profiles:
                    return profiles[scheme]
    return ""


def _scheme_profile(d: _Doc, name: str, scheme: Any) -> str | None:
    ctx = d.ctx
    where = f"security scheme {name}"
    if not isinstance(scheme, dict):
        return None
    kind = str(scheme.get("type") or "")
    notes = description_text(scheme.get("description"))

    def profile(profile_kind: str, fields: dict[str, Any], extra: str = "") -> str:
        return ctx.profile(
            profile_kind,
            fields,
            where=where,
            label=name,
            notes=" ".join(x for x in (notes, extra) if x),
            name=f"{ctx.collection_name}: {name}",
        )

    if kind == "http":
        http = str(scheme.get("scheme") or "").lower()
        if http in ("basic", "digest"):
            return profile(http, {"username": "{{username}}", "password": ""})
        if http == "bearer":
            fmt = scheme.get("bearerFormat")
            return profile("bearer", {"token": "", "prefix": "Bearer"}, f"Bearer format: {fmt}." if fmt else "")
        ctx.skip(where, f"http {http} scheme", "Request Inspector has no profile kind for this HTTP scheme.")
        return None
    if kind == "apiKey":
        place = str(scheme.get("in") or "header")
        if place in ("header", "query"):
            return profile("api-key", {"name": scheme.get("name") or "X-API-Key", "value": "", "in": place})
        ctx.skip(
            where,
            f"apiKey in {place}",
            "an API key profile sends its key in a header or the query, not in "
            "a cookie: set the cookie as a header with a {{variable}} instead.",
        )
        return None
    if kind == "oauth2":
        flows = obj(scheme.get("flows"))
        cc = flows.get("clientCredentials")
        if isinstance(cc, dict) and cc.get("tokenUrl"):
            scopes = " ".join(str(s) for s in (cc.get("scopes") or {})) or None
            return profile(
                "oauth2-client-credentials",
                {
                    "token_url": cc.get("tokenUrl"),
                    "client_id": "{{client_id}}",
                    "client_secret": "",
                    "scope": scopes,
                    "auth": "basic",
                },
            )
        flow = next(iter(flows), "oauth2")
        ctx.skip(
            where,
            f"oauth2 {flow} flow",
            "this sign-in flow is not run here: the profile sends an access "
            "token you store with `secrets set`.",
        )
        return profile("bearer", {"token": "", "prefix": "Bearer"})
    if kind == "openIdConnect":
        url = scheme.get("openIdConnectUrl")
        ctx.skip(
            where,
            "openIdConnect sign-in",
            "the sign-in is not run here: the profile sends an access token you store with `secrets set`.",
        )
        extra = f"OpenID Connect discovery: {url}." if url else ""
        return profile("bearer", {"token": "", "prefix": "Bearer"}, extra)
    ctx.skip(where, f"{kind} scheme", "Request Inspector has no profile kind for this security scheme.")
    return None


def _operation(
    d: _Doc, path: str, method: str, op: dict[str, Any], shared: list[Any], profiles: Mapping[str, str]
) -> SavedRequest:
    name = clean_name(op.get("summary") or op.get("operationId"), f"{method.upper()} {path}")
    where = name
    params_by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*shared, *(op.get("parameters") or [])]:
        param = d.deref(raw, where)
        if isinstance(param, dict) and param.get("name") and param.get("in"):
            params_by_key[(str(param["in"]), str(param["name"]))] = param
    path_vars: dict[str, str] = {}
    params: list[Param] = []
    headers: list[Header] = []
    cookies: list[str] = []
    for (place, pname), param in params_by_key.items():
        value = d.parameter_value(param, where)
        required = bool(param.get("required")) or place == "path"
        if place == "path":
            if value is not None:
                path_vars[pname] = value
        elif place == "query":
            params.append(Param(pname, value or "", required or value is not None))
        elif place == "header":
            headers.append(Header(pname, value or "", required or value is not None))
        elif place == "cookie":
            cookies.append(
                f"{pname}={{{{{pname}}}}}"
            )  # a cookie is a session secret: a variable, never a value
    if cookies:
        headers.append(Header("Cookie", "; ".join(cookies), False))
    url = "{{base_url}}" + _TEMPLATE_RE.sub(lambda m: f"{{{{{m.group(1)}}}}}", path)
    body = _body(d, op.get("requestBody"), where)
    if isinstance(op.get("servers"), list) and op["servers"]:
        server = op["servers"][0]
        if isinstance(server, dict) and server.get("url"):
            url = _server_url(server) + _TEMPLATE_RE.sub(lambda m: f"{{{{{m.group(1)}}}}}", path)
    profile = _security_profile(op.get("security"), profiles)
    if isinstance(op.get("callbacks"), dict) and op["callbacks"]:
        d.ctx.skip(where, "callbacks", "callbacks are requests the API sends to you, not requests to send.")
    description = description_text(op.get("description"))
    if op.get("deprecated"):
        description = ("Deprecated. " + description).strip()
    request = SavedRequest(
        name=name,
        method=method.upper(),
        url=url,
        params=tuple(params),
        headers=tuple(headers),
        body=body,
        profile=profile,
        vars=path_vars,
        description=description,
    )
    return d.ctx.secure_request(request, where)


def _body(d: _Doc, value: Any, where: str) -> SavedBody:
    body = d.deref(value, where)
    if not isinstance(body, dict) or not isinstance(body.get("content"), dict) or not body["content"]:
        return SavedBody()
    content = body["content"]
    types = list(content)
    json_type = next((t for t in types if t.split(";")[0].strip().endswith("json")), None)
    chosen = (
        json_type
        or next((t for t in types if "x-www-form-urlencoded" in t), None)
        or next((t for t in types if "multipart/form-data" in t), None)
        or types[0]
    )
    media = d.deref(content[chosen], where)
    media = media if isinstance(media, dict) else {}
    example = _media_example(d, media, where)
    base_type = chosen.split(";")[0].strip().lower()
    if json_type and chosen == json_type:
        text = json.dumps(example, indent=2, ensure_ascii=False) if example is not None else ""
        ctype = None if base_type == "application/json" else chosen
        return SavedBody("json", text=text, content_type=ctype)
    if base_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields = []
        schema = d.deref(media.get("schema"), where)
        props = obj(obj(schema).get("properties"))
        values = example if isinstance(example, dict) else {}
        for key, prop in props.items():
            prop = d.deref(prop, where)
            is_file = isinstance(prop, dict) and (
                prop.get("format") in ("binary", "base64") or prop.get("contentMediaType") is not None
            )
            if is_file and base_type == "multipart/form-data":
                fields.append(BodyField(str(key), file=""))
            else:
                fields.append(BodyField(str(key), as_text(values.get(key))))
        kind = "form" if base_type.endswith("urlencoded") else "multipart"
        return SavedBody(kind, fields=tuple(fields))
    if base_type in ("application/octet-stream",) or base_type.startswith(("image/", "audio/", "video/")):
        d.ctx.skip(
            where,
            f"{base_type} body",
            "a binary body needs a file: choose one and set the body's kind to file.",
        )
        return SavedBody()
    text = example if isinstance(example, str) else as_text(example) if example is not None else ""
    return SavedBody("text", text=text, content_type=chosen)


def _media_example(d: _Doc, media: Mapping[str, Any], where: str) -> Any:
    if "example" in media:
        return media["example"]
    examples = media.get("examples")
    if isinstance(examples, dict) and examples:
        first = d.deref(next(iter(examples.values())), where)
        if isinstance(first, dict) and "value" in first:
            return first["value"]
    return d.example(media.get("schema"), where)


def swagger2_error() -> ImportError_:
    return ImportError_(
        "This is a Swagger 2.0 document; Request Inspector reads OpenAPI 3.0 and 3.1: convert it "
        "first (for example with https://converter.swagger.io or `swagger2openapi`)."
    )

"""Between the editor's RequestSpec and a collection's SavedRequest, both ways, and a spec's {{variables}}.

- `template_spec(saved)`: the saved request as the editor shows it: {{variables}} as written, its enabled
  parameters in the URL's query string, its headers and body.
- `saved_from_spec(spec, base=...)`: the editor's form back into a SavedRequest; what the editor does not show
  (disabled parameters, a body sent from a file, the content type of a field, variables, unknown keys) is
  kept from the request it was opened from.
- `lift_literal_secrets(saved)`: a request captured from history, a curl command or a HAR file usually holds
  a credential, which a collection file never keeps: each one becomes a {{variable}} whose value the user sets
  in an environment (as a secret reference), and the names are returned so the window can say so.
- `substitute_spec(spec, sub)`: every {{name}} of a composed spec substituted, field by field (no reshaping).

Pure: nothing here reads or writes a file.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import quote, urlsplit, urlunsplit

from inspector.core.collections.model import BodyField, Param, SavedBody, SavedRequest
from inspector.core.collections.secrecy import (
    JWT_RE,
    _auth_literal,
    _json_secret_keys,
    _secret_key,
    _url_userinfo_password,
    cookie_literal,
    literal_secret_value,
    looks_like_secret_value,
)
from inspector.core.redact import is_secret_header, is_secret_param
from inspector.core.request import Body, FormField, RequestSpec, query_params
from inspector.core.variables import Substitution

__all__ = [
    "Keep",
    "LiftedSecret",
    "lift_literal_secrets",
    "saved_from_spec",
    "spec_has_variables",
    "split_url",
    "substitute_spec",
    "template_spec",
]

# {{ and }} stay readable in a template's query string; everything else a query needs encoded is encoded
_QUERY_SAFE = "{}$/:@!'()*,;"


def _query(params: list[tuple[str, str]]) -> str:
    return "&".join(
        f"{quote(name, safe=_QUERY_SAFE)}={quote(value, safe=_QUERY_SAFE)}" if value or name else ""
        for name, value in params
    )


def template_spec(saved: SavedRequest) -> RequestSpec:
    """The saved request for the editor: {{names}} as written, enabled parameters in the URL, the body's
    fields as form fields (a file field's value is its path). A body sent from a file shows as no body."""
    url = saved.url.strip()
    params = [(p.name, p.value) for p in saved.params if p.enabled]
    if params:
        url = f"{url}{'&' if '?' in url else '?'}{_query(params)}"
    body = saved.body
    spec_body = Body()
    if body.kind in ("json", "text"):
        spec_body = Body(body.kind, text=body.text)  # type: ignore[arg-type]
    elif body.kind in ("form", "multipart"):
        fields = tuple(
            FormField(f.name, f.file if f.file is not None else f.value, f.file is not None, f.enabled)
            for f in body.fields
        )
        spec_body = Body(body.kind, fields=fields)  # type: ignore[arg-type]
    return RequestSpec(method=saved.method, url=url, headers=tuple(saved.headers), body=spec_body)


def split_url(url: str) -> tuple[str, list[tuple[str, str]]]:
    """The URL without its query string, and the query's parameters (decoded, in order)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, []
    if not parts.query and "?" not in url:
        return url, []
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", parts.fragment))
    return bare, query_params(url)


class Keep(enum.Enum):
    """saved_from_spec(profile=Keep.KEEP): the request's profile setting stays as it was."""

    KEEP = 0


def _same_shape(spec: RequestSpec, template: RequestSpec) -> bool:
    return (spec.method, spec.url.strip(), spec.headers, spec.body) == (
        template.method,
        template.url.strip(),
        template.headers,
        template.body,
    )


def saved_from_spec(
    spec: RequestSpec,
    *,
    name: str | None = None,
    base: SavedRequest | None = None,
    profile: str | None | Keep = Keep.KEEP,
) -> SavedRequest:
    """The editor's spec as a SavedRequest built on `base` (what the editor does not show is kept from it).

    profile: the request's own profile ("" for none, None to follow the folder's or collection's default);
    left out, the base's is kept. An unedited spec gives back the base itself (unknown keys and all)."""
    base = base or SavedRequest(name=(name or "New request").strip())
    own_profile = base.profile if isinstance(profile, Keep) else profile
    if _same_shape(spec, template_spec(base)):
        saved = base
    else:
        url, params = split_url(spec.url)
        new_params = [Param(n, v) for n, v in params]
        # disabled parameters are not in the URL: they keep their place among the enabled ones
        for i, p in enumerate(base.params):
            if not p.enabled:
                new_params.insert(min(i, len(new_params)), p)
        saved = replace(
            base,
            method=spec.method.strip().upper() or "GET",
            url=url,
            params=tuple(new_params),
            headers=tuple(spec.headers),
            body=_saved_body(spec.body, base.body),
        )
    if name is not None and name.strip() != saved.name:
        saved = replace(saved, name=name.strip())
    if own_profile != saved.profile:
        saved = replace(saved, profile=own_profile)
    return saved


def _saved_body(body: Body, base: SavedBody) -> SavedBody:
    if body.kind == "none":
        # a body sent from a file is not shown in the editor: "none" there means it was left alone
        return base if base.kind == "file" else SavedBody(content_type=base.content_type)
    if body.kind in ("json", "text"):
        return SavedBody(body.kind, text=body.text, content_type=base.content_type)
    old = {f.name: f for f in base.fields}
    fields = []
    for f in body.fields:
        before = old.get(f.name)
        content_type = before.content_type if before is not None else None
        if f.is_file and body.kind == "multipart":
            fields.append(BodyField(f.name, "", f.value, f.enabled, content_type))
        else:
            fields.append(BodyField(f.name, f.value, None, f.enabled, content_type))
    return SavedBody(body.kind, fields=tuple(fields), content_type=base.content_type)


# --- secrets captured with a request -------------------------------------------------------------------


@dataclass(frozen=True)
class LiftedSecret:
    """A literal credential taken out of a request: where it was, and the {{variable}} now in its place."""

    variable: str
    where: str  # "header 'Authorization'", "query parameter 'api_key'", ...


class _Namer:
    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.by_value: dict[str, str] = {}

    def name(self, hint: str, value: str) -> str:
        if value in self.by_value:  # the same credential in two places is one variable
            return self.by_value[value]
        base = re.sub(r"[^a-z0-9]+", "_", hint.lower()).strip("_") or "secret"
        name, n = base, 2
        while name in self.taken:  # bounded by the number of names taken
            name, n = f"{base}_{n}", n + 1
        self.taken.add(name)
        self.by_value[value] = name
        return name


def lift_literal_secrets(saved: SavedRequest) -> tuple[SavedRequest, tuple[LiftedSecret, ...]]:
    """Each literal credential replaced by a {{variable}} named after where it was (the value is dropped:
    the user sets the variable in an environment, as ${secret:KEY})."""
    namer = _Namer(set(saved.vars))
    lifted: list[LiftedSecret] = []

    def var(hint: str, value: str, where: str) -> str:
        name = namer.name(hint, value)
        if not any(x.variable == name and x.where == where for x in lifted):
            lifted.append(LiftedSecret(name, where))
        return f"{{{{{name}}}}}"

    def tokens(text: str, where: str) -> str:
        return JWT_RE.sub(lambda m: var("token", m.group(0), where), text)

    headers = []
    for h in saved.headers:
        low = h.name.strip().lower()
        where = f"header '{h.name}'"
        value = h.value
        if low in ("authorization", "proxy-authorization") and _auth_literal(value):
            scheme, _, rest = value.strip().partition(" ")
            if rest.strip():
                value = f"{scheme} {var(low.replace('-', '_'), rest.strip(), where)}"
            else:
                value = var(low.replace("-", "_"), value, where)
        elif low == "cookie" and (cookie_literal(value) or looks_like_secret_value(value)):
            value = var("cookie", value, where)
        elif is_secret_header(h.name) and literal_secret_value(value):
            value = var(h.name, value, where)
        elif looks_like_secret_value(value):
            value = tokens(value, where)
        headers.append(replace(h, value=value) if value != h.value else h)
    params = []
    for p in saved.params:
        where = f"query parameter '{p.name}'"
        if is_secret_param(p.name) and literal_secret_value(p.value):
            params.append(replace(p, value=var(p.name, p.value, where)))
        elif looks_like_secret_value(p.value):
            params.append(replace(p, value=tokens(p.value, where)))
        else:
            params.append(p)
    url = saved.url
    if _url_userinfo_password(url):
        url = _lift_userinfo(url, lambda pw: var("password", pw, "the password in the URL"))
    if looks_like_secret_value(url):
        url = tokens(url, "the URL")
    body = saved.body
    if body.fields:
        fields = []
        for f in body.fields:
            where = f"body field '{f.name}'"
            if not f.is_file and _secret_key(f.name) and literal_secret_value(f.value):
                fields.append(replace(f, value=var(f.name, f.value, where)))
            elif not f.is_file and looks_like_secret_value(f.value):
                fields.append(replace(f, value=tokens(f.value, where)))
            else:
                fields.append(f)
        body = replace(body, fields=tuple(fields))
    if body.kind in ("json", "text") and body.text:
        text = body.text
        if body.kind == "json":
            text = _lift_json(text, var)
        if looks_like_secret_value(text):
            text = tokens(text, "the body")
        body = replace(body, text=text)
    out = replace(saved, url=url, headers=tuple(headers), params=tuple(params), body=body)
    return out, tuple(lifted)


def _lift_userinfo(url: str, make: Callable[[str], str]) -> str:
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@:]*):([^/?#@]*)@", url)
    if not m:
        return url
    return f"{m.group(1)}{m.group(2)}:{make(m.group(3))}@{url[m.end():]}"


def _lift_json(text: str, var: Callable[[str, str, str], str]) -> str:
    """Replace the string values of secret keys in a JSON text, keeping its layout (a text replacement)."""
    keys = _json_secret_keys(text)
    if not keys:
        return text
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return text
    values: dict[str, str] = {}
    stack: list[object] = [doc]
    while stack and len(values) < 50:  # bounded: the keys are few and the walk is over a parsed document
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in keys and isinstance(value, str) and literal_secret_value(value):
                    values.setdefault(value, key)
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    for value, key in values.items():
        text = text.replace(json.dumps(value), json.dumps(var(key, value, f"the body's '{key}'")))
    return text


# --- substitution ----------------------------------------------------------------------------------------


def spec_has_variables(spec: RequestSpec) -> bool:
    """Whether any part of the spec holds a {{name}} (percent-encoded braces in the URL count too)."""
    parts = [spec.url, spec.body.text, *(h.name for h in spec.headers), *(h.value for h in spec.headers)]
    parts += [f.value for f in spec.body.fields] + [f.name for f in spec.body.fields]
    return any("{{" in p for p in parts) or "%7B%7B" in spec.url.upper()


def substitute_spec(spec: RequestSpec, sub: Substitution) -> RequestSpec:
    """The spec with every resolvable {{name}} substituted (unresolved ones stay: see sub.unresolved)."""
    t = sub.text
    url = spec.url
    if "%7B%7B" in url.upper():  # a parameter edited in the table comes back percent-encoded
        url = re.sub(r"(?i)%7B%7B(.*?)%7D%7D", lambda m: "{{" + m.group(1) + "}}", url)
    headers = tuple(replace(h, name=t(h.name), value=t(h.value)) for h in spec.headers)
    body = spec.body
    if body.text:
        body = replace(body, text=t(body.text))
    if body.fields:
        body = replace(body, fields=tuple(replace(f, name=t(f.name), value=t(f.value)) for f in body.fields))
    return replace(spec, url=t(url), headers=headers, body=body)

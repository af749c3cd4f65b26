"""What every importer shares: the tree it builds, the profiles and secret references it makes, the report.

An importer reads a source format into an `Imported` (folders, requests, variables, environments, profiles)
through an `ImportContext`, which is the one place that turns credentials into profiles and secret values
into references: a value found in the source is never written, only the name of the reference that the user
fills in with `secrets set KEY`. The writer (importers/write.py) then lays the tree out on disk.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from inspector.core.collections.model import CollectionError, SavedRequest, slug
from inspector.core.collections.secrecy import (
    JWT_RE,
    PEM_RE,
    cookie_literal,
    is_secret_variable,
    literal_secret_value,
)
from inspector.core.profiles.model import KIND_FIELDS
from inspector.core.redact import is_secret_header, is_secret_param
from inspector.core.request import Header
from inspector.core.variables import is_reference

FORMATS = (
    "postman-2.0",
    "postman-2.1",
    "postman-environment",
    "insomnia-4",
    "openapi-3.0",
    "openapi-3.1",
    "curl",
    "har",
)
FORMAT_TITLES = {
    "postman-2.0": "Postman Collection v2.0",
    "postman-2.1": "Postman Collection v2.1",
    "postman-environment": "Postman environment",
    "insomnia-4": "Insomnia export (v4)",
    "openapi-3.0": "OpenAPI 3.0",
    "openapi-3.1": "OpenAPI 3.1",
    "curl": "curl command",
    "har": "HAR file",
}
_ONLY_VARIABLE_RE = re.compile(r"^\s*\{\{\s*([^{}\s][^{}]*?)\s*\}\}\s*$")


class ImportError_(CollectionError):
    """The file cannot be imported as it is; the message says why and what to do."""


@dataclass(frozen=True)
class NotImported:
    item: str  # where in the source ("Invoices/Create invoice", "collection")
    what: str  # "test script", "saved example responses", "awsv4 auth", ...
    why: str


@dataclass(frozen=True)
class SecretReference:
    reference: str  # ${secret:KEY}
    for_: str  # "profile NAME field FIELD" | "environment NAME variable VAR" | "collection NAME variable VAR"
    source: str  # where the value was in the source ("variable {{access_token}}", "auth of folder Invoices")


@dataclass
class ImportedProfile:
    name: str
    kind: str
    credentials: dict[str, str]
    notes: str = ""
    base_url: str | None = None
    expect: dict[str, Any] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return slug(self.name)


@dataclass
class ImportedFolder:
    name: str
    profile: str | None = None
    vars: dict[str, str] = field(default_factory=dict)
    description: str = ""
    items: list[ImportedFolder | SavedRequest] = field(default_factory=list)


@dataclass
class ImportedEnvironment:
    name: str
    vars: dict[str, str] = field(default_factory=dict)


@dataclass
class Imported:
    """A source read into our shapes, before anything is written."""

    format: str
    root: ImportedFolder
    environments: list[ImportedEnvironment] = field(default_factory=list)
    profiles: list[ImportedProfile] = field(default_factory=list)
    not_imported: list[NotImported] = field(default_factory=list)
    references: list[SecretReference] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.root.name


@dataclass(frozen=True)
class ImportReport:
    """What an import wrote (shared/specs/collections.md, `import --json`)."""

    format: str
    into: str
    folders: int
    requests: int
    profiles: tuple[str, ...]
    variables: int
    environments: tuple[str, ...]
    not_imported: tuple[NotImported, ...]
    references: tuple[SecretReference, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "into": self.into,
            "folders": self.folders,
            "requests": self.requests,
            "profiles": list(self.profiles),
            "variables": self.variables,
            "environments": list(self.environments),
            "not_imported": [{"item": n.item, "what": n.what, "why": n.why} for n in self.not_imported],
            "references": [
                {"reference": r.reference, "for": r.for_, "source": r.source} for r in self.references
            ],
        }


def clean_name(value: Any, fallback: str) -> str:
    """A display name: text, surrounding spaces stripped, never empty, one line."""
    text = value if isinstance(value, str) else ""
    text = " ".join(text.split())
    return text or fallback


def description_text(value: Any) -> str:
    """Postman and OpenAPI descriptions are a string or {content, type}."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, Mapping) and isinstance(value.get("content"), str):
        return str(value["content"]).strip()
    return ""


def obj(value: Any) -> dict[str, Any]:
    """The value when it is a JSON/YAML object, else an empty one (real exports hold nulls and strings)."""
    return value if isinstance(value, dict) else {}


def seq(value: Any) -> list[Any]:
    """The value when it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def as_text(value: Any) -> str:
    """A source value as text: strings as they are, numbers and booleans as JSON spells them."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


class ImportContext:
    """Collects profiles, secret references and what was not carried over while an importer reads a source."""

    def __init__(self, collection_name: str, fmt: str) -> None:
        self.collection_name = collection_name
        self.key_prefix = slug(collection_name)
        self.format = fmt
        self.profiles: list[ImportedProfile] = []
        self._profile_keys: dict[tuple[Any, ...], str] = {}
        self.not_imported: list[NotImported] = []
        self.references: list[SecretReference] = []
        self._reference_for: set[tuple[str, str]] = set()
        self.extra_vars: dict[
            str, str
        ] = {}  # secret values lifted out of requests become collection variables

    # --- what was not carried over ---------------------------------------------------------------------

    def skip(self, item: str, what: str, why: str) -> None:
        entry = NotImported(item or "collection", what, why)
        if entry not in self.not_imported:
            self.not_imported.append(entry)

    # --- secret references -----------------------------------------------------------------------------

    def _key(self, *parts: str) -> str:
        cleaned = [re.sub(r"[^A-Za-z0-9_.-]+", "-", p).strip("-") for p in parts if p]
        return ".".join([self.key_prefix, *[c for c in cleaned if c]])

    def reference(self, key: str, for_: str, source: str) -> str:
        ref = f"${{secret:{key}}}"
        if (ref, for_) not in self._reference_for:
            self._reference_for.add((ref, for_))
            self.references.append(SecretReference(ref, for_, source))
        return ref

    def reference_as_written(self, ref: str, for_: str) -> str:
        """A reference the source already holds: written as it is and listed (nothing to hide)."""
        if ref != "${prompt}" and (ref, for_) not in self._reference_for:
            self._reference_for.add((ref, for_))
            self.references.append(SecretReference(ref, for_, "a reference in the source"))
        return ref

    def variable_value(
        self,
        name: str,
        value: str,
        *,
        declared_secret: bool = False,
        scope: str = "collection",
        scope_name: str = "",
        source: str = "",
    ) -> str:
        """A variable's value as written: a reference when it is secret (by the source, name or value)."""
        name = name.strip()
        if is_reference(value):  # a reference already (our own export): kept, and listed for the user
            for_ = (
                f"environment {scope_name} variable {name}"
                if scope == "environment"
                else f"{scope} {scope_name or self.collection_name} variable {name}"
            )
            return self.reference_as_written(value.strip(), for_)
        if not is_secret_variable(name, value, declared=declared_secret):
            return value
        if scope == "environment":
            key = self._key(slug(scope_name), name)
            for_ = f"environment {scope_name} variable {name}"
        else:
            key = self._key(name)
            for_ = f"{scope} {scope_name or self.collection_name} variable {name}"
        return self.reference(key, for_, source or f"variable {{{{{name}}}}}")

    def variables(self, values: Mapping[str, Any], **kwargs: Any) -> dict[str, str]:
        return {
            k.strip(): self.variable_value(k, as_text(v), **kwargs) for k, v in values.items() if k.strip()
        }

    # --- profiles --------------------------------------------------------------------------------------

    def profile(
        self,
        kind: str,
        fields: Mapping[str, Any],
        *,
        where: str,
        label: str = "",
        notes: str = "",
        expect: Mapping[str, Any] | None = None,
        name: str | None = None,
    ) -> str:
        """The name of a profile of `kind` with these credentials (made once per distinct credentials)."""
        spec = KIND_FIELDS[kind]
        raw = {k: as_text(v).strip() for k, v in fields.items() if v is not None and as_text(v).strip() != ""}
        dedupe = (kind, tuple(sorted(raw.items())), name)
        if dedupe in self._profile_keys:
            return self._profile_keys[dedupe]
        if name and not any(
            p.name.casefold() == name.casefold() or p.stem == slug(name) for p in self.profiles
        ):
            profile_name = name
        else:
            profile_name = self._free_profile_name(name or f"{self.collection_name} ({label or kind})")
        creds: dict[str, str] = {}
        for key in (*spec.required, *spec.optional):
            value = raw.get(key, "")
            if key in spec.secret:
                creds[key] = self._secret_field(profile_name, key, value, where)
            elif value:
                creds[key] = value
            elif key in spec.required:
                creds[key] = f"{{{{{key}}}}}"
                self.skip(
                    where,
                    f"{kind} {key}",
                    f"the source gives no {key}: the profile '{profile_name}' uses "
                    f"{{{{{key}}}}}, set that variable in an environment.",
                )
        for key, value in raw.items():  # fields of no known kind field are kept for the reader
            if key not in creds and key in spec.secret:
                creds[key] = self._secret_field(profile_name, key, value, where)
        self.profiles.append(ImportedProfile(profile_name, kind, creds, notes, expect=dict(expect or {})))
        self._profile_keys[dedupe] = profile_name
        return profile_name

    def _free_profile_name(self, wanted: str) -> str:
        taken = {p.name.casefold() for p in self.profiles} | {p.stem for p in self.profiles}
        name = wanted
        n = 2
        while name.casefold() in taken or slug(name) in taken:  # bounded by the number of profiles
            name = f"{wanted} {n}"
            n += 1
        return name

    def _secret_field(self, profile_name: str, field_name: str, value: str, where: str) -> str:
        """A reference for a secret field: kept when it is one, else ${secret:KEY}; the value is dropped."""
        for_ = f"profile {profile_name} field {field_name}"
        if is_reference(value):
            return self.reference_as_written(value.strip(), for_)
        var = _ONLY_VARIABLE_RE.match(value)
        if var:
            return self.reference(
                self._key(var.group(1)), for_, f"variable {{{{{var.group(1)}}}}} in {where}"
            )
        what = "a literal value" if value else "an empty value"
        return self.reference(self._key(slug(profile_name), field_name), for_, f"{what} in {where}")

    # --- credentials left in requests ------------------------------------------------------------------

    def secure_request(self, request: SavedRequest, where: str) -> SavedRequest:
        """The request with no literal secret left: an Authorization header becomes a profile (when the
        request has none of its own), other secret values become {{variables}} whose value is a reference."""
        headers: list[Header] = []
        profile = request.profile
        for h in request.headers:
            low = h.name.strip().lower()
            if low == "authorization" and literal_secret_value(_after_scheme(h.value)):
                if profile:  # the request's own auth applies; the header would only compete with it
                    self.skip(
                        where,
                        f"header {h.name}",
                        "the request has auth of its own; this header was dropped "
                        "rather than written with its credential.",
                    )
                    continue
                # no auth, or "no auth" with the header set by hand: the header is the credential
                made = self._authorization_profile(h.value, where)
                if made is None:
                    self.skip(
                        where,
                        f"header {h.name}",
                        "its credential cannot be replayed from a file (a signed "
                        "or one-time value): use a profile for this request.",
                    )
                else:
                    profile = made
                continue
            if low == "cookie":
                if cookie_literal(h.value) or _has_token(h.value):
                    headers.append(replace(h, value=self._lift(h.name, h.value, where, f"header {h.name}")))
                else:
                    headers.append(h)
                continue
            if (is_secret_header(h.name) and literal_secret_value(h.value)) or _has_token(h.value):
                headers.append(replace(h, value=self._lift(h.name, h.value, where, f"header {h.name}")))
                continue
            headers.append(h)
        params = []
        for p in request.params:
            if (is_secret_param(p.name) and literal_secret_value(p.value)) or _has_token(p.value):
                params.append(
                    replace(p, value=self._lift(p.name, p.value, where, f"query parameter {p.name}"))
                )
            else:
                params.append(p)
        body = request.body
        if body.fields:
            fields = []
            for f in body.fields:
                secret = not f.is_file and (
                    (is_secret_param(f.name) and literal_secret_value(f.value)) or _has_token(f.value)
                )
                fields.append(
                    replace(f, value=self._lift(f.name, f.value, where, f"body field {f.name}"))
                    if secret
                    else f
                )
            body = replace(body, fields=tuple(fields))
        if body.kind in ("json", "text") and body.text:
            body = replace(body, text=self._secure_text(body.text, body.kind, where))
        url = self._secure_url(request.url, where)
        variables = {
            k: self.variable_value(k, v, scope="request", scope_name=where, source=f"{where} variable {k}")
            for k, v in request.vars.items()
        }
        return replace(
            request,
            headers=tuple(headers),
            params=tuple(params),
            body=body,
            url=url,
            profile=profile,
            vars=variables,
        )

    def _lift(self, name: str, value: str, where: str, what: str) -> str:
        """Replace a literal secret by {{var}}; the collection variable holds a reference to it."""
        var = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "secret"
        existing = self.extra_vars.get(var)
        ref = self.reference(
            self._key(var),
            f"collection {self.collection_name} variable {var}",
            f"the literal value of {what} in {where}",
        )
        if existing is None:
            self.extra_vars[var] = ref
        return f"{{{{{var}}}}}"

    def _secure_text(self, text: str, kind: str, where: str) -> str:
        if kind == "json":
            try:
                doc = json.loads(text)
            except (ValueError, RecursionError):
                doc = None
            if isinstance(doc, dict | list):
                changed = self._secure_json(doc, where, 0)
                if changed:
                    text = json.dumps(doc, indent=2, ensure_ascii=False)
        return self._replace_tokens(text, where, "the body")

    def _secure_json(self, doc: Any, where: str, depth: int) -> bool:
        from inspector.core.collections.secrecy import _json_secret_key

        if depth > 32:
            return False
        changed = False
        items = doc.items() if isinstance(doc, dict) else enumerate(doc)
        for key, value in list(items):
            if (
                isinstance(value, str)
                and isinstance(key, str)
                and _json_secret_key(key)
                and literal_secret_value(value)
            ):
                doc[key] = self._lift(key, value, where, f"the body's '{key}'")
                changed = True
            elif isinstance(value, dict | list):
                changed = self._secure_json(value, where, depth + 1) or changed
        return changed

    def _replace_tokens(self, text: str, where: str, what: str) -> str:
        def one(m: re.Match[str]) -> str:
            return self._lift("token", m.group(), where, what)

        text = JWT_RE.sub(one, text)
        if PEM_RE.search(text):
            text = re.sub(
                r"-----BEGIN [A-Z0-9 ]+-----.*?-----END [A-Z0-9 ]+-----",
                lambda m: self._lift("private_key", m.group(), where, what),
                text,
                flags=re.DOTALL,
            )
        return text

    def _secure_url(self, url: str, where: str) -> str:
        m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@]*)@(.*)$", url, re.DOTALL)
        if m:
            user, colon, password = m.group(2).partition(":")
            if colon and literal_secret_value(password):
                lifted = self._lift("url_password", password, where, "the URL")
                url = f"{m.group(1)}{user}:{lifted}@{m.group(3)}"
        return self._replace_tokens(url, where, "the URL")

    def _authorization_profile(self, value: str, where: str) -> str | None:
        scheme, _, credential = value.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() == "bearer":
            return self.profile(
                "bearer", {"token": credential, "prefix": "Bearer"}, where=where, label="bearer token"
            )
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(credential, validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return None
            return self.profile("basic", {"username": user, "password": password}, where=where, label="basic")
        if (
            scheme
            and " " not in credential
            and "=" not in credential
            and not scheme.lower().startswith("aws4")
        ):
            return self.profile(
                "bearer", {"token": credential, "prefix": scheme}, where=where, label=f"{scheme} token"
            )
        return None


def _after_scheme(value: str) -> str:
    return re.sub(r"^\s*[A-Za-z][A-Za-z0-9_.-]*\s+", "", value, count=1)


def _has_token(value: str) -> bool:
    return bool(value) and bool(JWT_RE.search(value) or PEM_RE.search(value))

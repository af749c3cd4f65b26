"""From a saved request to the RequestSpec that is sent: which profile applies and why, its variables
substituted, its parameters, body file and content type put in place; and finding requests by path.

Pure except for reading a body file (kind = "file") when the request is resolved for sending.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from inspector.core.collections.model import (
    Collection,
    CollectionError,
    Environment,
    Folder,
    SavedRequest,
    walk,
)
from inspector.core.errors import RequestError
from inspector.core.request import Body, FormField, Header, RequestSpec, query_params, url_with_params
from inspector.core.variables import Builtins, Substitution, VariableScope

MAX_BODY_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class ProfileChoice:
    """The profile a request is sent with, and where that choice comes from (the tab says it)."""

    name: str | None  # None: no credentials
    source: Literal["request", "folder", "collection", "none"]
    folder: str | None = None  # the folder whose default it is

    @property
    def reason(self) -> str:
        if self.source == "request":
            return (
                f"the request names the profile '{self.name}'"
                if self.name
                else "the request is set to send no credentials"
            )
        if self.source == "folder":
            return (
                f"the default of the folder '{self.folder}'"
                if self.name
                else f"the folder '{self.folder}' is set to send no credentials"
            )
        if self.source == "collection":
            return "the collection's default" if self.name else "the collection is set to send no credentials"
        return "no profile is set on the request, its folders or the collection"


def choose_profile(
    collection: Collection, parents: tuple[Folder, ...], request: SavedRequest
) -> ProfileChoice:
    """The request's own profile, else the innermost folder's, else the collection's; "" means none."""
    if request.profile is not None:
        return ProfileChoice(request.profile or None, "request")
    for folder in reversed(parents):
        if folder.profile is not None:
            return ProfileChoice(folder.profile or None, "folder", folder.name)
    if collection.profile is not None:
        return ProfileChoice(collection.profile or None, "collection")
    return ProfileChoice(None, "none")


def request_path(parents: tuple[Folder, ...], request: SavedRequest) -> str:
    """'folder/sub/name': the names a run prints and --request accepts."""
    return "/".join([*(f.name for f in parents), request.name])


def all_requests(collection: Collection) -> list[tuple[tuple[Folder, ...], SavedRequest]]:
    """Every request with the folders above it, in display order."""
    return [(parents, item) for parents, item in walk(collection.items) if isinstance(item, SavedRequest)]


def _folder_matches(folder: Folder, part: str) -> bool:
    dir_name = folder.path.name if folder.path is not None else None
    return part in (folder.name, dir_name) or folder.name.casefold() == part.casefold()


def select_requests(
    collection: Collection, folder: str | None = None, request: str | None = None
) -> list[tuple[tuple[Folder, ...], SavedRequest]]:
    """The requests under a folder path ('invoices/drafts', names or folder names) and/or matching a request
    (its name, file stem or 'folder/name' path); CollectionError naming what was not found."""
    chosen = all_requests(collection)
    if folder:
        parts = [p for p in folder.strip("/").split("/") if p]
        chosen = [
            (ps, r)
            for ps, r in chosen
            if len(ps) >= len(parts) and all(_folder_matches(f, p) for f, p in zip(ps, parts, strict=False))
        ]
        if not chosen:
            names = sorted({f.name for ps, _ in all_requests(collection) for f in ps[:1]})
            known = ", ".join(names) or "none"
            raise CollectionError(
                f"The collection '{collection.name}' has no folder '{folder}' with requests in "
                f"it (its top folders: {known})."
            )
    if request:
        wanted = request.strip()
        matchers: tuple[Callable[[tuple[Folder, ...], SavedRequest], bool], ...] = (
            lambda ps, r: request_path(ps, r) == wanted,
            lambda ps, r: r.name == wanted,
            lambda ps, r: r.stem == wanted or (r.path is not None and str(r.path) == wanted),
            lambda ps, r: r.name.casefold() == wanted.casefold(),
        )
        for match in matchers:
            found = [(ps, r) for ps, r in chosen if match(ps, r)]
            if found:
                return found
        raise CollectionError(
            f"No request called '{wanted}' in the collection '{collection.name}'"
            f"{f' under {folder}' if folder else ''}: run `collections list "
            f"{collection.root}` to see their names."
        )
    return chosen


def scope_for(
    collection: Collection,
    parents: tuple[Folder, ...],
    request: SavedRequest,
    environment: Environment | None = None,
    overrides: Mapping[str, str] | None = None,
) -> VariableScope:
    """Where the request's {{names}} are looked up, in the spec's order."""
    return VariableScope(
        overrides=MappingProxyType(dict(overrides or {})),
        request=request.vars,
        folders=tuple(f.vars for f in reversed(parents)),
        environment=environment.vars if environment is not None else MappingProxyType({}),
        environment_name=environment.name if environment is not None else None,
        collection=collection.vars,
        request_name=request.name,
    )


@dataclass(frozen=True)
class ResolvedRequest:
    """A saved request ready to send: the spec, the secret values to mask, the profile to use and why."""

    spec: RequestSpec
    secrets: tuple[str, ...]
    profile: ProfileChoice
    environment: str | None
    path: str  # 'folder/sub/name'


def resolve_request(
    collection: Collection,
    parents: tuple[Folder, ...],
    request: SavedRequest,
    environment: Environment | None = None,
    overrides: Mapping[str, str] | None = None,
    resolver: Any | None = None,
    *,
    builtins: Builtins | None = None,
    check: bool = True,
) -> tuple[ResolvedRequest, Substitution]:
    """Substitute every {{name}}; UnresolvedVariable (check=True) before anything could be sent."""
    sub = Substitution(
        scope_for(collection, parents, request, environment, overrides), resolver, builtins=builtins
    )
    spec = build_spec(request, sub)
    if check:
        sub.check()
    choice = choose_profile(collection, parents, request)
    spec = replace(spec, profile=choice.name)
    resolved = ResolvedRequest(
        spec,
        tuple(dict.fromkeys(sub.secrets)),
        choice,
        environment.name if environment is not None else None,
        request_path(parents, request),
    )
    return resolved, sub


def build_spec(request: SavedRequest, sub: Substitution) -> RequestSpec:
    """The RequestSpec of a saved request with sub's values (unresolved names stay as written)."""
    t = sub.text
    url = t(request.url.strip())
    params = [(t(p.name), t(p.value)) for p in request.params if p.enabled]
    if params:
        url = url_with_params(url, query_params(url) + params)
    headers = [Header(t(h.name), t(h.value), h.enabled) for h in request.headers]
    body = request.body
    base = request.path.parent if request.path is not None else Path.cwd()
    spec_body = Body()
    content_type = body.content_type
    if body.kind in ("json", "text"):
        spec_body = Body("json" if body.kind == "json" else "text", text=t(body.text))
    elif body.kind in ("form", "multipart"):
        fields = []
        for f in body.fields:
            if f.file is not None:
                path = Path(t(f.file)).expanduser()
                fields.append(
                    FormField(t(f.name), str(path if path.is_absolute() else base / path), True, f.enabled)
                )
            else:
                fields.append(FormField(t(f.name), t(f.value), False, f.enabled))
        spec_body = Body("form" if body.kind == "form" else "multipart", fields=tuple(fields))
    elif body.kind == "file" and body.file:
        spec_body = Body("text", text=_read_body_file(base, t(body.file), request.name))
        content_type = content_type or "application/octet-stream"
    if content_type and not any(h.enabled and h.name.strip().lower() == "content-type" for h in headers):
        headers.append(Header("Content-Type", t(content_type)))
    return RequestSpec(method=request.method, url=url, headers=tuple(headers), body=spec_body)


def _read_body_file(base: Path, name: str, request: str) -> str:
    path = Path(name).expanduser()
    path = path if path.is_absolute() else base / path
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BODY_FILE_BYTES + 1)
    except OSError as exc:
        raise RequestError(
            f"The body file {path} of the request '{request}' cannot be read: {exc.strerror or exc}."
        ) from None
    if len(data) > MAX_BODY_FILE_BYTES:
        raise RequestError(
            f"The body file {path} of the request '{request}' is larger than "
            f"{MAX_BODY_FILE_BYTES // (1024 * 1024)} MB."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError(
            f"The body file {path} of the request '{request}' is not UTF-8 text; only text files "
            "can be sent as a body here."
        ) from None


# --- profiles meet variables -------------------------------------------------------------------------------


def resolve_profile(profile: Any, sub: Substitution) -> Any:
    """The profile with {{names}} substituted in its non-secret fields (secret fields hold references)."""
    secret = set(profile.secret_fields())
    creds = {
        k: (sub.text(v) if isinstance(v, str) and k not in secret else v)
        for k, v in profile.credentials.items()
    }
    e = profile.expect
    expect = replace(
        e,
        audience=sub.text(e.audience) if e.audience else e.audience,
        issuer=sub.text(e.issuer) if e.issuer else e.issuer,
        jwks_url=sub.text(e.jwks_url) if e.jwks_url else e.jwks_url,
        scopes=tuple(sub.text(s) for s in e.scopes),
    )
    base_url = sub.text(profile.base_url) if profile.base_url else profile.base_url
    return replace(profile, credentials=MappingProxyType(creds), expect=expect, base_url=base_url)

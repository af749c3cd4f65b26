"""curl commands and HAR recordings as collections, through the app's own parsers (core/export).

A file of curl commands may hold several (each starting a line with `curl`); a HAR file becomes a collection
of its requests in the order they were recorded. Credentials found in them (an Authorization header, a
cookie, an API key) never reach the files: they become profiles and variables holding references.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from inspector.core.collections.importers.common import ImportContext, Imported, ImportedFolder, ImportError_
from inspector.core.collections.model import BodyField, Param, SavedBody, SavedRequest
from inspector.core.errors import ExportError
from inspector.core.request import Header, RequestSpec, query_params

# headers a browser or HTTP/2 adds that the transport writes itself, or that mean nothing when re-sent
_DROPPED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "upgrade",
        "te",
        "proxy-connection",
    }
)
_CURL_START_RE = re.compile(r"^\s*curl(?:\.exe)?\s", re.MULTILINE)


def looks_like_curl(text: str) -> bool:
    return bool(re.match(r"^\s*(?:\$\s*)?curl(?:\.exe)?\s", text))


def request_name(spec: RequestSpec) -> str:
    """'GET /api/invoices' (the host is the same for most requests of a file)."""
    try:
        path = urlsplit(spec.url).path or "/"
    except ValueError:
        path = spec.url
    return f"{spec.method} {path}"[:120]


def saved_from_spec(spec: RequestSpec, name: str) -> SavedRequest:
    """A RequestSpec as a saved request: the query into [[params]], headers and body as they are."""
    try:
        parts = urlsplit(spec.url)
        base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    except ValueError:
        base = spec.url
    params = tuple(Param(k, v) for k, v in query_params(spec.url))
    headers = tuple(
        Header(h.name, h.value, h.enabled)
        for h in spec.headers
        if not h.name.startswith(":") and h.name.strip().lower() not in _DROPPED_HEADERS
    )
    body = spec.body
    saved_body = SavedBody()
    if body.kind in ("json", "text"):
        saved_body = SavedBody(body.kind, text=body.text)
    elif body.kind in ("form", "multipart"):
        saved_body = SavedBody(
            body.kind,
            fields=tuple(
                BodyField(f.name, file=f.value, enabled=f.enabled)
                if f.is_file
                else BodyField(f.name, f.value, enabled=f.enabled)
                for f in body.fields
            ),
        )
    return SavedRequest(
        name=name, method=spec.method, url=base, params=params, headers=headers, body=saved_body
    )


def _unique(name: str, taken: dict[str, int]) -> str:
    n = taken.get(name, 0) + 1
    taken[name] = n
    return name if n == 1 else f"{name} ({n})"


def split_commands(text: str) -> list[str]:
    """Each curl command of a file (a new one starts a line with `curl` after a finished command)."""
    starts = [m.start() for m in _CURL_START_RE.finditer(text)]
    commands = []
    for i, start in enumerate(starts):
        before = text[:start].rstrip(" \t")
        if i and before.endswith(("\\", "^", "`")):
            continue  # a continuation line that happens to start with curl
        commands.append(start)
    if not commands:
        return [text]
    ends = [*commands[1:], len(text)]
    return [text[a:b].strip() for a, b in zip(commands, ends, strict=True) if text[a:b].strip()]


def import_curl(text: str, name: str) -> Imported:
    from inspector.core.export.curl import CurlFilesNeeded, parse_curl

    ctx = ImportContext(name, "curl")
    root = ImportedFolder(name)
    taken: dict[str, int] = {}
    for command in split_commands(text.lstrip().removeprefix("$").lstrip()):
        try:
            parsed = parse_curl(command, read_files=False)
        except CurlFilesNeeded as exc:
            raise ImportError_(
                f"{exc} An import does not read local files: copy their content into the command "
                "or add them to the request after the import."
            ) from None
        except ExportError as exc:
            raise ImportError_(str(exc)) from None
        spec = parsed.spec
        rname = _unique(request_name(spec), taken)
        for warning in parsed.warnings:
            ctx.skip(rname, "curl option", warning)
        if not spec.verify_tls:
            ctx.skip(rname, "--insecure", "a saved request always checks TLS certificates.")
        root.items.append(ctx.secure_request(saved_from_spec(spec, rname), rname))
    root.vars.update(ctx.extra_vars)
    return Imported(
        "curl", root, profiles=ctx.profiles, not_imported=ctx.not_imported, references=ctx.references
    )


def import_har(text: str, name: str) -> Imported:
    from inspector.core.export.har import parse_har

    try:
        entries = parse_har(text)
    except ExportError as exc:
        raise ImportError_(str(exc)) from None
    ctx = ImportContext(name, "har")
    root = ImportedFolder(name)
    taken: dict[str, int] = {}
    for entry in entries:
        rname = _unique(request_name(entry.spec), taken)
        for note in entry.notes:
            ctx.skip(rname, "recorded response", note)
        root.items.append(ctx.secure_request(saved_from_spec(entry.spec, rname), rname))
    if not entries:
        ctx.skip("log.entries", "requests", "the HAR file records no request.")
    root.vars.update(ctx.extra_vars)
    return Imported(
        "har", root, profiles=ctx.profiles, not_imported=ctx.not_imported, references=ctx.references
    )

"""HAR 1.2 out (one entry per hop, masked) and in (browser recordings and our own files, to re-send or explain)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import inspector
from inspector.core import redact
from inspector.core.bodies import body_text
from inspector.core.codec import (
    RecordError,
    diagnosis_from_dict,
    diagnosis_to_dict,
    failure_from_dict,
    failure_to_dict,
    spec_from_dict,
    spec_to_dict,
    time_from_text,
    time_to_text,
)
from inspector.core.errors import ExportError
from inspector.core.exchange import (
    HOP_ROLES,
    Exchange,
    Hop,
    HopRole,
    Response,
    TransportFailure,
    as_error_kind,
    as_hop_role,
    header_value,
)
from inspector.core.redact import DEFAULT_BODY_CAP, exchange_scrubber, mask_exchange
from inspector.core.request import Body, FormField, Header, RequestSpec

if TYPE_CHECKING:
    from inspector.core.diagnosis import Diagnosis

__all__ = ["HarEntry", "dump_har", "exchange_to_har_entries", "parse_har", "to_har"]

CREATOR = "Request Inspector"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NOT_SENT_HEADERS = frozenset({"host", "content-length"})  # derived from the URL and body when re-sending


@dataclass(frozen=True)
class HarEntry:
    """One recorded request (with the redirects it followed): a spec to re-send, an exchange to explain."""

    spec: RequestSpec
    exchange: Exchange
    indexes: tuple[int, ...]  # positions in log.entries, oldest first
    started_at: datetime | None = None
    from_cache: str | None = None  # Chrome's _fromCache ("memory", "disk"): nothing went on the wire
    diagnosis: Diagnosis | None = None  # what the app concluded when it wrote the file
    notes: tuple[str, ...] = field(default=())


# --- HAR out -----------------------------------------------------------------------------------------------


def exchange_to_har_entries(
    exchange: Exchange,
    diagnosis: Diagnosis | None = None,
    *,
    include_secrets: bool = False,
    extra_secret_names: Iterable[str] = (),
    redactor: redact.Redactor | None = None,
    body_cap: int | None = DEFAULT_BODY_CAP,
) -> list[dict[str, Any]]:
    """HAR 1.2 entries, one per hop, masked unless include_secrets; the diagnosis rides on the last entry."""
    extra = tuple(extra_secret_names)
    if include_secrets:
        shown = exchange
        scrub = _same
    else:
        shown = mask_exchange(exchange, diagnosis, redactor=redactor, extra_names=extra, body_cap=body_cap)
        scrub = exchange_scrubber(exchange, diagnosis, redactor, extra).scrub
    hops = shown.hops or (_hop_from_spec(shown),)
    group = _group_id(shown)
    entries = []
    for i, hop in enumerate(hops):
        inspector_field: dict[str, Any] = {
            "group": group,
            "hop": i,
            "role": hop.role,
            "elapsed_s": hop.elapsed_s,
            "sent_at": time_to_text(hop.sent_at),
            "credentials_stripped": list(hop.credentials_stripped),
            "netrc_applied": hop.netrc_applied,
            "recorded": bool(shown.hops),
        }
        if i == 0:
            inspector_field["spec"] = spec_to_dict(shown.spec)
        if i == len(hops) - 1:
            inspector_field.update(
                profile=shown.profile_name,
                sent_at_exchange=time_to_text(shown.sent_at),
                received_at=time_to_text(shown.received_at),
                error=failure_to_dict(shown.error),
                token_problem=shown.token_problem,
                from_cache=shown.from_cache,
                proxy=shown.proxy,
                diagnosis=_scrubbed_json(diagnosis_to_dict(diagnosis), scrub),
            )
        entry = {
            "startedDateTime": (hop.sent_at or shown.sent_at or _EPOCH).isoformat(),
            "time": _ms(hop.elapsed_s),
            "request": _har_request(hop),
            "response": _har_response(hop, shown.error if i == len(hops) - 1 else None),
            "cache": {},
            "timings": {
                "blocked": -1,
                "dns": -1,
                "connect": -1,
                "ssl": -1,
                "send": 0,
                "wait": _ms(hop.elapsed_s),
                "receive": 0,
            },
            "_inspector": inspector_field,
        }
        entries.append(entry)
    return entries


def to_har(entries: Iterable[Mapping[str, Any]], *, comment: str = "") -> dict[str, Any]:
    """A HAR 1.2 document around the entries."""
    log: dict[str, Any] = {
        "version": "1.2",
        "creator": {"name": CREATOR, "version": inspector.__version__},
        "pages": [],
        "entries": list(entries),
    }
    if comment:
        log["comment"] = comment
    return {"log": log}


def dump_har(har: Mapping[str, Any]) -> str:
    return json.dumps(har, indent=2, ensure_ascii=False)


def _same(text: str) -> str:
    return text


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def _group_id(exchange: Exchange) -> str:
    basis = json.dumps(
        [time_to_text(exchange.sent_at), exchange.spec.method, exchange.spec.url, len(exchange.hops)]
    )
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


def _scrubbed_json(data: Any, scrub: Any) -> Any:
    if data is None:
        return None
    return redact.scrub_tree(redact.jsonable_tree(data), scrub)


def _hop_from_spec(exchange: Exchange) -> Hop:
    """Nothing was sent (the URL could not be reached at all): the entry shows what would have been."""
    spec = exchange.spec
    body = spec.body.text.encode("utf-8") if spec.body.kind in ("json", "text") else b""
    return Hop(spec.method, spec.url, tuple(spec.enabled_headers()), body, None, 0.0, exchange.sent_at)


def _nv(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in pairs]


def _request_cookies(headers: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    out = []
    for name, value in headers:
        if name.lower() == "cookie":
            for part in value.split(";"):
                k, sep, v = part.partition("=")
                if sep:
                    out.append({"name": k.strip(), "value": v.strip()})
    return out


def _response_cookies(headers: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    out = []
    for name, value in headers:
        if name.lower() != "set-cookie":
            continue
        first, *attrs = value.split(";")
        k, _, v = first.partition("=")
        cookie: dict[str, Any] = {"name": k.strip(), "value": v.strip()}
        for attr in attrs:
            a, _, av = attr.partition("=")
            a = a.strip().lower()
            if a in ("path", "domain"):
                cookie[a] = av.strip()
            elif a == "expires":
                try:
                    cookie["expires"] = parsedate_to_datetime(av.strip()).isoformat()
                except (TypeError, ValueError):
                    pass
            elif a == "httponly":
                cookie["httpOnly"] = True
            elif a == "secure":
                cookie["secure"] = True
        out.append(cookie)
    return out


def _har_request(hop: Hop) -> dict[str, Any]:
    http_version = hop.response.http_version if hop.response else "HTTP/1.1"
    request: dict[str, Any] = {
        "method": hop.method,
        "url": hop.url,
        "httpVersion": http_version,
        "cookies": _request_cookies(hop.sent_headers),
        "headers": _nv(hop.sent_headers),
        "queryString": _nv(parse_qsl(urlsplit(hop.url).query, keep_blank_values=True)),
        "headersSize": -1,
        "bodySize": len(hop.sent_body),
    }
    if hop.sent_body:
        ctype = hop.sent_header("Content-Type") or ""
        text = body_text(hop.sent_body, ctype, exact=True)
        post: dict[str, Any] = {"mimeType": ctype}
        if text is None:
            post["text"] = base64.b64encode(hop.sent_body).decode("ascii")
            post["_encoding"] = (
                "base64"  # HAR 1.2 has no encoding for postData; ours says how to read it back
            )
        else:
            post["text"] = text
            if "x-www-form-urlencoded" in ctype.lower():
                post["params"] = _nv(parse_qsl(text, keep_blank_values=True))
        request["postData"] = post
    return request


def _har_response(hop: Hop, error: TransportFailure | None) -> dict[str, Any]:
    r = hop.response
    if r is None:
        return {
            "status": 0,
            "statusText": "",
            "httpVersion": "",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": "x-unknown"},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_error": error.message if error else "No response was recorded.",
            "_errorKind": error.kind if error else "other",
        }
    ctype = r.content_type or ""
    text = body_text(r.body, ctype, exact=True)
    content: dict[str, Any] = {"size": r.body_bytes, "mimeType": ctype}
    if text is None:
        content["text"] = base64.b64encode(r.body).decode("ascii")
        content["encoding"] = "base64"
    elif r.body:
        content["text"] = text
    if r.body_truncated:
        content["_truncated"] = True
        content["comment"] = f"Only the first {len(r.body)} of {r.body_bytes} bytes were kept."
    return {
        "status": r.status,
        "statusText": r.reason,
        "httpVersion": r.http_version,
        "cookies": _response_cookies(r.headers),
        "headers": _nv(r.headers),
        "content": content,
        "redirectURL": r.header("Location") or "",
        "headersSize": -1,
        "bodySize": len(r.body),
    }


# --- HAR in ------------------------------------------------------------------------------------------------

_SPACE = " \t\n\r"
_DECODER = json.JSONDecoder()
#: the members read a value at a time: the file's top object, its "log", and "log.entries"' elements
_IN_PIECES = {(): "object", ("log",): "object", ("log", "entries"): "array"}


def loads_in_pieces(text: str | bytes) -> Any:
    """json.loads(text), read a member at a time down to each of log.entries' elements: json's parser holds
    the interpreter for a whole call, and one call over a HAR file of 30 MB stopped the window for 0.7 s, from a
    worker thread. The same value and the same errors as json.loads (a document of another shape is read
    whole)."""
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode(json.detect_encoding(text), "surrogatepass")
        except UnicodeDecodeError:
            return json.loads(text)  # its own error
    if text.startswith("\ufeff"):
        return json.loads(text)  # json's own "Unexpected UTF-8 BOM" error
    try:
        end = _skip(text, 0)
        value, end = _value(text, end, ())
        if _skip(text, end) != len(text):
            raise ValueError("extra data")
    except (ValueError, IndexError, RecursionError):
        return json.loads(text)  # not JSON: its error says where, as before
    return value


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _SPACE:
        i += 1
    return i


def _value(text: str, i: int, path: tuple[str, ...]) -> tuple[Any, int]:
    shape = _IN_PIECES.get(path)
    if shape == "object" and text[i] == "{":
        return _object(text, i, path)
    if shape == "array" and text[i] == "[":
        return _array(text, i)
    return _DECODER.raw_decode(text, i)


def _object(text: str, i: int, path: tuple[str, ...]) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    i = _skip(text, i + 1)
    if text[i] == "}":
        return out, i + 1
    while True:
        if text[i] != '"':
            raise ValueError("a key")
        key, i = _DECODER.raw_decode(text, i)
        i = _skip(text, i)
        if text[i] != ":":
            raise ValueError("a colon")
        value, i = _value(text, _skip(text, i + 1), (*path, key))
        out[key] = value
        ended, i = _after(text, i, "}")
        if ended:
            return out, i


def _array(text: str, i: int) -> tuple[list[Any], int]:
    out: list[Any] = []
    i = _skip(text, i + 1)
    if text[i] == "]":
        return out, i + 1
    while True:
        value, i = _DECODER.raw_decode(text, i)
        out.append(value)
        ended, i = _after(text, i, "]")
        if ended:
            return out, i


def _after(text: str, i: int, closer: str) -> tuple[bool, int]:
    """After a member or an element: (True, past the closer) at the end, else (False, the next one's start)."""
    i = _skip(text, i)
    if text[i] == closer:
        return True, i + 1
    if text[i] != ",":
        raise ValueError("a comma")
    return False, _skip(text, i + 1)


def parse_har(text: str | bytes, *, group_redirects: bool = True) -> list[HarEntry]:
    """Every request in a HAR file; a redirect chain becomes one exchange with a hop per entry."""
    try:
        data = loads_in_pieces(text)
    except json.JSONDecodeError as exc:
        raise ExportError(
            f"The file is not a HAR file: it is not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."
        ) from None
    except UnicodeDecodeError:
        raise ExportError("The file is not a HAR file: it is not UTF-8 text.") from None
    if not isinstance(data, dict) or "log" not in data:
        raise ExportError(
            "The JSON is not a HAR file: it has no 'log' object "
            '(a HAR file looks like {"log": {"version": "1.2", "entries": [...]}}).'
        )
    log = data["log"]
    if not isinstance(log, dict):
        raise ExportError("The JSON is not a HAR file: its 'log' is not an object.")
    raw_entries = log.get("entries")
    if not isinstance(raw_entries, list):
        raise ExportError("The JSON is not a HAR file: its 'log' has no 'entries' list.")
    for i, e in enumerate(raw_entries, start=1):
        if not isinstance(e, dict):
            raise ExportError(f"Entry {i} of the HAR file is not an object.")
        request = e.get("request")
        if not isinstance(request, dict):
            raise ExportError(f"Entry {i} of the HAR file has no 'request' object.")
        if not isinstance(request.get("url"), str) or not request["url"]:
            raise ExportError(f"Entry {i} of the HAR file has no request URL ('request.url').")
    groups = _groups(raw_entries) if group_redirects else [[i] for i in range(len(raw_entries))]
    out = []
    for group in groups:
        out.append(_entry_from_group(raw_entries, group))
        for i in group:  # let go of as it goes: freeing 30 MB of parsed JSON at the end is one long call
            raw_entries[i] = None
    return out


def _groups(entries: list[dict[str, Any]]) -> list[list[int]]:
    """Indexes of entries that belong to one exchange: our own group ids, else browser redirect chains."""
    taken: set[int] = set()
    groups: list[list[int]] = []
    for i, e in enumerate(entries):
        if i in taken:
            continue
        taken.add(i)
        group = [i]
        mine = _inspector_of(e).get("group")
        if mine:
            j = i + 1
            while j < len(entries) and _inspector_of(entries[j]).get("group") == mine:
                group.append(j)
                taken.add(j)
                j += 1
        else:
            current = e
            for _ in range(len(entries)):  # bounded: a chain is never longer than the file
                target = _redirect_target(current)
                if target is None:
                    break
                # browsers interleave other requests between the hops of a chain: look ahead for the next one
                nxt = next(
                    (k for k in range(group[-1] + 1, min(len(entries), group[-1] + 200))
                     if k not in taken and entries[k]["request"]["url"] == target
                     and not _inspector_of(entries[k]).get("group")),
                    None,
                )  # fmt: skip
                if nxt is None:
                    break
                group.append(nxt)
                taken.add(nxt)
                current = entries[nxt]
        groups.append(group)
    return groups


def _inspector_of(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    value = entry.get("_inspector")
    return value if isinstance(value, dict) else {}


def _redirect_target(entry: Mapping[str, Any]) -> str | None:
    response = entry.get("response")
    if not isinstance(response, dict) or response.get("status") not in (301, 302, 303, 307, 308):
        return None
    target = response.get("redirectURL") or header_value(_pairs(response.get("headers")), "Location")
    if not target:
        return None
    return urljoin(str(entry["request"]["url"]), str(target))


def _pairs(items: object) -> tuple[tuple[str, str], ...]:
    """HAR name/value lists as header lines; HTTP/2 pseudo-headers (':authority') are not header lines."""
    out = []
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and "name" in item:
            name = str(item["name"])
            if not name.startswith(":"):
                out.append((name, str(item.get("value", ""))))
    return tuple(out)


def _obj(value: object) -> dict[str, Any]:
    """A JSON object, or an empty one when the file has something else there (browsers leave fields out)."""
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _number(value: object, default: float) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _elapsed_s(entry: Mapping[str, Any]) -> float:
    ms = _number(entry.get("time"), -1.0)
    if ms < 0:
        ms = sum(v for v in (_number(t, -1.0) for t in _obj(entry.get("timings")).values()) if v > 0)
    return ms / 1000.0


_CHROME_ERRORS = (
    ("NAME_NOT_RESOLVED", "dns"),
    ("CONNECTION", "connection"),
    ("TIMED_OUT", "timeout"),
    ("CERT", "tls"),
    ("SSL", "tls"),
    ("TOO_MANY_REDIRECTS", "too-many-redirects"),
    ("ABORTED", "cancelled"),
)


def _hop_from_entry(
    i: int, entry: Mapping[str, Any], notes: list[str]
) -> tuple[Hop, TransportFailure | None]:
    request = entry["request"]
    mine = _inspector_of(entry)
    method = str(request.get("method") or "GET").upper()
    url = str(request["url"])
    # our own files say exactly when each hop went out, including "not known"
    sent_at = (
        time_from_text(mine["sent_at"]) if "sent_at" in mine else time_from_text(entry.get("startedDateTime"))
    )
    post = request.get("postData") if isinstance(request.get("postData"), dict) else {}
    sent_body = _post_bytes(post, i)
    response_data = entry.get("response")
    response = None
    error = None
    if isinstance(response_data, dict) and _number(response_data.get("status"), 0) > 0:
        response = _response(response_data, i, notes, ours=bool(mine))
    else:
        kind = str((response_data or {}).get("_errorKind") or "") if isinstance(response_data, dict) else ""
        message = str((response_data or {}).get("_error") or "") if isinstance(response_data, dict) else ""
        if not kind:
            kind = next((k for marker, k in _CHROME_ERRORS if marker in message.upper()), "other")
        if not message or not message.endswith("."):
            detail = f" ({message})" if message else ""
            message = f"The recorded {method} {url} got no response{detail}."
        error = TransportFailure(as_error_kind(kind), message)
    elapsed = mine.get("elapsed_s")
    hop = Hop(
        method=method,
        url=url,
        sent_headers=_pairs(request.get("headers")),
        sent_body=sent_body,
        response=response,
        elapsed_s=float(elapsed) if isinstance(elapsed, int | float) else _elapsed_s(entry),
        sent_at=sent_at,
        role=_role(mine.get("role"), i),
        credentials_stripped=tuple(str(n) for n in mine.get("credentials_stripped") or ()),
        netrc_applied=bool(mine.get("netrc_applied", False)),
    )
    return hop, error


def _role(value: object, i: int) -> HopRole:
    if value is None or value == "":
        return "request"
    role = as_hop_role(value)
    if role is None:
        raise ExportError(
            f"Entry {i + 1} of the HAR file names the hop role '{str(value)[:40]}', which is none of "
            f"{', '.join(HOP_ROLES)}."
        )
    return role


def _post_bytes(post: Mapping[str, Any], i: int) -> bytes:
    text = post.get("text")
    if isinstance(text, str):
        if post.get("_encoding") == "base64" or post.get("encoding") == "base64":
            try:
                return base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                raise ExportError(
                    f"Entry {i + 1} of the HAR file has a postData text that is not base64."
                ) from None
        return text.encode("utf-8")
    params = post.get("params")
    if isinstance(params, list) and params:
        return urlencode(_pairs(params)).encode("utf-8")
    return b""


def _response(data: Mapping[str, Any], i: int, notes: list[str], ours: bool) -> Response:
    content = _obj(data.get("content"))
    text = content.get("text")
    body = b""
    if isinstance(text, str):
        if content.get("encoding") == "base64":
            try:
                body = base64.b64decode(text)
            except (binascii.Error, ValueError):
                notes.append(f"Entry {i + 1}: the response body says base64 but is not; it was kept as text.")
                body = text.encode("utf-8")
        else:
            body = text.encode("utf-8")
    size = int(_number(content.get("size"), -1))
    body_bytes = max(size, len(body))
    http_version = str(data.get("httpVersion") or "HTTP/1.1")
    return Response(
        status=int(_number(data.get("status"), 0)),
        reason=str(data.get("statusText") or ""),
        headers=_pairs(data.get("headers")),
        body=body,
        body_bytes=body_bytes,
        # our own files say it; for a browser's, a body shorter than its size was left out or cut
        body_truncated=bool(content.get("_truncated")) if ours else body_bytes > len(body),
        http_version=http_version,
    )


def _spec_from_request(hop: Hop, post: Mapping[str, Any]) -> RequestSpec:
    """What a browser sent, as a spec to re-send: headers the transport derives itself are left out."""
    ctype = (header_value(hop.sent_headers, "Content-Type") or str(post.get("mimeType") or "")).lower()
    drop = set(_NOT_SENT_HEADERS)
    body = Body()
    text = body_text(hop.sent_body, ctype, exact=True)
    if "multipart/form-data" in ctype:
        drop.add("content-type")  # its boundary belongs to the old body; requests writes a new one
        fields = []
        for p in _list(post.get("params")):
            if isinstance(p, dict) and "name" in p:
                if p.get("fileName"):
                    fields.append(FormField(str(p["name"]), str(p["fileName"]), is_file=True))
                else:
                    fields.append(FormField(str(p["name"]), str(p.get("value", ""))))
        body = Body("multipart", fields=tuple(fields))
    elif text:
        if "x-www-form-urlencoded" in ctype:
            body = Body(
                "form", fields=tuple(FormField(k, v) for k, v in parse_qsl(text, keep_blank_values=True))
            )
        elif "json" in ctype and _is_json(text):
            body = Body("json", text=text)
        else:
            body = Body("text", text=text)
    headers = tuple(Header(k, v) for k, v in hop.sent_headers if k.lower() not in drop)
    return RequestSpec(method=hop.method, url=hop.url, headers=headers, body=body)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _entry_from_group(entries: list[dict[str, Any]], group: list[int]) -> HarEntry:
    notes: list[str] = []
    hops: list[Hop] = []
    error: TransportFailure | None = None
    for i in group:
        hop, hop_error = _hop_from_entry(i, entries[i], notes)
        hops.append(hop)
        if i == group[-1]:
            error = hop_error  # an earlier hop without a response would have ended the chain
    first, last = entries[group[0]], entries[group[-1]]
    mine_first, mine_last = _inspector_of(first), _inspector_of(last)
    spec = None
    if mine_first.get("spec"):
        try:
            spec = spec_from_dict(mine_first["spec"], "_inspector.spec")
        except RecordError as exc:
            notes.append(f"Entry {group[0] + 1}: the request this app recorded cannot be read ({exc}); "
                         "it was rebuilt from the HAR request.")
    if spec is None:
        post = first["request"].get("postData")
        spec = _spec_from_request(hops[0], post if isinstance(post, dict) else {})
    recorded_error = mine_last.get("error")
    if isinstance(recorded_error, dict):
        try:
            error = failure_from_dict(recorded_error, "_inspector.error")
        except RecordError as exc:
            raise ExportError(f"Entry {group[-1] + 1} of the HAR file: {exc}") from None
    if mine_last and not mine_last.get("recorded", True):
        hops = []  # the entry only showed what would have been sent
    started = hops[0].sent_at if hops else time_from_text(first.get("startedDateTime"))
    received = time_from_text(mine_last.get("received_at"))
    if received is None and hops and hops[-1].sent_at is not None:
        received = hops[-1].sent_at + timedelta(seconds=hops[-1].elapsed_s)
    from_cache = next(
        (str(entries[i].get("_fromCache")) for i in group if entries[i].get("_fromCache")), None
    )
    extra = mine_last.get("extra")  # files written before token_problem and from_cache were fields
    old: dict[str, Any] = extra if isinstance(extra, dict) else {}
    token_problem = mine_last.get("token_problem") or old.get("token_problem")
    if from_cache:
        notes.append(
            f"The browser served this response from its {from_cache} cache: it never reached the server."
        )
    exchange = Exchange(
        spec=spec,
        hops=tuple(hops),
        error=error,
        sent_at=time_from_text(mine_last["sent_at_exchange"]) if "sent_at_exchange" in mine_last else started,
        received_at=received,
        profile_name=mine_last.get("profile") or None,
        token_problem=str(token_problem) if token_problem else None,
        from_cache=from_cache or mine_last.get("from_cache") or old.get("har_from_cache") or None,
        proxy=str(mine_last.get("proxy") or old.get("proxy") or "") or None,
    )
    diagnosis = None
    if isinstance(mine_last.get("diagnosis"), dict):
        try:
            diagnosis = diagnosis_from_dict(mine_last["diagnosis"], "_inspector.diagnosis")
        except RecordError as exc:
            notes.append(f"Entry {group[-1] + 1}: the explanation this app recorded cannot be read ({exc}).")
    return HarEntry(
        spec=spec,
        exchange=exchange,
        indexes=tuple(group),
        started_at=started,
        from_cache=from_cache,
        diagnosis=diagnosis,
        notes=tuple(notes),
    )

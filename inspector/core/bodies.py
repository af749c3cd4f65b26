"""Body bytes to text (one charset rule, one binary rule) and the error message inside common body shapes.

Every surface that turns a body into text (the response view, the CLI, masking, HAR, reports, the explainer)
calls `body_text` or `decode_text` here, and every Content-Type parameter is read by `content_type_param`.
"""

from __future__ import annotations

import codecs
import html
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

BodyKind = Literal["image", "binary", "text"]


# --- Content-Type ------------------------------------------------------------------------------------------


def parse_mime(content_type: str | None) -> str:
    """'Application/JSON; charset=utf-8' -> 'application/json'; '' when absent or unusable."""
    if not content_type:
        return ""
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime if "/" in mime else ""


def content_type_param(content_type: str | None, name: str) -> str | None:
    """A parameter of a Content-Type value (e.g. charset), unquoted; None when absent."""
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, sep, value = part.partition("=")
        if sep and key.strip().lower() == name.lower():
            return value.strip().strip('"') or None
    return None


# Python codecs that decode bytes to text but are not character sets: a server naming one must not make
# decoding fail (idna, undefined) or turn escapes in the body into other characters (unicode_escape).
_NOT_CHARSETS = frozenset({"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape"})


def charset_of(content_type: str | None) -> str | None:
    """The declared charset when it is a character set Python knows; None when none is declared or usable."""
    charset = content_type_param(content_type, "charset")
    if charset is None:
        return None
    try:
        info = codecs.lookup(charset)
    except LookupError:  # a name the server made up: read the body as if none was declared
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:  # base64, rot13, zlib, ...
        return None
    return charset


# --- What kind of body is it -------------------------------------------------------------------------------


_BINARY_TYPES = ("audio/", "video/", "font/", "application/pdf", "application/zip", "application/gzip",
                 "application/x-gzip", "application/x-tar", "application/wasm", "application/x-protobuf",
                 "application/protobuf", "application/vnd.ms-", "application/msword", "application/x-7z",
                 "application/x-bzip", "application/x-rar", "application/java-archive")
_TEXTY = ("text/", "json", "xml", "javascript", "ecmascript", "x-www-form-urlencoded", "yaml", "toml",
          "csv", "graphql", "sql", "html", "svg")
KIND_PREFIX_BYTES = 8192  # how much of a body body_kind looks at
_EXACT_NUL_BYTES = 4096  # a NUL this early means binary for exact text


def body_kind(content_type: str | None, body_prefix: bytes) -> BodyKind:
    """'image', 'binary' or 'text': how a body should be shown (images drawn, binary never decoded)."""
    mime = parse_mime(content_type)
    prefix = body_prefix[:KIND_PREFIX_BYTES]
    if mime.startswith("image/") and "svg" not in mime:
        return "image"
    if mime.startswith(_BINARY_TYPES):
        return "binary"
    if _looks_like_image(prefix):
        return "image"
    if any(t in mime for t in _TEXTY):
        return "binary" if prefix.count(b"\x00") > len(prefix) // 4 and prefix else "text"
    return "binary" if _looks_binary(prefix, content_type) else "text"


def _looks_like_image(prefix: bytes) -> bool:
    return prefix.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")) or (
        prefix[:4] == b"RIFF" and prefix[8:12] == b"WEBP"
    )


def _looks_binary(prefix: bytes, content_type: str | None) -> bool:
    if not prefix:
        return False
    if prefix.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 with a byte order mark
    if b"\x00" in prefix:
        return True
    charset = charset_of(content_type) or "utf-8"
    try:
        # an incomplete UTF-8 sequence at the cut is not evidence of binary data
        prefix.decode(charset, errors="strict")
        return False
    except UnicodeDecodeError:
        try:
            prefix[:-3].decode(charset, errors="strict")
            return False
        except UnicodeDecodeError:
            pass
    controls = sum(1 for b in prefix if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > len(prefix) // 20


# --- Bytes to text -----------------------------------------------------------------------------------------


def _text_charset(data: bytes, content_type: str | None) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return charset_of(content_type) or "utf-8"


def decode_text(data: bytes, content_type: str | None) -> str:
    """Bytes known to be text, as text: a BOM, else the declared charset, else UTF-8 (bad bytes: U+FFFD)."""
    return data.decode(_text_charset(data, content_type), errors="replace")


def iter_decode_text(data: bytes, content_type: str | None, piece_bytes: int = 1024 * 1024) -> Iterator[str]:
    """decode_text's text in parts, decoding `piece_bytes` at a time: joined, they are decode_text's result.

    Decoding 100 MB is one C call that holds the GIL for a long stretch; a worker thread decoding part by
    part lets the UI thread run in between.
    """
    decoder = codecs.getincrementaldecoder(_text_charset(data, content_type))(errors="replace")
    view = memoryview(data)
    for pos in range(0, len(data), piece_bytes):
        part = decoder.decode(view[pos : pos + piece_bytes], final=pos + piece_bytes >= len(data))
        if part:
            yield part


# Charsets in which every byte is one character, and those in which an ASCII byte always is (UTF-8: the
# others take one character for two to four bytes, or for up to three bytes that are not UTF-8)
_ONE_CHAR_A_BYTE = frozenset({"ascii", "iso8859-1", "iso8859-15", "cp1250", "cp1251", "cp1252"})
_UTF8 = frozenset({"utf-8", "utf-8-sig"})


def decodes_longer_than(data: bytes, content_type: str | None, limit: int, piece_bytes: int = 1024 * 1024) -> bool:
    """Whether decode_text(data, content_type) is surely more than `limit` characters, told without decoding:
    False when it may not be (or the charset does not say how bytes become characters).

    UTF-8 is looked at a megabyte at a time: an all-ASCII megabyte is a million characters, any other at least
    a quarter of that; the look stops as soon as the count passes the limit.
    """
    if len(data) <= limit:
        return False
    name = codecs.lookup(_text_charset(data, content_type)).name
    if name in _ONE_CHAR_A_BYTE:
        return True
    if name not in _UTF8:
        return False
    ascii_bytes = -1 if name == "utf-8-sig" else 0  # a byte order mark's three bytes are no character
    other_bytes = 0
    for pos in range(0, len(data), piece_bytes):
        piece = data[pos : pos + piece_bytes]
        if piece.isascii():
            ascii_bytes += len(piece)
        else:
            other_bytes += len(piece)
        if ascii_bytes + other_bytes // 4 > limit:
            return True
    return False


def body_text(data: bytes, content_type: str | None, *, exact: bool = False) -> str | None:
    """The body as text, or None when it is binary. An empty body is ''.

    Two uses need two answers, hence `exact`:
    - to *show* a body (exact=False: the response view, the CLI), the Content-Type and a look at the first
      bytes decide whether it is text (`body_kind`), and it is decoded by `decode_text`, never failing;
    - to *stand in for* the bytes (exact=True: masking, HAR, reports, curl), only the bytes decide, never the
      label, because a server can call a JSON body that carries a token image/png and it must still be
      masked; and decoding must lose nothing: the declared charset or UTF-8, strictly, a BOM kept as a
      character, so HAR keeps text where it can and base64 where the text would not be the same bytes.
    """
    if not data:
        return ""
    if not exact:
        return decode_text(data, content_type) if body_kind(content_type, data) == "text" else None
    if b"\x00" in data[:_EXACT_NUL_BYTES]:
        return None
    for charset in dict.fromkeys((charset_of(content_type) or "utf-8", "utf-8")):
        try:
            return data.decode(charset)
        except UnicodeDecodeError:
            continue
    return None


# --- The server's message inside an error body -------------------------------------------------------------

PREFIX_BYTES = 64 * 1024  # only this much of a body is read: error bodies are short, and garbage may be huge
MAX_TEXT = 500  # a plain-text body longer than this is not "a message"
MAX_MESSAGE = 1000  # messages are cut to this length
_MAX_DEPTH = 6
_MAX_ITEMS = 10


@dataclass(frozen=True)
class BodyMessage:
    """What the server said in its body: an error code, a human message, more detail and a link."""

    code: str | None = None  # "invalid_token", "InvalidAuthenticationToken", "UNAUTHENTICATED", ...
    message: str | None = None  # the human sentence, verbatim
    description: str | None = None  # a second, longer sentence (problem detail when a title exists)
    uri: str | None = None  # error_uri, problem type, documentation_url
    shape: str = "text"  # which shape it was read from: problem, oauth, detail, message, error-object, ...

    @property
    def text(self) -> str | None:
        """The most useful human sentence: message, else description, else code."""
        return self.message or self.description or self.code


def _cut(value: str) -> str:
    value = value.strip()
    return value if len(value) <= MAX_MESSAGE else value[:MAX_MESSAGE] + "…"


def _s(value: object) -> str | None:
    """A non-empty string from a scalar JSON value, else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        return _cut(text) if text else None
    return None


def _get(obj: Mapping[str, object], *names: str) -> object:
    """A key looked up case-insensitively (AWS sends "Message", others "message")."""
    lower = {k.lower(): v for k, v in obj.items() if isinstance(k, str)}
    for name in names:
        if name in lower:
            return lower[name]
    return None


def _messages(obj: object, depth: int = 0) -> list[str]:
    """Human messages inside nested lists/objects: FastAPI detail lists, GraphQL/JSON:API errors lists."""
    if depth > _MAX_DEPTH:
        return []
    if isinstance(obj, str):
        text = _s(obj)
        return [text] if text else []
    out: list[str] = []
    if isinstance(obj, list):
        for item in obj[:_MAX_ITEMS]:
            out.extend(_messages(item, depth + 1))
    elif isinstance(obj, Mapping):
        for key in ("message", "msg", "detail", "title", "error_description", "description", "reason"):
            value = _get(obj, key)
            if isinstance(value, str):
                text = _s(value)
                if text:
                    loc = _get(obj, "loc")
                    if key == "msg" and isinstance(loc, list) and loc:
                        text = f"{'.'.join(str(p) for p in loc[:_MAX_ITEMS])}: {text}"
                    out.append(text)
                    break
            elif isinstance(value, (list, Mapping)):
                found = _messages(value, depth + 1)
                if found:
                    out.extend(found)
                    break
    # keep order, drop repeats
    return list(dict.fromkeys(out))[:_MAX_ITEMS]


def _join(messages: list[str]) -> str | None:
    return _cut("; ".join(messages)) if messages else None


def _first_code(obj: object, depth: int = 0) -> str | None:
    if depth > _MAX_DEPTH:
        return None
    if isinstance(obj, list):
        for item in obj[:_MAX_ITEMS]:
            code = _first_code(item, depth + 1)
            if code:
                return code
    elif isinstance(obj, Mapping):
        value = _get(obj, "code", "type", "error", "errorcode", "error_code")
        if isinstance(value, str):
            return _s(value)
        if isinstance(value, Mapping):
            return _first_code(value, depth + 1)
        ext = _get(obj, "extensions")
        if isinstance(ext, Mapping):
            return _s(_get(ext, "code"))
    return None


def _from_json(obj: object, problem: bool) -> BodyMessage | None:
    if isinstance(obj, list):
        msgs = _messages(obj)
        return BodyMessage(code=_first_code(obj), message=_join(msgs), shape="list") if msgs else None
    if not isinstance(obj, Mapping):
        text = _s(obj) if isinstance(obj, str) else None  # a JSON string is a message; a number is not
        return BodyMessage(message=text, shape="text") if text else None

    title, detail, ptype = _get(obj, "title"), _get(obj, "detail"), _get(obj, "type")
    error = _get(obj, "error")
    # RFC 9457 problem details: title + detail (+ type URI)
    if problem or (isinstance(title, str) and ("status" in obj or isinstance(detail, str) or ptype)):
        desc = _s(detail) if isinstance(detail, str) else _join(_messages(detail))
        uri = _s(ptype) if isinstance(ptype, str) and ptype != "about:blank" else None
        code = _s(_get(obj, "code")) or (_s(error) if isinstance(error, str) else None)
        if _s(title) or desc:
            return BodyMessage(code=code, message=_s(title) or desc, description=desc if _s(title) else None,
                               uri=uri, shape="problem")
    # OAuth 2 error response (RFC 6749 §5.2, RFC 6750 §3): error, error_description, error_uri
    if isinstance(error, str) and (_get(obj, "error_description") is not None or _get(obj, "error_uri")
                                   or re.fullmatch(r"[a-z0-9_]+", error.strip())):
        message = _s(_get(obj, "error_description"))
        if message is None:
            other = _get(obj, "message", "msg", "detail")
            message = _s(other) if isinstance(other, str) else _join(_messages(other))
        return BodyMessage(code=_s(error), message=message, uri=_s(_get(obj, "error_uri")), shape="oauth")
    # Google / Azure: {"error": {"code": ..., "message": ..., "status": ...}}
    if isinstance(error, Mapping):
        status = _get(error, "status")
        raw_code = _get(error, "code")
        code = _s(status) if isinstance(status, str) else _s(raw_code)
        message = _s(_get(error, "message")) if isinstance(_get(error, "message"), str) else None
        if message is None:
            message = _join(_messages(error))
        inner = _get(error, "innererror", "details")
        return BodyMessage(code=code, message=message, description=_join(_messages(inner)) if inner else None,
                           shape="error-object")
    # FastAPI / DRF: {"detail": "..."} or {"detail": [{"loc": [...], "msg": "..."}]}
    if detail is not None:
        message = _s(detail) if isinstance(detail, str) else _join(_messages(detail))
        if message:
            return BodyMessage(code=_s(_get(obj, "code")), message=message, shape="detail")
    # GraphQL, JSON:API, Twitter, Atlassian: {"errors": [{"message": ...}, ...]}
    errors = _get(obj, "errors")
    if isinstance(errors, (list, Mapping)):
        msgs = _messages(errors)
        if isinstance(errors, Mapping) and not msgs:  # {"errors": {"field": ["msg", ...]}}
            msgs = [m for v in list(errors.values())[:_MAX_ITEMS] for m in _messages(v)]
        if msgs:
            return BodyMessage(code=_first_code(errors), message=_join(msgs), shape="errors")
    # Flask-JWT-Extended {"msg": ...}; AWS {"message": ...} / {"Message": ...};
    # GitHub {"message", documentation_url}
    for key, shape in (("msg", "msg"), ("message", "message")):
        value = _get(obj, key)
        message = _s(value) if isinstance(value, str) else (_join(_messages(value)) if value else None)
        if message:
            code = _s(error) if isinstance(error, str) else _s(_get(obj, "code", "__type", "type"))
            uri = _s(_get(obj, "documentation_url"))
            return BodyMessage(code=code, message=message, uri=uri, shape=shape)
    # Okta {"errorCode", "errorSummary"}; Atlassian {"errorMessages": [...]}; Google Maps {"status",
    # "error_message"}; WeChat {"errcode", "errmsg"}
    for key in ("errorsummary", "errormessages", "error_message", "errmsg"):
        value = _get(obj, key)
        message = _s(value) if isinstance(value, str) else (_join(_messages(value)) if value else None)
        if message:
            code = _s(_get(obj, "errorcode", "errcode", "status"))
            return BodyMessage(code=code, message=message, shape="message")
    fault = _get(obj, "fault")  # Apigee {"fault": {"faultstring": ..., "detail": {"errorcode": ...}}}
    if isinstance(fault, Mapping) and isinstance(_get(fault, "faultstring"), str):
        detail = _get(fault, "detail")
        code = _s(_get(detail, "errorcode")) if isinstance(detail, Mapping) else None
        return BodyMessage(code=code, message=_s(_get(fault, "faultstring")), shape="fault")
    if isinstance(error, str) and _s(error):  # Spring's {"error": "Unauthorized"}, or a bare sentence
        return BodyMessage(code=None, message=_s(error), shape="error-string")
    description = _get(obj, "error_description", "description", "reason")
    if isinstance(description, str) and _s(description):
        return BodyMessage(message=_s(description), shape="message")
    return None


_XML_CODE_RE = re.compile(r"<Code>([^<]{1,200})</Code>", re.IGNORECASE)
_XML_MSG_RE = re.compile(r"<Message>([^<]{1,2000})</Message>", re.IGNORECASE)
# The opening tag is matched with a bounded attribute run and the closing tag found once from the first
# opening tag: a lazy `(.*?)</title>` rescans to the end from every `<title` (quadratic on "<title>" * n).
_HTML_MESSAGE_TAGS = tuple(
    (re.compile(rf"<{tag}(?:\s[^<>]{{0,500}})?>", re.IGNORECASE), re.compile(rf"</{tag}\s*>", re.IGNORECASE))
    for tag in ("h1", "title")
)
_TAG_RE = re.compile(r"<[^>]+>")


# SOAP 1.1 (faultcode, faultstring) and 1.2 (Code/Value, Subcode/Value, Reason/Text) faults, any prefix
_SOAP_FAULT_RE = re.compile(r"<(?:[\w.-]{1,40}:)?Fault[\s>]")
_SOAP_PARTS = {
    name: re.compile(rf"<(?:[\w.-]{{1,40}}:)?{tag}(?:\s[^<>]{{0,500}})?>\s*([^<]{{1,1000}})<")
    for name, tag in (("faultcode", "faultcode"), ("faultstring", "faultstring"), ("text", "Text"))
}
_SOAP_VALUE_RE = re.compile(
    r"<(?:[\w.-]{1,40}:)?(Code|Subcode)>\s*<(?:[\w.-]{1,40}:)?Value>\s*([^<]{1,200})<"
)


def _soap_fault(text: str) -> BodyMessage | None:
    fault = _SOAP_FAULT_RE.search(text)
    if fault is None:
        return None
    rest = text[fault.start():]
    # Code, then Subcode: the last value found is the most precise
    values = [m.group(2).strip() for m in _SOAP_VALUE_RE.finditer(rest[:20000])]
    found = {name: rx.search(rest) for name, rx in _SOAP_PARTS.items()}
    code = values[-1] if values else (found["faultcode"].group(1) if found["faultcode"] else None)
    reason = found["faultstring"] or found["text"]
    message = _s(html.unescape(reason.group(1))) if reason else None
    return BodyMessage(code=_s(html.unescape(code)) if code else None, message=message, shape="soap")


def _from_markup(text: str, ctype: str) -> BodyMessage | None:
    stripped = text.lstrip()
    if "xml" in ctype or stripped.startswith(("<?xml", "<Error")) or _SOAP_FAULT_RE.search(text[:4096]):
        fault = _soap_fault(text)
        if fault is not None:
            return fault
        code, msg = _XML_CODE_RE.search(text), _XML_MSG_RE.search(text)  # S3, AWS Query APIs
        if code or msg:
            return BodyMessage(code=_s(html.unescape(code.group(1))) if code else None,
                               message=_s(html.unescape(msg.group(1))) if msg else None, shape="xml")
    if "html" in ctype or stripped[:15].lower().startswith(("<!doctype html", "<html")):
        for opening, closing in _HTML_MESSAGE_TAGS:
            m = opening.search(text)
            end = closing.search(text, m.end()) if m else None
            if m and end:
                inner = " ".join(html.unescape(_TAG_RE.sub(" ", text[m.end():end.start()])).split())
                if inner:
                    return BodyMessage(message=_cut(inner), shape="html")
        return None
    return None


def server_message(body: bytes, content_type: str | None) -> BodyMessage | None:
    """The server's message in an error body, or None. Never raises; reads at most PREFIX_BYTES."""
    try:
        return _server_message(body, content_type)
    except Exception:
        return None


def _server_message(body: bytes, content_type: str | None) -> BodyMessage | None:
    if not body:
        return None
    prefix = bytes(body[:PREFIX_BYTES])
    complete = len(body) <= PREFIX_BYTES
    ctype = (content_type or "").split(";")[0].strip().lower()
    text = decode_text(prefix, content_type)
    stripped = text.strip()
    if not stripped:
        return None
    if complete and ("json" in ctype or stripped[0] in "{["):
        try:
            obj = json.loads(stripped)
        except (ValueError, RecursionError):
            obj = None
        if obj is not None:
            return _from_json(obj, problem="problem+json" in ctype)
    if stripped[0] == "<":
        return _from_markup(text, ctype)
    if "json" in ctype or stripped[0] in "{[":
        return None  # broken or truncated JSON: no message to quote
    if ctype and not ctype.startswith("text/") and ctype not in ("application/x-www-form-urlencoded",):
        return None  # binary or unknown types are not messages
    if "\x00" in stripped:
        return None
    if "x-www-form-urlencoded" in ctype or re.fullmatch(r"[\w.-]+=[^\s]*(&[\w.-]+=[^\s]*)*", stripped):
        from urllib.parse import parse_qs

        pairs = parse_qs(stripped)  # old OAuth servers answer form-encoded errors
        if "error" in pairs:
            return BodyMessage(code=_s(pairs["error"][0]),
                               message=_s(pairs.get("error_description", [""])[0]),
                               uri=_s(pairs.get("error_uri", [""])[0]), shape="oauth")
    if len(stripped) > MAX_TEXT:
        return None
    printable = sum(1 for c in stripped if c.isprintable() or c in "\n\t")
    if printable < 0.9 * len(stripped):
        return None
    return BodyMessage(message=" ".join(stripped.split()), shape="text")

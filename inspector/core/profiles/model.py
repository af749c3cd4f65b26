"""The Profile value: one TOML file in a profile folder, parsed and validated, unknown keys kept."""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from inspector.core.errors import FileContentError, ProfileError
from inspector.core.expectations import Expectations
from inspector.core.profiles.secrets import parse_reference
from inspector.core.redact import SECRET_KEYS, looks_secret_name

if TYPE_CHECKING:
    import tomllib

FORMAT = 1  # the format this version writes; older files are migrated on load (see MIGRATIONS)
SUFFIX = ".toml"
FOLDER_KINDS = ("personal", "team")
KINDS = (
    "none",
    "basic",
    "bearer",
    "api-key",
    "digest",
    "oauth2-client-credentials",
    "oauth2-refresh-token",
    "session",
    "cookie",
    "oauth2-authorization-code",
    "oauth2-device-code",
    "oauth2-password",
)
OAUTH_KINDS = tuple(k for k in KINDS if k.startswith("oauth2-"))
SESSION_KINDS = ("session", "cookie")  # kinds whose credential is a cookie in the profile's jar
INTERACTIVE_KINDS = ("oauth2-authorization-code", "oauth2-device-code")  # a person signs in during the send
API_KEY_PLACES = ("header", "query")
CLIENT_AUTH_METHODS = ("body", "basic")
LOGIN_METHODS = ("POST", "GET", "PUT", "PATCH")
TLS_FIELDS = ("client_cert", "client_key", "key_password", "ca_bundle")


@dataclass(frozen=True)
class KindFields:
    """The credential fields a kind needs, may have, and which of them are secrets."""

    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    secret: tuple[str, ...] = ()
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    booleans: tuple[str, ...] = ()  # true / false
    integers: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # name -> (lowest, highest)
    tables: tuple[str, ...] = ()  # tables of texts (a login form's fields, extra authorization parameters)
    endpoints: tuple[str, ...] = ()  # required URLs that OIDC discovery finds when the profile names `issuer`

    @property
    def known(self) -> tuple[str, ...]:
        return self.required + self.optional + self.booleans + tuple(self.integers) + self.tables


KIND_FIELDS: Mapping[str, KindFields] = MappingProxyType(
    {
        "none": KindFields(),
        "basic": KindFields(required=("username", "password"), secret=("password",)),
        "bearer": KindFields(required=("token",), optional=("prefix",), secret=("token",)),
        "api-key": KindFields(
            required=("name", "value"), optional=("in",), secret=("value",), choices={"in": API_KEY_PLACES}
        ),
        "digest": KindFields(required=("username", "password"), secret=("password",)),
        "oauth2-client-credentials": KindFields(
            required=("token_url", "client_id", "client_secret"),
            optional=("issuer", "scope", "audience", "auth"),
            secret=("client_secret",),
            choices={"auth": CLIENT_AUTH_METHODS},
            endpoints=("token_url",),
        ),
        "oauth2-refresh-token": KindFields(
            required=("token_url", "client_id", "refresh_token"),
            optional=("issuer", "client_secret", "scope", "auth"),
            secret=("client_secret", "refresh_token"),
            choices={"auth": CLIENT_AUTH_METHODS},
            endpoints=("token_url",),
        ),
        "session": KindFields(
            required=("login_url",),
            optional=("method", "token_from", "csrf_cookie", "csrf_header", "csrf_field", "session_cookie"),
            choices={"method": LOGIN_METHODS},
            booleans=("prefetch",),
            tables=("form", "json"),
        ),
        "cookie": KindFields(
            required=("name", "value"), optional=("domain", "path"), secret=("value",), booleans=("secure",)
        ),
        "oauth2-authorization-code": KindFields(
            required=("authorization_url", "token_url", "client_id"),
            optional=("issuer", "client_secret", "scope", "audience", "auth"),
            secret=("client_secret",),
            choices={"auth": CLIENT_AUTH_METHODS},
            booleans=("remember",),
            integers={"redirect_port": (0, 65535)},
            tables=("extra_params",),
            endpoints=("authorization_url", "token_url"),
        ),
        "oauth2-device-code": KindFields(
            required=("device_authorization_url", "token_url", "client_id"),
            optional=("issuer", "client_secret", "scope", "audience", "auth"),
            secret=("client_secret",),
            choices={"auth": CLIENT_AUTH_METHODS},
            endpoints=("device_authorization_url", "token_url"),
        ),
        "oauth2-password": KindFields(
            required=("token_url", "client_id", "username", "password"),
            optional=("issuer", "client_secret", "scope", "audience", "auth"),
            secret=("client_secret", "password"),
            choices={"auth": CLIENT_AUTH_METHODS},
            endpoints=("token_url",),
        ),
    }
)
_ALL_SECRET_FIELDS = frozenset(f for spec in KIND_FIELDS.values() for f in spec.secret)

# format N -> a function turning a format-N document into a format-(N+1) one. Empty while FORMAT == 1.
Migration = Callable[[dict[str, Any]], dict[str, Any]]
MIGRATIONS: dict[int, Migration] = {}


class ProfileFileError(ProfileError, FileContentError):
    """A profile file that cannot be used as it is: bad TOML, unknown kind, missing or bad field.

    code: broken-file | unreadable | newer-format | unknown-kind | missing-field | bad-field"""


@dataclass(frozen=True)
class Fingerprint:
    """What a file looked like on disk when it was read, to notice a change made behind our back."""

    mtime_ns: int
    size: int
    sha256: str

    @classmethod
    def of(cls, data: bytes, st: os.stat_result) -> Fingerprint:
        """The fingerprint of a file holding `data` whose stat is `st`."""
        import hashlib  # imported when a file is first read: loading no file (a new user) does not load OpenSSL

        return cls(st.st_mtime_ns, st.st_size, hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class Expect:
    """What the team expects of the token this profile gets (the [expect] table)."""

    audience: str | None = None
    issuer: str | None = None
    scopes: tuple[str, ...] = ()
    leeway_s: float | None = None
    algorithms: tuple[str, ...] = ()
    jwks_url: str | None = None
    key_file: str | None = None


@dataclass(frozen=True)
class TlsSettings:
    """A profile's [tls] table as written: certificate and CA file paths, the key password's reference."""

    client_cert: str | None = None  # PEM; the key may be in the same file
    client_key: str | None = None
    key_password: str | None = None  # a reference, never the value
    ca_bundle: str | None = None  # a CA to trust besides the system's (a private PKI, a corporate proxy)

    def path(self, name: str, folder: Path) -> Path | None:
        """A file field as a path: '~' expanded, a relative path taken from the profile's folder."""
        value = getattr(self, name)
        if not value:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else folder / p

    def as_table(self) -> dict[str, str]:
        return {k: v for k in TLS_FIELDS if (v := getattr(self, k))}


def looks_secret_field(name: str) -> bool:
    """A form, JSON or parameter field named like a secret (password, client_secret, api_key, ...)."""
    return name.lower() in SECRET_KEYS or name.lower() in _ALL_SECRET_FIELDS or looks_secret_name(name)


@dataclass(frozen=True)
class Profile:
    """One saved auth profile. Its identity is its folder plus its file stem, not its name."""

    name: str
    kind: str
    folder: Path
    stem: str
    folder_kind: str = "personal"  # personal | team
    base_url: str | None = None
    notes: str = ""
    credentials: Mapping[str, Any] = field(
        default_factory=dict, hash=False
    )  # values may be ${...} references
    expect: Expect = field(default_factory=Expect)
    document: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)  # the raw TOML
    loaded: Fingerprint | None = field(default=None, compare=False)  # None: never read from disk
    format: int = FORMAT
    tls: TlsSettings | None = None  # the [tls] table: a client certificate, a CA bundle

    @property
    def path(self) -> Path:
        return self.folder / f"{self.stem}{SUFFIX}"

    @property
    def identity(self) -> str:
        """Folder plus file stem, e.g. '/home/me/.config/request-inspector/profiles/github'."""
        return str(self.folder / self.stem)

    @property
    def fields(self) -> KindFields:
        return KIND_FIELDS.get(self.kind, KindFields())

    def credential(self, name: str, default: str | None = None) -> str | None:
        value = self.credentials.get(name, default)
        return value if value is None or isinstance(value, str) else str(value)

    def secret_fields(self) -> tuple[str, ...]:
        """Credential fields that hold secrets: the kind's own, plus unknown keys named like secrets."""
        own = self.fields.secret
        extra = tuple(
            k
            for k in self.credentials
            if k not in own and (k in _ALL_SECRET_FIELDS or k.lower() in SECRET_KEYS)
        )
        return own + extra

    def secret_entries(self) -> tuple[tuple[str, str], ...]:
        """(field path, value as written) of every secret field: the kind's own, the fields of a login form or
        extra parameters that are named like secrets or hold a reference, and tls.key_password."""
        out: list[tuple[str, str]] = []
        for key in self.secret_fields():
            value = self.credentials.get(key)
            if isinstance(value, str):
                out.append((f"credentials.{key}", value))
        for table in self.fields.tables:
            values = self.credentials.get(table)
            if not isinstance(values, Mapping):
                continue
            for key, value in values.items():
                if isinstance(value, str) and (looks_secret_field(str(key)) or value.startswith("${")):
                    out.append((f"credentials.{table}.{key}", value))
        if self.tls is not None and self.tls.key_password:
            out.append(("tls.key_password", self.tls.key_password))
        return tuple(out)

    def expectations(self) -> Expectations:
        """The [expect] table as the explainer's Expectations (a relative key_file is under the folder)."""
        e = self.expect
        key_file = e.key_file
        if key_file:
            p = Path(key_file).expanduser()
            key_file = str(p if p.is_absolute() else self.folder / p)
        api_key_names: tuple[str, ...] = ()
        if self.kind == "api-key" and self.credential("name"):
            api_key_names = (str(self.credential("name")),)
        return Expectations(
            audience=e.audience,
            issuer=e.issuer,
            scopes=e.scopes,
            algorithms=e.algorithms,
            leeway_s=60.0 if e.leeway_s is None else float(e.leeway_s),
            jwks_url=e.jwks_url,
            key_file=key_file,
            api_key_names=api_key_names,
        )

    def to_document(self) -> dict[str, Any]:
        """The TOML document to write: the raw document with the known fields replaced, unknown keys kept."""
        raw = copy.deepcopy(dict(self.document))
        doc: dict[str, Any] = {"format": FORMAT, "name": self.name, "kind": self.kind}
        if self.base_url:
            doc["base_url"] = self.base_url
        if self.notes:
            doc["notes"] = self.notes
        raw_tls = raw.get("tls")
        for key in ("format", "name", "kind", "base_url", "notes", "credentials", "expect", "tls"):
            raw.pop(key, None)
        doc.update(raw)  # unknown top-level keys and tables, in their original order
        creds = {k: copy.deepcopy(v) for k, v in self.credentials.items() if v is not None}
        if creds:
            doc["credentials"] = creds
        tls = {k: v for k, v in raw_tls.items() if k not in TLS_FIELDS} if isinstance(raw_tls, dict) else {}
        tls.update(self.tls.as_table() if self.tls is not None else {})
        if tls:
            doc["tls"] = tls
        raw_expect = self.document.get("expect")
        expect = {k: copy.deepcopy(v) for k, v in raw_expect.items()} if isinstance(raw_expect, dict) else {}
        known = {
            "audience": self.expect.audience,
            "issuer": self.expect.issuer,
            "scopes": list(self.expect.scopes),
            "leeway_s": self.expect.leeway_s,
            "algorithms": list(self.expect.algorithms),
            "jwks_url": self.expect.jwks_url,
            "key_file": self.expect.key_file,
        }
        for key, value in known.items():
            if value is None or value == []:
                expect.pop(key, None)
            elif _same_expect_value(expect.get(key), value):
                pass  # keep the file's own spelling ("a b" vs ["a", "b"], 60 vs 60.0): no diff noise
            else:
                expect[key] = value
        if expect:
            doc["expect"] = expect
        return doc


def _same_expect_value(raw: Any, value: Any) -> bool:
    if isinstance(raw, str) and isinstance(value, list):
        return raw.split() == value
    if isinstance(raw, bool) or isinstance(value, bool):
        return False
    return bool(raw == value)


def new_profile(
    name: str,
    kind: str,
    folder: Path,
    *,
    stem: str | None = None,
    folder_kind: str = "personal",
    credentials: Mapping[str, Any] | None = None,
    base_url: str | None = None,
    notes: str = "",
    expect: Expect | None = None,
    tls: TlsSettings | None = None,
) -> Profile:
    """A profile that is not on disk yet (save it with ProfileStore.save)."""
    return Profile(
        name=name,
        kind=kind,
        folder=Path(folder),
        stem=stem or slug(name),
        folder_kind=folder_kind,
        base_url=base_url,
        notes=notes,
        credentials=dict(credentials or {}),
        expect=expect or Expect(),
        tls=tls,
    )


def slug(name: str) -> str:
    """A file stem for a profile name: lower-case letters, digits and dashes."""
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return s[:80] or "profile"


# --- parsing ------------------------------------------------------------------------------------------------

_TOML_POS_RE = re.compile(r"\(at line (\d+), column (\d+)\)")
_TABLE_RE = re.compile(r"^\s*\[\s*([^\]\s]+)\s*\]")


def toml_error_position(exc: tomllib.TOMLDecodeError) -> tuple[int | None, int | None]:
    """Line and column of a TOML error (attributes on Python 3.14+, the message before)."""
    line = getattr(exc, "lineno", None)
    col = getattr(exc, "colno", None)
    if line is None:
        m = _TOML_POS_RE.search(str(exc))
        if m:
            line, col = int(m.group(1)), int(m.group(2))
    return line, col


def line_of(text: str, table: str | None, key: str | None = None) -> int | None:
    """1-based line of `key` in `table` (None: the top level), or of the table header when key is None."""
    current: str | None = None
    key_re = (
        re.compile(rf"""^\s*(?:"{re.escape(key)}"|'{re.escape(key)}'|{re.escape(key)})\s*=""")
        if key
        else None
    )
    for n, line in enumerate(text.splitlines(), start=1):
        m = _TABLE_RE.match(line)
        if m:
            current = m.group(1).strip("\"'")
            if key is None and current == table:
                return n
            continue
        if key_re is not None and current == table and key_re.match(line):
            return n
    return None


def _where(path: Path, line: int | None) -> str:
    return f"{path}, line {line}" if line else str(path)


def migrate(doc: dict[str, Any], path: Path, text: str = "") -> dict[str, Any]:
    """Bring a document of an older format up to FORMAT; a newer or bad format is a ProfileFileError."""
    fmt = doc.get("format", FORMAT)  # hand-written files may leave it out
    if isinstance(fmt, bool) or not isinstance(fmt, int) or fmt < 1:
        line = line_of(text, None, "format")
        raise ProfileFileError(
            f"{_where(path, line)}: the field 'format' must be a whole number such as {FORMAT}, not {fmt!r}.",
            path=path,
            code="bad-field",
            line=line,
            field="format",
        )
    if fmt > FORMAT:
        line = line_of(text, None, "format")
        raise ProfileFileError(
            f"{_where(path, line)}: this profile has format {fmt}, written by a newer version of Request "
            f"Inspector (this one reads up to format {FORMAT}): update the app to use it.",
            path=path,
            code="newer-format",
            line=line,
            field="format",
        )
    while fmt < FORMAT:
        doc = MIGRATIONS[fmt](doc)
        fmt += 1
        doc["format"] = fmt
    return doc


def parse_profile(
    text: str,
    path: Path,
    *,
    folder_kind: str = "personal",
    loaded: Fingerprint | None = None,
) -> Profile:
    """Parse and validate one profile file's text; ProfileFileError names the path, line and field."""
    import tomllib  # on first use: a window without profile files never reads TOML

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, col = toml_error_position(exc)
        reason = _TOML_POS_RE.sub("", str(exc)).strip()
        at = f", line {line}, column {col}" if line else ""
        raise ProfileFileError(
            f"{path}{at}: this is not valid TOML ({reason}); fix the file in an editor.",
            path=path,
            code="broken-file",
            line=line,
        ) from None
    except RecursionError:  # tomllib recurses per nested array/table: a hostile or corrupt file
        raise ProfileFileError(
            f"{path}: this is not a usable profile (its arrays or tables are nested too deeply to read); "
            "fix the file in an editor.",
            path=path,
            code="broken-file",
        ) from None
    return profile_from_document(doc, path, text=text, folder_kind=folder_kind, loaded=loaded)


def profile_from_document(
    doc: dict[str, Any],
    path: Path,
    *,
    text: str = "",
    folder_kind: str = "personal",
    loaded: Fingerprint | None = None,
) -> Profile:
    """Validate a parsed TOML document (text, when given, is used to find line numbers)."""
    doc = migrate(doc, path, text)

    def fail(code: str, field_name: str, table: str | None, key: str | None, what: str) -> ProfileFileError:
        line = line_of(text, table, key) or (line_of(text, table) if table else None)
        return ProfileFileError(
            f"{_where(path, line)}: {what}", path=path, code=code, line=line, field=field_name
        )

    def text_field(table: str | None, key: str, value: Any, required: bool = False) -> str | None:
        name = f"{table}.{key}" if table else key
        if value is None:
            if required:
                raise fail("missing-field", name, table, None, f"the field '{name}' is missing.")
            return None
        if not isinstance(value, str):
            raise fail("bad-field", name, table, key, f"the field '{name}' must be a text in quotes.")
        return value

    name = text_field(None, "name", doc.get("name"), required=True) or ""
    if not name.strip():
        raise fail("bad-field", "name", None, "name", "the field 'name' is empty: give the profile a name.")
    kind = text_field(None, "kind", doc.get("kind"), required=True) or ""
    if kind not in KINDS:
        raise fail(
            "unknown-kind",
            "kind",
            None,
            "kind",
            f"unknown kind '{kind}' in the field 'kind': use one of {', '.join(KINDS)}.",
        )
    base_url = text_field(None, "base_url", doc.get("base_url"))
    notes = text_field(None, "notes", doc.get("notes")) or ""

    raw_creds = doc.get("credentials", {})
    if not isinstance(raw_creds, dict):
        raise fail("bad-field", "credentials", None, "credentials", "'credentials' must be a table.")
    spec = KIND_FIELDS[kind]
    # `issuer` stands in for the endpoints (OIDC discovery); without it, every endpoint is needed
    issuer = text_field("credentials", "issuer", raw_creds.get("issuer")) if spec.endpoints else None
    discovered = spec.endpoints if issuer and issuer.strip() else ()
    required = tuple(k for k in spec.required if k not in discovered)
    for key in required:
        value = text_field("credentials", key, raw_creds.get(key))
        if value is None or (not value.strip() and key not in spec.secret):
            need = ", ".join(required)
            if spec.endpoints:
                need += f" (or issuer instead of {' and '.join(spec.endpoints)})"
            raise fail(
                "missing-field",
                f"credentials.{key}",
                "credentials",
                key if value is not None else None,
                f"the field 'credentials.{key}' is missing: a profile of kind '{kind}' needs {need}.",
            )
    for key in spec.optional + discovered:
        text_field("credentials", key, raw_creds.get(key))
    _check_kind_fields(kind, spec, raw_creds, fail)
    for key, allowed in spec.choices.items():
        value = raw_creds.get(key)
        if value is not None and value not in allowed:
            raise fail(
                "bad-field",
                f"credentials.{key}",
                "credentials",
                key,
                f"the field 'credentials.{key}' is '{value}': use one of {', '.join(allowed)}.",
            )
    for key, value in raw_creds.items():
        values = value.items() if isinstance(value, dict) else [(None, value)]
        for sub, item in values:
            if isinstance(item, str):
                where = f"credentials.{key}.{sub}" if sub is not None else f"credentials.{key}"
                table = f"credentials.{key}" if sub is not None else "credentials"
                try:
                    parse_reference(item)
                except ProfileError as exc:
                    raise fail("bad-field", where, table, sub if sub is not None else key, str(exc)) from None
    tls = _parse_tls(doc.get("tls"), fail)

    raw_expect = doc.get("expect", {})
    if not isinstance(raw_expect, dict):
        raise fail("bad-field", "expect", None, "expect", "'expect' must be a table.")
    expect = _parse_expect(raw_expect, fail, text_field)

    return Profile(
        name=name,
        kind=kind,
        folder=path.parent,
        stem=path.name[: -len(SUFFIX)] if path.name.endswith(SUFFIX) else path.stem,
        folder_kind=folder_kind,
        base_url=base_url,
        notes=notes,
        credentials=MappingProxyType(copy.deepcopy(raw_creds)),
        expect=expect,
        document=MappingProxyType(doc),
        loaded=loaded,
        format=FORMAT,
        tls=tls,
    )


def _check_kind_fields(
    kind: str, spec: KindFields, raw: dict[str, Any], fail: Callable[..., ProfileFileError]
) -> None:
    """A kind's typed fields (true/false, whole numbers, tables of texts) and the rules between fields."""
    for key in spec.booleans:
        value = raw.get(key)
        if value is not None and not isinstance(value, bool):
            raise fail("bad-field", f"credentials.{key}", "credentials", key,
                       f"the field 'credentials.{key}' must be true or false, not {value!r}.")
    for key, (low, high) in spec.integers.items():
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not low <= value <= high):
            raise fail("bad-field", f"credentials.{key}", "credentials", key,
                       f"the field 'credentials.{key}' must be a whole number from {low} to {high}, "
                       f"not {value!r}.")
    for key in spec.tables:
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise fail("bad-field", f"credentials.{key}", f"credentials.{key}", None,
                       f"'credentials.{key}' must be a table of texts, e.g. [credentials.{key}] with "
                       'lines such as username = "me".')
    if kind == "session":
        if "form" in raw and "json" in raw:
            raise fail("bad-field", "credentials.json", "credentials.json", None,
                       "a session profile sends its login as [credentials.form] or [credentials.json], "
                       "not both: remove one of them.")
        if "form" not in raw and "json" not in raw:
            raise fail("missing-field", "credentials.form", "credentials", None,
                       "a session profile needs the login's fields: add [credentials.form] (a form login) "
                       "or [credentials.json] (a JSON login) with lines such as username = \"me\".")
        token_from = raw.get("token_from")
        if isinstance(token_from, str) and not token_from.startswith("json:/"):
            raise fail("bad-field", "credentials.token_from", "credentials", "token_from",
                       f"the field 'credentials.token_from' is '{token_from}': write json: and a JSON "
                       'pointer into the login response, e.g. "json:/access_token".')
        if bool(raw.get("csrf_cookie")) != bool(raw.get("csrf_header")):
            missing = "csrf_header" if raw.get("csrf_cookie") else "csrf_cookie"
            raise fail("missing-field", f"credentials.{missing}", "credentials", None,
                       "csrf_cookie and csrf_header go together (the cookie whose value is echoed, and the "
                       f"header it goes in): add credentials.{missing}.")
    if kind == "cookie":
        name = raw.get("name")
        if isinstance(name, str) and (not name.strip() or any(c in name for c in ";=, \t")):
            raise fail("bad-field", "credentials.name", "credentials", "name",
                       f"the field 'credentials.name' is '{name}', which is not a cookie name.")
        path = raw.get("path")
        if isinstance(path, str) and not path.startswith("/"):
            raise fail("bad-field", "credentials.path", "credentials", "path",
                       f"the field 'credentials.path' is '{path}': a cookie path starts with /.")


def _parse_tls(raw: Any, fail: Callable[..., ProfileFileError]) -> TlsSettings | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise fail("bad-field", "tls", None, "tls",
                   "'tls' must be a table: [tls] with client_cert = \"...\".")
    values: dict[str, str | None] = {}
    for key in TLS_FIELDS:
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise fail("bad-field", f"tls.{key}", "tls", key,
                       f"the field 'tls.{key}' must be a text in quotes.")
        values[key] = value or None
    if (values["client_key"] or values["key_password"]) and not values["client_cert"]:
        raise fail("missing-field", "tls.client_cert", "tls", None,
                   "[tls] names a client key or key password but no client_cert: add the certificate file.")
    if values["key_password"]:
        try:
            parse_reference(values["key_password"])
        except ProfileError as exc:
            raise fail("bad-field", "tls.key_password", "tls", "key_password", str(exc)) from None
    settings = TlsSettings(**values)
    return settings if settings.as_table() else None


def _parse_expect(
    raw: dict[str, Any], fail: Callable[..., ProfileFileError], text_field: Callable[..., Any]
) -> Expect:
    def str_list(key: str) -> tuple[str, ...]:
        value = raw.get(key)
        if value is None:
            return ()
        if isinstance(value, str):  # "a b c", as in an OAuth scope parameter
            return tuple(value.split())
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise fail(
            "bad-field",
            f"expect.{key}",
            "expect",
            key,
            f'the field \'expect.{key}\' must be a list of texts such as ["a", "b"].',
        )

    leeway = raw.get("leeway_s")
    if leeway is not None and (isinstance(leeway, bool) or not isinstance(leeway, int | float) or leeway < 0):
        raise fail(
            "bad-field",
            "expect.leeway_s",
            "expect",
            "leeway_s",
            f"the field 'expect.leeway_s' must be a number of seconds of 0 or more, not {leeway!r}.",
        )
    return Expect(
        audience=text_field("expect", "audience", raw.get("audience")),
        issuer=text_field("expect", "issuer", raw.get("issuer")),
        scopes=str_list("scopes"),
        leeway_s=None if leeway is None else float(leeway),
        algorithms=str_list("algorithms"),
        jwks_url=text_field("expect", "jwks_url", raw.get("jwks_url")),
        key_file=text_field("expect", "key_file", raw.get("key_file")),
    )

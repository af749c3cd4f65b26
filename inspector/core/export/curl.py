"""curl in and out: a RequestSpec or a sent Hop as a curl command, a pasted curl command as a RequestSpec."""

from __future__ import annotations

import base64
import json
import re
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

from inspector.core import redact
from inspector.core.bodies import body_text
from inspector.core.errors import ExportError, RequestError
from inspector.core.exchange import Exchange, Hop
from inspector.core.request import (
    CONTENT_TYPE_FOR_KIND,
    DEFAULT_TIMEOUT_S,
    Body,
    FormField,
    Header,
    RequestSpec,
    parse_header_line,
    shown_header_line,
    shown_url,
    shown_word,
    validate_url,
)

__all__ = ["CurlFilesNeeded", "CurlImport", "parse_curl", "to_curl"]


@dataclass(frozen=True)
class CurlImport:
    """A pasted curl command as a RequestSpec, with what could not be carried over said in words."""

    spec: RequestSpec
    warnings: tuple[str, ...] = ()  # options that change the request but were not applied
    notes: tuple[str, ...] = ()  # options that only change curl's own output, ignored on purpose


class CurlFilesNeeded(ExportError):
    """The command reads local files (-d @file, -H @file, -F name=<file, --data-urlencode name@file).

    A pasted command is someone else's text: `-d @~/.ssh/id_rsa` would put a private key in the body. The
    caller shows `paths` and parses again with read_files=True once the user agrees.
    """

    def __init__(self, paths: tuple[tuple[str, Path], ...]) -> None:
        self.paths = paths
        listed = ", ".join(f"{path} (for {option})" for option, path in paths)
        super().__init__(f"The curl command reads local files: {listed}. Confirm before they are read.")


# --- curl out ----------------------------------------------------------------------------------------------

_SKIP_HOP_HEADERS = frozenset({"content-length", "host", "connection"})


def curl_command(
    source: RequestSpec | Hop,
    include_secrets: bool = False,
    extra_secret_names: Iterable[str] = (),
    *,
    redactor: redact.Redactor | None = None,
    seen: tuple[Exchange, Sequence[str]] | None = None,
) -> tuple[redact.Redactor | None, str]:
    """to_curl, and the redactor it scrubbed with: given `seen` (an exchange and secret values it was sent
    with), one made of the exchange's seen values and those, instead of `redactor` (the caller keeps it for
    its next command: gathering them reads the exchange's bodies)."""
    if seen is not None:
        exchange, values = seen
        redactor = redact.exchange_redactor(exchange, extra_names=tuple(extra_secret_names))
        for secret in values:
            redactor.add(secret)
    return redactor, to_curl(source, include_secrets, extra_secret_names, redactor=redactor)


def to_curl(
    source: RequestSpec | Hop,
    include_secrets: bool = False,
    extra_secret_names: Iterable[str] = (),
    *,
    redactor: redact.Redactor | None = None,
) -> str:
    """A curl command for a composed request or a hop as it was sent; credentials masked unless asked for."""
    extra = tuple(extra_secret_names)

    def clean(text: str) -> str:
        return text if include_secrets or redactor is None else redactor.scrub(text)

    def url_of(url: str) -> str:
        return clean(url if include_secrets else redact.mask_url(url, extra))

    def header_arg(name: str, value: str) -> str:
        if not include_secrets:
            value = redact.mask_header_value(name, value, extra)
        return clean(f"{name}: {value}" if value else f"{name};")

    def body_of(text: str, content_type: str | None) -> str:
        return clean(text if include_secrets else redact.mask_body_text(text, content_type, extra))

    if isinstance(source, Hop):
        lines = _hop_lines(source, url_of, header_arg, body_of)
    else:
        lines = _spec_lines(source, url_of, header_arg, body_of, clean, include_secrets, extra)
    return " \\\n  ".join(" ".join(shlex.quote(w) if i else w for i, w in enumerate(line)) for line in lines)


def _method_words(method: str, has_body: bool) -> list[str]:
    method = method.upper()
    if method == "HEAD":
        return ["--head"]  # -X HEAD makes curl wait for a body that never comes
    if (method == "GET" and not has_body) or (method == "POST" and has_body):
        return []
    return ["-X", method]


_Text = Callable[[str], str]


def _spec_lines(
    spec: RequestSpec,
    url_of: _Text,
    header_arg: Callable[[str, str], str],
    body_of: Callable[[str, str | None], str],
    clean: _Text,
    include_secrets: bool,
    extra: tuple[str, ...],
) -> list[list[str]]:
    body_words: list[list[str]] = []
    body = spec.body
    if body.kind in ("json", "text") and body.text:
        body_words.append(["--data-raw", body_of(body.text, _content_type(spec))])
    elif body.kind == "form":
        for f in body.fields:
            if f.enabled:
                secret = not include_secrets and redact.is_secret_param(f.name, extra)
                body_words.append(
                    ["--data-urlencode", clean(f"{f.name}={redact.mask(f.value) if secret else f.value}")]
                )
    elif body.kind == "multipart":
        for f in body.fields:
            if not f.enabled:
                continue
            if f.is_file:
                body_words.append(["-F", f"{f.name}=@{f.value}"])
                continue
            secret = not include_secrets and redact.is_secret_param(f.name, extra)
            value = redact.mask(f.value) if secret else f.value
            # -F reads a leading @ or <, surrounding quotes and a ;type= suffix; --form-string takes it as is
            literal = (
                value.startswith(("@", "<"))
                or value[:1] == value[-1:] == '"'
                or _FORM_TYPE_SUFFIX_RE.search(value)
            )
            flag = "--form-string" if literal else "-F"
            body_words.append([flag, clean(f"{f.name}={value}")])
    lines: list[list[str]] = [["curl", *_method_words(spec.method, bool(body_words)), url_of(spec.url)]]
    for name, value in spec.enabled_headers():
        lines.append(["-H", header_arg(name, value)])
    if spec.header("Content-Type") is None and body.kind in ("json", "text") and body.text:
        lines.append(["-H", f"Content-Type: {CONTENT_TYPE_FOR_KIND[body.kind]}"])
    lines.extend(body_words)
    if spec.follow_redirects:
        lines.append(["-L"])
    if not spec.verify_tls:
        lines.append(["-k"])
    if spec.timeout_s != DEFAULT_TIMEOUT_S:
        lines.append(["--max-time", f"{spec.timeout_s:g}"])
    return lines


def _content_type(spec: RequestSpec) -> str | None:
    return spec.header("Content-Type") or CONTENT_TYPE_FOR_KIND.get(spec.body.kind)


def _hop_lines(
    hop: Hop, url_of: _Text, header_arg: Callable[[str, str], str], body_of: Callable[[str, str | None], str]
) -> list[list[str]]:
    text = body_text(hop.sent_body, hop.sent_header("Content-Type"), exact=True)
    if text is None:
        # not text: the bytes survive a latin-1 round trip, which is the best a shell word can hold
        text = hop.sent_body.decode("latin-1")
    lines: list[list[str]] = [["curl", *_method_words(hop.method, bool(text)), url_of(hop.url)]]
    host = urlsplit(hop.url).netloc.lower()
    compressed = False
    for name, value in hop.sent_headers:
        low = name.lower()
        if low.startswith(":") or (low in _SKIP_HOP_HEADERS and (low != "host" or value.lower() == host)):
            continue
        if low == "accept-encoding":
            compressed = True  # curl decodes what it asked for itself only with --compressed
            continue
        lines.append(["-H", header_arg(name, value)])
    if text:
        lines.append(["--data-binary", body_of(text, hop.sent_header("Content-Type"))])
    if compressed:
        lines.append(["--compressed"])
    return lines


# --- curl in -----------------------------------------------------------------------------------------------

# canonical name, takes an argument
_OPTIONS: dict[str, tuple[str, bool]] = {}


def _opt(names: str, key: str, takes_arg: bool) -> None:
    for name in names.split():
        _OPTIONS[name] = (key, takes_arg)


_opt("-X --request", "request", True)
_opt("--url", "url", True)
_opt("-H --header", "header", True)
_opt("-d --data --data-ascii", "data", True)
_opt("--data-raw", "data-raw", True)
_opt("--data-binary", "data-binary", True)
_opt("--data-urlencode", "data-urlencode", True)
_opt("--json", "json", True)
_opt("-u --user", "user", True)
_opt("-F --form", "form", True)
_opt("--form-string", "form-string", True)
_opt("-k --insecure", "insecure", False)
_opt("-L --location --location-trusted", "location", False)
_opt("-G --get", "get", False)
_opt("-I --head", "head", False)
_opt("-b --cookie", "cookie", True)
_opt("-A --user-agent", "user-agent", True)
_opt("-e --referer", "referer", True)
_opt("-m --max-time", "max-time", True)
_opt("--oauth2-bearer", "oauth2-bearer", True)
_opt("-r --range", "range", True)
_opt("--basic", "basic", False)
_opt("--digest --ntlm --negotiate --anyauth", "other-auth", False)
# curl's own output and behaviour, nothing to do with what is sent
_opt(
    "--compressed -s --silent -S --show-error -v --verbose -i --include -f --fail --fail-with-body -N "
    "--no-buffer --http1.1 --http2 --http2-prior-knowledge --http3 -# --progress-bar -g --globoff "
    "--no-progress-meter --path-as-is -4 --ipv4 -6 --ipv6 -q --disable --tr-encoding --raw --no-keepalive "
    "--ssl-no-revoke -l --list-only --styled-output --no-styled-output -O --remote-name -J "
    "--remote-header-name --create-dirs --remote-name-all -R --remote-time --xattr --no-clobber "
    "--remove-on-error --fail-early --retry-connrefused --retry-all-errors -Z --parallel "
    "--parallel-immediate --progress-meter --no-sessionid --no-alpn --no-npn --tcp-nodelay --tcp-fastopen "
    "--trace-time --suppress-connect-headers --show-headers",
    "note",
    False,
)
_opt(
    "-o --output -w --write-out --retry --retry-delay --retry-max-time -c --cookie-jar --limit-rate -D "
    "--dump-header --stderr --trace --trace-ascii --max-redirs --connect-timeout --expect100-timeout "
    "--keepalive-time -Y --speed-limit -y --speed-time --output-dir --parallel-max --trace-config --rate "
    "--max-filesize --happy-eyeballs-timeout-ms",
    "note-arg",
    True,
)
# change what is sent or how, and cannot be carried into a RequestSpec
_opt(
    "-x --proxy -U --proxy-user --cacert --capath --cert -E --key --cert-type --key-type --pass --resolve "
    "--connect-to --interface -T --upload-file -K --config --proto --proto-redir --proxy-header --aws-sigv4 "
    "-z --time-cond --unix-socket --abstract-unix-socket --dns-servers --doh-url --local-port --tls-max "
    "--ciphers --pinnedpubkey --crlfile --request-target --socks5 --socks5-hostname --noproxy",
    "warn-arg",
    True,
)
_opt(
    "-n --netrc --netrc-optional -j --junk-session-cookies -0 --http1.0 --proxy-insecure -1 --tlsv1 --sslv3 "
    "--tlsv1.0 --tlsv1.1 --tlsv1.2 --tlsv1.3 -p --proxytunnel --post301 --post302 --post303 "
    "--ignore-content-length",
    "warn",
    False,
)

_SHELL_OPERATORS = frozenset({"|", "||", "&&", ";", ">", ">>", "2>", "2>&1", "&", "<"})
_CURL_WORD_RE = re.compile(r"^(?:.*[/\\])?curl(?:\.exe)?$", re.IGNORECASE)
_LOOKS_LIKE_URL_RE = re.compile(
    r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|localhost\b|[\w.-]+\.[a-zA-Z]{2,}\b|\d+\.\d+\.)"
)
_FORM_NAME_RE = re.compile(r"^[\w.\-\[\]%+~:]+$")
_FORM_TYPE_SUFFIX_RE = re.compile(r";\s*type=[\w!#$&^.+-]+/[\w!#$&^.+-]+\s*$", re.IGNORECASE)


def parse_curl(text: str, *, base_dir: Path | None = None, read_files: bool = False) -> CurlImport:
    """A pasted curl command (bash, zsh or Windows cmd style) as a RequestSpec plus what was not carried over.

    Files named with @file are read relative to base_dir (default: the working folder), and only with
    read_files=True: otherwise CurlFilesNeeded lists them so the caller can ask first.
    """
    if not text.strip():
        raise ExportError(
            "The curl command is empty: paste a command such as curl https://api.example.com/items."
        )
    words = _split(text)
    if words and _CURL_WORD_RE.match(words[0]):
        words = words[1:]
    elif words and len(words) > 1 and not words[0].startswith("-") and "://" not in words[0]:
        # "wget URL", "http GET URL": another tool's command would otherwise become a request to host "wget"
        raise ExportError(
            f"This is not a curl command: it starts with '{words[0]}'. Paste a command that starts with curl."
        )
    return _Parser(words, base_dir or Path.cwd(), read_files).run()


def _split(text: str) -> list[str]:
    """Shell words, after joining continuation lines and decoding $'...' strings; stops at a pipe or ';'."""
    text = text.strip()
    if re.search(r"\^\r?\n", text) or re.search(r'(?:^|\s)\^"', text):
        text = _from_cmd(text)
    prepared = _prepare_posix(text)
    try:
        words = _shell_words(prepared)
    except ValueError as exc:
        raise ExportError(
            f"The curl command cannot be read as shell words: {exc} (check its quotes)."
        ) from None
    for i, word in enumerate(words):
        if word in _SHELL_OPERATORS:
            return words[:i]
    return words


def _shell_words(text: str) -> list[str]:
    """POSIX shell words, as shlex.split(text) gives them, in linear time.

    shlex grows each word one character at a time (quadratic on a pasted 1 MB -d payload).
    """
    words: list[str] = []
    word: list[str] = []
    in_word = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
            i += 1
        elif c == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise ValueError("No closing quotation")
            word.append(text[i + 1 : end])
            in_word, i = True, end + 1
        elif c == '"':
            i += 1
            while True:
                j = _DQUOTE_STOP.search(text, i)
                if j is None:
                    raise ValueError("No closing quotation")
                word.append(text[i : j.start()])
                i = j.start()
                if text[i] == '"':
                    i += 1
                    break
                if i + 1 >= n:
                    raise ValueError("No escaped character")
                nxt = text[i + 1]
                word.append(nxt if nxt in '"\\' else "\\" + nxt)
                i += 2
            in_word = True
        elif c == "\\":
            if i + 1 >= n:
                raise ValueError("No escaped character")
            word.append(text[i + 1])
            in_word, i = True, i + 2
        else:
            j = _PLAIN_RUN.match(text, i)
            assert j is not None  # c itself is neither a space, a quote nor a backslash
            word.append(j.group())
            in_word, i = True, j.end()
    if in_word:
        words.append("".join(word))
    return words


_DQUOTE_STOP = re.compile(r'["\\]')
_PLAIN_RUN = re.compile(r"""[^\s'"\\]+""")
_CONTINUATION = re.compile(r"\\[ \t]*\r?\n")


def _from_cmd(text: str) -> str:
    """Windows cmd.exe style (Chrome's 'Copy as cURL (cmd)'): ^ escapes and line ends, double quotes."""
    text = re.sub(r"\^\r?\n", " ", text)
    text = re.sub(r"\^(.)", r"\1", text)
    return text


def _prepare_posix(text: str) -> str:
    """Join backslash-newline continuations and turn $'...' (ANSI-C quoting) into plain single quotes."""
    out: list[str] = []
    i, n = 0, len(text)
    quote_char: str | None = None
    while i < n:
        c = text[i]
        if quote_char == "'":
            out.append(c)
            if c == "'":
                quote_char = None
            i += 1
            continue
        if c == "\\":
            m = _CONTINUATION.match(text, i)
            if m:  # a line continuation; trailing blanks after the backslash are a common paste accident
                out.append(" " if quote_char is None else "")
                i = m.end()
                continue
            out.append(text[i : i + 2])
            i += 2
            continue
        if quote_char == '"':
            out.append(c)
            if c == '"':
                quote_char = None
            i += 1
            continue
        if c == "$" and text.startswith("$'", i):
            decoded, i = _ansi_c(text, i + 2)
            out.append(shlex.quote(decoded))
            continue
        if c in "'\"":
            quote_char = c
        out.append(c)
        i += 1
    return "".join(out)


_SIMPLE_ESCAPES = {
    "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    "\\": "\\", "'": "'", '"': '"', "?": "?",
}  # fmt: skip


def _ansi_c(text: str, i: int) -> tuple[str, int]:
    """Decode a $'...' body starting at i; returns the text and the index after the closing quote."""
    buf = bytearray()
    n = len(text)
    while i < n:
        c = text[i]
        if c == "'":
            return buf.decode("utf-8", errors="replace"), i + 1
        if c != "\\" or i + 1 >= n:
            buf += c.encode("utf-8")
            i += 1
            continue
        e = text[i + 1]
        i += 2
        if e in _SIMPLE_ESCAPES:
            buf += _SIMPLE_ESCAPES[e].encode("utf-8")
        elif e == "x":
            m = re.match(r"[0-9a-fA-F]{1,2}", text[i:])
            if m:
                buf.append(int(m.group(), 16))
                i += m.end()
            else:
                buf += b"\\x"
        elif e in "uU":
            m = re.match(r"[0-9a-fA-F]{1,4}" if e == "u" else r"[0-9a-fA-F]{1,8}", text[i:])
            if m:
                buf += chr(int(m.group(), 16)).encode("utf-8", errors="replace")
                i += m.end()
            else:
                buf += b"\\" + e.encode()
        elif e in "01234567":
            m = re.match(r"[0-7]{0,2}", text[i:])
            buf.append(int(e + (m.group() if m else ""), 8) & 0xFF)
            i += m.end() if m else 0
        elif e == "c" and i < n:
            buf.append(ord(text[i]) & 0x1F)
            i += 1
        else:
            buf += ("\\" + e).encode("utf-8")
    raise ExportError("The curl command has a $'...' string that is never closed: add the closing quote.")


class _Parser:
    def __init__(self, words: list[str], base_dir: Path, read_files: bool = False) -> None:
        self.words = words
        self.base_dir = base_dir
        self.read_files = read_files
        self.files_needed: list[tuple[str, Path]] = []
        self.warnings: list[str] = []
        self.notes: list[str] = []
        self.urls: list[str] = []
        self.method: str | None = None
        self.headers: list[Header] = []
        self.data: list[str] = []  # -d family parts, already as curl would send them
        self.json_parts: list[str] = []
        self.form: list[FormField] = []
        self.user: str | None = None
        self.cookies: list[str] = []
        self.user_agent: str | None = None
        self.referer: str | None = None
        self.bearer: str | None = None
        self.range: str | None = None
        self.insecure = False
        self.location = False
        self.get = False
        self.head = False
        self.other_auth: str | None = None
        self.timeout = DEFAULT_TIMEOUT_S

    # the loop over words ----------------------------------------------------------------------------------
    def run(self) -> CurlImport:
        words = self.words
        i = 0
        pending_unknown: str | None = None
        while i < len(words):
            word = words[i]
            i += 1
            if word == "--":
                self.urls.extend(words[i:])
                break
            if word.startswith("--") and len(word) > 2:
                name, eq, inline = word.partition("=")
                known = _OPTIONS.get(name)
                if known is None:
                    self.warnings.append(f"The option {name} is not understood and was not applied.")
                    pending_unknown = name
                    continue
                key, takes_arg = known
                if takes_arg:
                    if eq:
                        value = inline
                    else:
                        value = self._arg(name, i)
                        i += 1
                    self._apply(key, name, value)
                else:
                    self._apply(key, name, None)
                pending_unknown = None
                continue
            if word.startswith("-") and len(word) > 1:
                i = self._short_cluster(word, i)
                pending_unknown = None
                continue
            if pending_unknown is not None and (self.urls or not _LOOKS_LIKE_URL_RE.match(word)):
                # most likely the value of the option we did not understand
                self.warnings[-1] = (
                    f"The option {pending_unknown} {_shown_value(pending_unknown, word)} is not understood "
                    "and was not applied."
                )
                pending_unknown = None
                continue
            pending_unknown = None
            self.urls.append(word)
        if self.files_needed:
            raise CurlFilesNeeded(tuple(self.files_needed))
        return self._build()

    def _arg(self, name: str, i: int) -> str:
        if i >= len(self.words):
            raise ExportError(f"The option {name} at the end of the curl command needs a value after it.")
        return self.words[i]

    def _short_cluster(self, word: str, i: int) -> int:
        letters = word[1:]
        for pos, letter in enumerate(letters):
            name = "-" + letter
            known = _OPTIONS.get(name)
            if known is None:
                self.warnings.append(f"The option {name} is not understood and was not applied.")
                continue
            key, takes_arg = known
            if takes_arg:
                rest = letters[pos + 1 :]
                if rest:
                    self._apply(key, name, rest)
                else:
                    self._apply(key, name, self._arg(name, i))
                    i += 1
                return i
            self._apply(key, name, None)
        return i

    # one option ---------------------------------------------------------------------------------------------
    def _apply(self, key: str, name: str, value: str | None) -> None:
        v = value or ""
        if key == "request":
            self.method = v.upper()
        elif key == "url":
            self.urls.append(v)
        elif key == "header":
            self._header(name, v)
        elif key == "data":
            self.data.append(self._data_at_file(name, v, strip_newlines=True))
        elif key == "data-raw":
            self.data.append(v)
        elif key == "data-binary":
            self.data.append(self._data_at_file(name, v, strip_newlines=False))
        elif key == "data-urlencode":
            self.data.append(self._urlencode(v))
        elif key == "json":
            self.json_parts.append(self._data_at_file(name, v, strip_newlines=False))
        elif key in ("form", "form-string"):
            self.form.append(self._form_field(name, v, literal=key == "form-string"))
        elif key == "user":
            self.user = v
        elif key == "cookie":
            if "=" in v:
                self.cookies.append(v.strip().rstrip(";"))
            else:
                self.warnings.append(
                    f"{name} {v} reads cookies from a file, which was not loaded: "
                    "add a Cookie header instead."
                )
        elif key == "user-agent":
            self.user_agent = v
        elif key == "referer":
            self.referer = v.removesuffix(";auto")
        elif key == "max-time":
            try:
                self.timeout = float(v)
            except ValueError:
                raise ExportError(f"The option {name} needs a number of seconds, not '{v}'.") from None
            if not self.timeout > 0:
                raise ExportError(f"The option {name} needs a number of seconds above 0, not '{v}'.")
        elif key == "oauth2-bearer":
            self.bearer = v
        elif key == "range":
            self.range = v
        elif key == "insecure":
            self.insecure = True
        elif key == "location":
            self.location = True
        elif key == "get":
            self.get = True
        elif key == "head":
            self.head = True
        elif key == "basic":
            pass  # curl's default for -u
        elif key == "other-auth":
            self.other_auth = name
        elif key == "note":
            self.notes.append(f"{name} only changes curl's own output and was ignored.")
        elif key == "note-arg":
            self.notes.append(f"{name} {v} only changes curl's own behaviour and was ignored.")
        elif key == "warn-arg":
            self.warnings.append(
                f"The option {name} {_shown_value(name, v)} was not applied: the app has no equivalent."
            )
        elif key == "warn":
            self.warnings.append(f"The option {name} was not applied: the app has no equivalent.")

    def _header(self, name: str, value: str) -> None:
        if value.startswith("@"):
            for line in self._read(name, value[1:]).decode("utf-8", errors="replace").splitlines():
                if line.strip():
                    self._header(name, line)
            return
        stripped = value.strip()
        if stripped.endswith(";") and ":" not in stripped:
            self.headers.append(Header(stripped[:-1].strip(), ""))  # curl's way to send an empty header
            return
        head, sep, rest = stripped.partition(":")
        if sep and not rest.strip() and head.strip():
            self.notes.append(f"{name} '{stripped}' only stops curl sending its own {head.strip()} header.")
            return
        try:
            self.headers.append(parse_header_line(value))
        except RequestError as exc:
            shown = shown_header_line(value)
            raise ExportError(f"The header {name} '{shown}' cannot be used: {exc}") from None

    def _read(self, name: str, path_text: str) -> bytes:
        if path_text == "-":
            raise ExportError(
                f"The option {name} @- reads standard input, which a pasted command cannot supply."
            )
        if "\x00" in path_text:  # no file system holds such a name (pathlib would raise ValueError)
            raise ExportError(
                f"The file name after {name} @ contains a NUL character, so no file can be read: "
                "check the pasted command."
            )
        path = Path(path_text).expanduser()
        if not path.is_absolute():
            path = self.base_dir / path
        if not self.read_files:
            self.files_needed.append((name, path))
            return b""
        try:
            return path.read_bytes()
        except OSError as exc:
            raise ExportError(
                f"The file '{path}' named by {name} cannot be read ({exc.strerror or exc}): "
                "put the content in the command instead."
            ) from None

    def _data_at_file(self, name: str, value: str, strip_newlines: bool) -> str:
        if not value.startswith("@"):
            return value
        text = self._read(name, value[1:]).decode("utf-8", errors="replace")
        return text.replace("\r", "").replace("\n", "") if strip_newlines else text

    def _urlencode(self, value: str) -> str:
        """What curl sends for one --data-urlencode value.

        The value is one of: content, =content, name=content, @file, name@file.
        """
        eq, at = value.find("="), value.find("@")
        if eq >= 0 and (at < 0 or eq < at):
            name, content = value[:eq], value[eq + 1 :]
        elif at >= 0:
            name = value[:at]
            content = self._read("--data-urlencode", value[at + 1 :]).decode("utf-8", errors="replace")
        else:
            name, content = "", value
        encoded = quote(content, safe="")
        return f"{name}={encoded}" if name else encoded

    def _form_field(self, name: str, value: str, literal: bool) -> FormField:
        field_name, sep, content = value.partition("=")
        if not sep or not field_name:
            raise ExportError(
                f"The {name} value '{_shown_value(name, value)}' has no name: "
                "write it as name=value or name=@file."
            )
        if literal:
            return FormField(field_name, content)
        if content.startswith("@"):
            path, _, options = content[1:].partition(";")
            path = path.strip('"')
            if options:
                self.warnings.append(f"The '{options}' part of {name} {field_name}=@{path} was not applied.")
            resolved = Path(path).expanduser()
            if not (resolved if resolved.is_absolute() else self.base_dir / resolved).is_file():
                self.warnings.append(
                    f"The file '{path}' for form field '{field_name}' does not exist here: "
                    "pick the file again before sending."
                )
            return FormField(field_name, path, is_file=True)
        if content.startswith("<"):
            path = content[1:].partition(";")[0]
            return FormField(field_name, self._read(name, path).decode("utf-8", errors="replace"))
        m = _FORM_TYPE_SUFFIX_RE.search(content)
        if m:
            self.warnings.append(
                f"The '{m.group().strip(' ;')}' of form field '{field_name}' was not applied."
            )
            content = content[: m.start()]
        if len(content) >= 2 and content[0] == content[-1] == '"':
            # curl's -F reads a double-quoted value as the text inside (Postman writes them this way)
            content = content[1:-1].replace('\\"', '"')
        return FormField(field_name, content)

    # the spec -----------------------------------------------------------------------------------------------
    def _build(self) -> CurlImport:
        if not self.urls:
            raise ExportError(
                "The curl command has no URL: add one, for example curl https://api.example.com/items."
            )
        url = self.urls[0]
        for extra_url in self.urls[1:]:
            self.warnings.append(
                f"curl would also request '{shown_url(extra_url)}'; only the first URL was imported."
            )
        if "://" not in url:
            self.notes.append(
                f"The URL '{shown_url(url)}' has no scheme; curl assumes http://, and so does the import."
            )
            url = "http://" + url
        try:
            validate_url(url)
        except RequestError as exc:
            raise ExportError(f"The URL in the curl command cannot be used: {exc}") from None
        if self.form and (self.data or self.json_parts):
            raise ExportError(
                "The curl command mixes -F (multipart) with -d/--json data: curl refuses that too; keep one."
            )

        headers = list(self.headers)
        names = {h.name.lower() for h in headers}

        def add(name: str, value: str) -> None:
            if name.lower() not in names:
                headers.append(Header(name, value))
                names.add(name.lower())

        if self.user is not None:
            self._user_header(add, names)
        if self.bearer is not None:
            add("Authorization", f"Bearer {self.bearer}")
        if self.cookies:
            add("Cookie", "; ".join(self.cookies))
        if self.user_agent is not None:
            add("User-Agent", self.user_agent)
        if self.referer is not None:
            add("Referer", self.referer)
        if self.range is not None:
            add("Range", f"bytes={self.range}")

        body = Body()
        has_body = bool(self.data or self.json_parts or self.form)
        if self.get and (self.data or self.json_parts):
            query = "&".join(self.data + self.json_parts)
            url = f"{url}{'&' if urlsplit(url).query else '?'}{query}" if query else url
            has_body = False
        elif self.json_parts:
            # curl joins repeated --json pieces with nothing in between, and sends both JSON headers
            add("Accept", "application/json")
            text = "&".join([*self.data, "".join(self.json_parts)])
            if not _is_json(text):
                add("Content-Type", "application/json")
                self.warnings.append("The --json data is not valid JSON; it was imported as text.")
            body, headers = self._data_body(text, headers, default_type="application/json")
        elif self.form:
            body = Body("multipart", fields=tuple(self.form))
        elif self.data:
            body, headers = self._data_body("&".join(self.data), headers)

        method = self.method or ("HEAD" if self.head else "POST" if has_body else "GET")
        spec = RequestSpec(
            method=method,
            url=url,
            headers=tuple(headers),
            body=body,
            timeout_s=self.timeout,
            follow_redirects=self.location,
            verify_tls=not self.insecure,
        )
        return CurlImport(spec, tuple(self.warnings), tuple(self.notes))

    def _user_header(self, add: Callable[[str, str], None], names: set[str]) -> None:
        assert self.user is not None
        if self.other_auth is not None:
            self.warnings.append(
                f"{self.other_auth} credentials from -u were not applied: use a profile of that kind instead."
            )
            return
        if "authorization" in names:
            self.notes.append(
                "-u was ignored: the command also sets its own Authorization header, as curl does."
            )
            return
        if ":" not in self.user:
            self.warnings.append(
                f"-u '{shown_word(self.user)}' has no password (curl would ask for one): "
                "the password was left empty."
            )
        user = self.user if ":" in self.user else self.user + ":"
        add("Authorization", "Basic " + base64.b64encode(user.encode("utf-8")).decode("ascii"))

    def _data_body(
        self, text: str, headers: list[Header], default_type: str = "application/x-www-form-urlencoded"
    ) -> tuple[Body, list[Header]]:
        """The body kind that sends what curl would send for this data (curl's default type if none set)."""
        ctype_header = next((h for h in reversed(headers) if h.name.lower() == "content-type"), None)
        ctype = (ctype_header.value if ctype_header else default_type).lower()

        def without(kind: str) -> list[Header]:
            # the kind already sends exactly this Content-Type; two sources for one header would drift apart
            if ctype_header is not None and ctype_header.value.strip().lower() == CONTENT_TYPE_FOR_KIND[kind]:
                return [h for h in headers if h is not ctype_header]
            return headers

        if "json" in ctype and _is_json(text):
            return Body("json", text=text), without("json")
        if "x-www-form-urlencoded" in ctype and _is_form(text):
            fields = tuple(FormField(k, v) for k, v in parse_qsl(text, keep_blank_values=True))
            return Body("form", fields=fields), without("form")
        if ctype_header is None:
            headers = [*headers, Header("Content-Type", default_type)]
            if _is_json(text):
                self.warnings.append(
                    "The data is JSON but the command sets no Content-Type, so curl sends it as "
                    "application/x-www-form-urlencoded; add -H 'Content-Type: application/json' if the API "
                    "expects JSON."
                )
        if ctype_header is not None and ctype_header.value.strip().lower() == CONTENT_TYPE_FOR_KIND["text"]:
            headers = without("text")
        return Body("text", text=text), headers


# Options whose value is a credential, or a header line, quoted in a warning only masked.
_SECRET_VALUE_OPTIONS = frozenset({"-u", "--user", "-U", "--proxy-user", "--pass", "--oauth2-bearer"})
_HEADER_VALUE_OPTIONS = frozenset({"-H", "--header", "--proxy-header"})


def _shown_value(option: str, value: str) -> str:
    """An option's value as a warning may quote it: credentials masked, paths and numbers as typed."""
    if option in _SECRET_VALUE_OPTIONS or redact.looks_secret_name(option.lstrip("-")):
        return redact.mask(value)
    if option in _HEADER_VALUE_OPTIONS:
        return shown_header_line(value)
    if "://" in value or "@" in value:  # -x http://user:pass@proxy:3128
        return shown_url(value)
    if "=" in value:  # -F name=value, --form-string, an unknown option's key=value
        field, _, content = value.partition("=")
        return f"{field}={redact.mask(content)}" if redact.is_secret_param(field) else value
    # a long word without a separator is as likely a key as anything else: show only its start
    return redact.mask(value) if len(value) > 24 and not re.search(r"[/\\\s]", value) else value


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _is_form(text: str) -> bool:
    if not text or text.lstrip().startswith(("{", "[")):
        return False
    for part in text.split("&"):
        name, sep, _ = part.partition("=")
        if not sep or not _FORM_NAME_RE.match(name):
            return False
    return True

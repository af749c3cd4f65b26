"""The command line: send / token / profiles / demo-server. Never imports Qt.

Exit statuses: 0 a response arrived (any status), 1 no response (transport error), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from inspector.app import _Parser  # one line per usage error, shared with the window's flags
from inspector.core.errors import InspectorError
from inspector.core.request import BodyKind

EXIT_OK, EXIT_TRANSPORT, EXIT_BAD_INPUT = 0, 1, 2
PREVIEW_CHARS = 4000


class UsageError(InspectorError):
    """A command line that cannot be carried out as written."""




def _seconds(text: str) -> float:
    """A duration flag: a finite number of seconds, zero or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a usable number of seconds")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="request-inspector", description="Send a request and learn why an API said no.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    send = sub.add_parser("send", help="send one request, print the response and the explanation")
    send.add_argument("url", nargs="?", help="the URL (omit with --curl)")
    send.add_argument("-X", "--method", default=None, help="the HTTP method (default GET, or POST with data)")
    send.add_argument("-H", "--header", action="append", default=[], metavar="'Name: value'")
    send.add_argument("-d", "--data", default=None, metavar="TEXT", help="the request body")
    send.add_argument("--data-file", default=None, metavar="PATH", help="read the request body from a file")
    send.add_argument("--profile", default=None, metavar="NAME", help="attach credentials from a saved profile")
    send.add_argument("--profiles-dir", action="append", default=[], metavar="DIR", help="a team profiles folder")
    send.add_argument("--expect-audience", default=None, metavar="AUD")
    send.add_argument("--expect-issuer", default=None, metavar="ISS")
    send.add_argument("--expect-scope", action="append", default=[], metavar="SCOPE")
    send.add_argument("--leeway", type=_seconds, default=None, metavar="SECONDS", help="clock leeway (default 60)")
    send.add_argument("--jwks", default=None, metavar="URL", help="check the sent token's signature with a JWKS")
    send.add_argument("--key", default=None, metavar="FILE",
                      help="check the sent token's signature with a PEM public key or shared-secret file")
    send.add_argument("--timeout", type=_seconds, default=30.0, metavar="SECONDS", help="default 30")
    send.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    send.add_argument("--no-follow", action="store_true", help="do not follow redirects")
    send.add_argument("--show-secrets", action="store_true", help="print credentials unmasked")
    send.add_argument("--json", action="store_true", help="one JSON object on stdout")
    send.add_argument("--curl", default=None, metavar="'curl ...'", help="a pasted curl command")

    token = sub.add_parser("token", help="inspect a token alone (no network unless --jwks)")
    token.add_argument("token", help="the token, or - to read it from stdin")
    token.add_argument("--audience", default=None)
    token.add_argument("--issuer", default=None)
    token.add_argument("--leeway", type=_seconds, default=60.0, metavar="SECONDS")
    token.add_argument("--key", default=None, metavar="FILE", help="a PEM public key or a shared-secret file")
    token.add_argument("--jwks", default=None, metavar="URL")
    token.add_argument("--json", action="store_true")
    token.add_argument("--show-secrets", action="store_true")

    profiles = sub.add_parser("profiles", help="the profiles the app sees, and what is wrong with them")
    profiles.add_argument("action", choices=["list", "show", "check"])
    profiles.add_argument("name", nargs="?")
    profiles.add_argument("--profiles-dir", action="append", default=[], metavar="DIR")

    demo = sub.add_parser("demo-server", help="the demo API alone, in the foreground")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8765)
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    try:
        if args.command == "send":
            return cmd_send(args, sys.stdout)
        if args.command == "token":
            return cmd_token(args, sys.stdout)
        if args.command == "profiles":
            return cmd_profiles(args, sys.stdout)
        if args.command == "demo-server":
            from inspector.demo.server import run_forever

            return run_forever(args.host, args.port)
    except InspectorError as exc:
        print(f"request-inspector: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    build_parser().print_help(sys.stderr)
    return EXIT_BAD_INPUT


# ---------------------------------------------------------------- send


def spec_from_args(args: argparse.Namespace) -> Any:
    """The RequestSpec the flags describe (or the pasted curl command, with flags layered on top)."""
    from dataclasses import replace

    from inspector.core.request import Body, RequestSpec, parse_header_line

    if args.curl:
        from inspector.core.export import parse_curl

        imported = parse_curl(args.curl)
        for warning in imported.warnings:
            print(f"request-inspector: curl: {warning}", file=sys.stderr)
        spec = imported.spec
        if args.url:
            spec = replace(spec, url=args.url)
    else:
        if not args.url:
            raise UsageError("send needs a URL (or --curl 'curl ...').")
        spec = RequestSpec(url=args.url)
    headers = list(spec.headers) + [parse_header_line(line) for line in args.header]
    body = spec.body
    if args.data is not None and args.data_file is not None:
        raise UsageError("Use either --data or --data-file, not both.")
    if args.data_file is not None:
        try:
            text = Path(args.data_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"The data file '{args.data_file}' cannot be read: {exc}.") from None
        body = Body(kind=_guess_body_kind(text), text=text)
    elif args.data is not None:
        body = Body(kind=_guess_body_kind(args.data), text=args.data)
    method = args.method or (spec.method if args.curl else ("POST" if body.kind != "none" else "GET"))
    spec = replace(
        spec,
        method=method.upper(),
        headers=tuple(headers),
        body=body,
        timeout_s=args.timeout,
        verify_tls=spec.verify_tls and not args.insecure,
        follow_redirects=spec.follow_redirects and not args.no_follow,
    )
    if args.profile:
        spec = replace(spec, profile=args.profile)
    return spec


def _guess_body_kind(text: str) -> BodyKind:
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            json.loads(stripped)
            return "json"
        except ValueError:
            pass
        except RecursionError:  # nested too deeply to parse here: it still is JSON-shaped
            return "json"
    return "text"


def cmd_send(args: argparse.Namespace, out: IO[str]) -> int:
    from inspector.core.diagnosis import Expectations
    from inspector.core.pipeline import prepare

    spec = spec_from_args(args)
    profile = resolver = cache = None
    if spec.profile:
        from inspector.core.profiles import open_default_store, resolver_for_cli
        from inspector.core.profiles.auth import TokenCache

        profile = open_default_store(extra_dirs=args.profiles_dir).find(spec.profile)
        resolver, cache = resolver_for_cli(), TokenCache()
    overrides = Expectations(
        audience=args.expect_audience,
        issuer=args.expect_issuer,
        scopes=tuple(args.expect_scope),
        leeway_s=args.leeway if args.leeway is not None else Expectations().leeway_s,
        jwks_url=args.jwks,
        key_file=_readable_key(args.key),
    )
    prepared = prepare(spec, profile, resolver, cache)
    exchange = prepared.send()
    diagnosis = prepared.explain(exchange, overrides)
    from inspector.core.export.masking import exchange_scrubber

    # the profile's secrets plus every secret value sent or received in this exchange (a server may echo them)
    scrubber = exchange_scrubber(exchange, diagnosis, prepared.redactor, prepared.secret_names)
    if args.json:
        doc = exchange_document(exchange, diagnosis, show_secrets=args.show_secrets, scrubber=scrubber,
                                secret_names=prepared.secret_names)
        out.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    else:
        _print_exchange(exchange, diagnosis, out, show_secrets=args.show_secrets, scrubber=scrubber,
                        secret_names=prepared.secret_names)
    if exchange.error is not None:
        if not args.json:
            message = exchange.error.message if args.show_secrets else scrubber.scrub(exchange.error.message)
            print(f"request-inspector: {message}", file=sys.stderr)
        return EXIT_TRANSPORT
    return EXIT_OK


def _readable_key(path: str | None) -> str | None:
    """The key file's path after checking it can be read: bad input stops before anything is sent."""
    if path is None:
        return None
    from inspector.core.tokens import load_key_file

    load_key_file(path)
    return path


def exchange_document(exchange: Any, diagnosis: Any, *, show_secrets: bool, scrubber: Any,
                      secret_names: tuple[str, ...] = ()) -> dict[str, Any]:
    """The `send --json` object of shared/specs/cli.md."""
    from inspector.core.exchange import joined_headers
    from inspector.core.jsonout import diagnosis_json, token_json
    from inspector.core.redact import mask_body_text, mask_header_value, mask_url, scrub_tree


    def url(u: str) -> str:
        return u if show_secrets else scrubber.scrub(mask_url(u, secret_names))

    def headers(lines: Any) -> dict[str, str]:
        joined = joined_headers(lines)
        if show_secrets:
            return joined
        return {k: scrubber.scrub(mask_header_value(k, v, secret_names)) for k, v in joined.items()}

    spec = exchange.spec
    final = exchange.final_hop
    doc: dict[str, Any] = {
        "request": {
            "method": final.method if final else spec.method,
            "url": url(final.url if final else spec.url),
            "headers": headers(final.sent_headers if final else spec.enabled_headers()),
            "profile": exchange.profile_name,
        },
        "hops": [
            {
                "method": h.method,
                "url": url(h.url),
                "status": h.status,
                "location": url(h.location) if h.location else h.location,
                "sent_headers": headers(h.sent_headers),
                "role": h.role,
                "elapsed_ms": round(h.elapsed_s * 1000, 1),
            }
            for h in exchange.hops
        ],
        "response": None,
        "error": None,
        "token": None,
        "diagnosis": None,
    }
    if exchange.error is not None:
        doc["error"] = {"kind": exchange.error.kind, "message": scrubber.scrub(exchange.error.message)}
    response = final.response if final is not None and exchange.error is None else None
    if response is not None and final is not None:
        preview = body_text(response.body, response.content_type)
        if preview is not None:
            preview = preview[:PREVIEW_CHARS]
            if not show_secrets:
                preview = scrubber.scrub(mask_body_text(preview, response.content_type, secret_names))
        doc["response"] = {
            "status": response.status,
            "reason": response.reason,
            "headers": headers(response.headers),
            "elapsed_ms": round(exchange.elapsed_s * 1000, 1),
            "body_bytes": response.body_bytes,
            "body_truncated": response.body_truncated,
            "content_type": response.content_type,
            "body_preview": preview,
        }
    if diagnosis is not None:
        doc["token"] = token_json(diagnosis.token, diagnosis.timeline)
        doc["diagnosis"] = diagnosis_json(diagnosis)
        if not show_secrets:
            doc["diagnosis"] = scrub_tree(doc["diagnosis"], scrubber.scrub)
    return doc


def body_text(body: bytes, content_type: str | None) -> str | None:
    """The body as text when it is text; None for binary."""
    from inspector.core.highlight import body_kind, decode_body

    if body_kind(content_type, body[:8192]) != "text":
        return None
    return decode_body(body, content_type)


def _print_exchange(exchange: Any, diagnosis: Any, out: IO[str], *, show_secrets: bool, scrubber: Any,
                    secret_names: tuple[str, ...]) -> None:
    from inspector.core.redact import mask_body_text

    doc = exchange_document(exchange, diagnosis, show_secrets=show_secrets, scrubber=scrubber,
                            secret_names=secret_names)
    color = out.isatty() and not os.environ.get("NO_COLOR")
    for hop in doc["hops"][:-1]:
        out.write(f"{hop['method']} {hop['url']} -> {hop['status']}"
                  + (f" (Location: {hop['location']})" if hop["location"] else "") + "\n")
    response = doc["response"]
    if response is not None:
        out.write(f"{doc['request']['method']} {doc['request']['url']}\n")
        out.write(f"HTTP {response['status']} {response['reason']}  "
                  f"({response['elapsed_ms']:.0f} ms, {_size(response['body_bytes'])})\n")
        for name, value in response["headers"].items():
            out.write(f"{name}: {value}\n")
        out.write("\n")
        final = exchange.final_hop
        text = body_text(final.response.body, final.response.content_type) if final and final.response else None
        if text is None:
            out.write(f"[binary body, {_size(response['body_bytes'])}]\n")
        else:
            if not show_secrets:
                text = scrubber.scrub(mask_body_text(text, response["content_type"], secret_names))
            out.write(_pretty(text, response["content_type"], color) + "\n")
        if response["body_truncated"]:
            out.write(f"[body larger than the cap: only the first {_size(len(final.response.body))} kept]\n")
    if diagnosis is not None:
        out.write("\n" + render_diagnosis(doc["diagnosis"], color) + "\n")


def render_diagnosis(diag: dict[str, Any], color: bool = False) -> str:
    """The explanation in words for a terminal."""
    marks = {"error": "✗", "warning": "!", "info": "i"}
    from inspector.core.diagnosis.findings import VERDICT_TITLES

    title = VERDICT_TITLES.get(diag["verdict"])
    lines = [f"Verdict: {diag['verdict']}" + (f" ({title})" if title else ""), diag["summary"]]
    for ch in diag.get("challenges", []):
        params = ", ".join(f'{k}="{v}"' for k, v in ch["params"].items())
        lines.append(f"  Challenge: {ch['scheme']} {ch['token68'] or ''}{params}".rstrip())
    for f in diag.get("findings", []):
        lines.append(f"  {marks.get(f['severity'], '-')} [{f['id']}] {f['title']}")
        if f.get("detail"):
            lines.append(f"      {f['detail']}")
    text = "\n".join(lines)
    if color:
        tone = {"ok": "32", "authentication": "31", "authorization": "33"}.get(diag["verdict"], "36")
        text = f"\x1b[1;{tone}m" + text.replace("\n", "\x1b[0m\n", 1) if "\n" in text else text
    return text


def _pretty(text: str, content_type: str | None, color: bool) -> str:
    from inspector.core.highlight import choose_lexer, pretty_json, pretty_syntax, pretty_xml

    lexer = choose_lexer(content_type, text[:4096])
    syntax = pretty_syntax(lexer)
    pretty = pretty_json(text) if syntax == "json" else pretty_xml(text) if syntax == "xml" else text
    if not color:
        return pretty
    from pygments import highlight
    from pygments.formatters import TerminalFormatter

    return highlight(pretty, lexer, TerminalFormatter()).rstrip("\n")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


# ---------------------------------------------------------------- token


def cmd_token(args: argparse.Namespace, out: IO[str]) -> int:
    from inspector.core.diagnosis import Expectations, inspect_alone, strip_scheme
    from inspector.core.jsonout import token_json
    from inspector.core.redact import mask

    raw = sys.stdin.buffer.read().decode("utf-8", errors="replace") if args.token == "-" else args.token
    raw = strip_scheme(raw.strip())
    if not raw:
        raise UsageError("No token given: pass it as an argument or on stdin with '-'.")
    from inspector.core.tokens import inspect_token, load_key_file, verify_token

    key = load_key_file(args.key) if args.key else None
    expectations = Expectations(audience=args.audience, issuer=args.issuer, leeway_s=args.leeway,
                                jwks_url=args.jwks)
    checked = verify_token(inspect_token(raw), key_pem_or_secret=key, jwks_url=args.jwks)
    info, timeline, findings = inspect_alone(raw, expectations, datetime.now(UTC), token=checked)
    doc = token_json(info, timeline) or {}
    doc["findings"] = [
        {"id": f.id, "severity": f.severity, "title": f.title, "detail": f.detail, "evidence": dict(f.evidence)}
        for f in findings
    ]
    if args.json:
        out.write(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n")
        return EXIT_OK
    out.write(f"Token: {raw if args.show_secrets else mask(raw)}\n")
    out.write(f"Format: {doc.get('format')}" + ("  (signature verified)" if doc.get("verified") else
                                                "  (signature not verified)") + "\n")
    for problem in (doc.get("decode_error"), doc.get("verify_error")):
        if problem:
            out.write(f"Problem: {problem}\n")
    if doc.get("header"):
        out.write("Header: " + json.dumps(doc["header"], ensure_ascii=False) + "\n")
    if doc.get("claims"):
        out.write("Claims:\n" + json.dumps(doc["claims"], indent=2, ensure_ascii=False) + "\n")
    tl = doc.get("timeline") or {}
    for key_name in ("issued_at", "not_before", "expires_at", "auth_time"):
        if tl.get(key_name):
            out.write(f"{key_name.replace('_', ' ')}: {tl[key_name]}\n")
    for f in doc["findings"]:
        out.write(f"[{f['severity']}] {f['id']}: {f['title']}\n    {f['detail']}\n")
    if not doc["findings"] and not doc.get("decode_error") and not doc.get("verify_error"):
        out.write("Nothing wrong can be seen from the token alone.\n")
    return EXIT_OK


# ---------------------------------------------------------------- profiles


def cmd_profiles(args: argparse.Namespace, out: IO[str]) -> int:
    from inspector.core import profiles_cli
    from inspector.core.profiles import open_default_store

    store = open_default_store(extra_dirs=[Path(d) for d in args.profiles_dir])
    if args.action == "list":
        out.write(profiles_cli.list_text(store))
        return EXIT_OK
    if args.action == "show":
        if not args.name:
            raise UsageError("profiles show needs a profile name: request-inspector profiles show NAME.")
        out.write(profiles_cli.show_text(store, args.name))
        return EXIT_OK
    text, code = profiles_cli.check_text(store)
    out.write(text)
    return code

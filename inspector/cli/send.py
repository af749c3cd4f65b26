"""`send`: one request from flags or a pasted curl command, the response and the explanation.

Exit statuses: 0 a response arrived (any status), 1 no response (transport error), 2 bad input. With
--retry-with FIX the first request's status decides, except that a fix which cannot apply is bad input (2).
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from inspector.cli.args import EXIT_BAD_INPUT, EXIT_OK, EXIT_TRANSPORT, UsageError
from inspector.cli.render import dumps, exchange_text, safe_line

if TYPE_CHECKING:  # the heavy modules load only when a request is really sent (startup time)
    from inspector.core.diagnosis import Diagnosis
    from inspector.core.exchange import Exchange
    from inspector.core.pipeline import SendResult
    from inspector.core.profiles.flows import SignInHooks
    from inspector.core.profiles.model import Profile
    from inspector.core.profiles.store import ProfileStore
    from inspector.core.redact import Scrubber
    from inspector.core.request import BodyKind, RequestSpec
    from inspector.core.retry import Fix

PREVIEW_CHARS = 4000


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from inspector.core.diagnosis import Expectations
    from inspector.core.pipeline import run as run_pipeline

    fix = _parsed_fix(args.retry_with)  # a FIX that cannot be read stops here, before anything is sent
    spec = spec_from_args(args, err)
    profile = resolver = cache = store = None
    if spec.profile or fix is not None:
        from inspector.core.profiles import open_default_store, resolver_for_cli
        from inspector.core.profiles.auth import TokenCache

        store = open_default_store(extra_dirs=args.profiles_dir)
        if spec.profile:
            profile = _find_profile(store, spec.profile)
        resolver, cache = resolver_for_cli(), TokenCache(hooks=sign_in_hooks(args, err))
    overrides = Expectations(
        audience=args.expect_audience,
        issuer=args.expect_issuer,
        scopes=tuple(args.expect_scope),
        leeway_s=args.leeway if args.leeway is not None else Expectations().leeway_s,
        jwks_url=args.jwks,
        key_file=_readable_key(args.key),
    )
    from inspector.cli.history import open_for_recording

    history = open_for_recording(args, err)
    retry_doc: dict[str, Any] | None = None
    retried = None
    try:
        result = run_pipeline(spec, profile=profile, resolver=resolver, token_cache=cache,
                              overrides=overrides, history=history)
        if fix is not None:
            from inspector.core.errors import InspectorError
            from inspector.core.retry import retry

            try:
                retried = retry(result, fix, profile=profile, find_profile=lambda name: _find_profile(store, name),
                                resolver=resolver, token_cache=cache, overrides=overrides, history=history)
            except InspectorError as exc:  # the fix cannot apply: the first answer is still printed
                retry_doc = {"fix": fix.text, "exchange": None, "confirmed": False, "conclusion": str(exc),
                             "error": str(exc)}
    finally:
        if history is not None:
            history.close()
    color = out.isatty() and not os.environ.get("NO_COLOR")
    doc, text, scrubber = _documents(result, args, color)
    status = EXIT_OK
    if retried is not None:
        second, second_text, second_scrubber = _documents(retried.result, args, color)
        conclusion = second_scrubber.scrub(scrubber.scrub(retried.conclusion))
        retry_doc = {"fix": retried.fix, "exchange": second, "confirmed": retried.confirmed,
                     "conclusion": conclusion}
        text += (f"\n=== Try the fix: {safe_line(fix.label if fix else '')} ===\n\n{second_text}\n"
                 f"{'Confirmed' if retried.confirmed else 'Not confirmed'}: {safe_line(conclusion)}\n")
        _problems(retried.result, second_scrubber, err)
    elif retry_doc is not None:
        err.write(f"request-inspector: {safe_line(scrubber.scrub(retry_doc['error']))}\n")
        status = EXIT_BAD_INPUT
    if retry_doc is not None:
        doc["retry"] = retry_doc
    out.write(dumps(doc) + "\n" if args.json else text)
    _problems(result, scrubber, err)
    exchange = result.exchange
    if exchange.error is not None:
        if not args.json:
            message = exchange.error.message if args.show_secrets else scrubber.scrub(exchange.error.message)
            err.write(f"request-inspector: {safe_line(message)}\n")
        return EXIT_TRANSPORT
    return status


def _parsed_fix(text: str | None) -> Fix | None:
    """--retry-with as a Fix (None without it); a usage error when it is not one of the FIX forms."""
    if text is None:
        return None
    from inspector.core.retry import RetryError, parse_fix

    try:
        return parse_fix(text)
    except RetryError as exc:
        raise UsageError(f"--retry-with: {exc}") from None


def _find_profile(store: ProfileStore | None, name: str) -> Profile:
    """The saved profile called name; a usage error (with the demo hint `profiles list` gives) when unknown."""
    from inspector.core.errors import ProfileError

    if store is None:
        raise UsageError(f"There is no profile '{name}'.")
    try:
        return store.find(name)
    except ProfileError as exc:
        from inspector.cli.profiles import demo_profile_hint

        hint = demo_profile_hint(store, name)  # as `profiles list` tells it
        if hint is None:
            raise
        raise UsageError(f"{exc} {hint}") from None


def _documents(result: SendResult, args: argparse.Namespace,
               color: bool) -> tuple[dict[str, Any], str, Scrubber]:
    """One send as its --json document and as text, masked, and the scrubber that masked them."""
    from inspector.core.redact import exchange_scrubber

    exchange, diagnosis, names = result.exchange, result.diagnosis, result.secrets.names
    # the profile's secrets plus every secret value sent or received in this exchange (a server may echo them)
    scrubber = exchange_scrubber(exchange, diagnosis, result.secrets.redactor(), names)
    doc = exchange_document(exchange, diagnosis, show_secrets=args.show_secrets, scrubber=scrubber,
                            secret_names=names)
    text = ""
    if not args.json:
        body, kept = _shown_body(exchange, doc, show_secrets=args.show_secrets, scrubber=scrubber,
                                 secret_names=names)
        text = exchange_text(doc, body, kept, color=color)
    return doc, text, scrubber


def _problems(result: SendResult, scrubber: Scrubber, err: IO[str]) -> None:
    for kind in ("explain", "history"):  # the token problem is in the explanation already
        problem = result.problem(kind)
        if problem is not None:
            err.write(f"request-inspector: {safe_line(scrubber.scrub(problem.message))}\n")


def sign_in_hooks(args: argparse.Namespace, err: IO[str]) -> SignInHooks:
    """A browser or device sign-in on the command line: what to do goes to stderr (stdout stays the answer),
    the system browser opens (BROWSER honoured), and the wait ends after --auth-timeout seconds."""
    from inspector.core.profiles.flows import SignInHooks, SignInProgress, system_browser

    def show(event: SignInProgress) -> None:
        for line in event.message.splitlines():
            err.write(f"request-inspector: {safe_line(line)}\n")
        err.flush()

    return SignInHooks(open_browser=system_browser, on_progress=show, timeout_s=args.auth_timeout)


def spec_from_args(args: argparse.Namespace, err: IO[str]) -> RequestSpec:
    """The RequestSpec the flags describe (or the pasted curl command, with flags layered on top)."""
    from inspector.core.request import Body, RequestSpec, parse_header_line

    if args.curl:
        from inspector.core.export import CurlFilesNeeded, parse_curl

        try:
            imported = parse_curl(args.curl, read_files=args.curl_read_files)
        except CurlFilesNeeded as exc:
            raise UsageError(f"{exc} Add --curl-read-files to read them.") from None
        for warning in imported.warnings:
            err.write(f"request-inspector: curl: {safe_line(warning)}\n")
        # options that only change curl's own output or retries (-o, --retry, -s, -v...): said, not silent
        for note in imported.notes:
            err.write(f"request-inspector: curl: note: {safe_line(note)}\n")
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
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise UsageError(f"The data file '{args.data_file}' cannot be read: {reason}.") from None
        body = Body(kind=guess_body_kind(text), text=text)
    elif args.data is not None:
        body = Body(kind=guess_body_kind(args.data), text=args.data)
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


def guess_body_kind(text: str) -> BodyKind:
    """'json' when the text parses as JSON (an object or array), else 'text'."""
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


def _readable_key(path: str | None) -> str | None:
    """The key file's path after checking it can be read: bad input stops before anything is sent."""
    if path is None:
        return None
    from inspector.core.tokens import load_key_file

    load_key_file(path)
    return path


def exchange_document(exchange: Exchange, diagnosis: Diagnosis | None, *, show_secrets: bool,
                      scrubber: Scrubber, secret_names: tuple[str, ...] = ()) -> dict[str, Any]:
    """The `send --json` object of shared/specs/cli.md, masked unless show_secrets."""
    from inspector.core.bodies import body_text
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


def _shown_body(exchange: Exchange, doc: dict[str, Any], *, show_secrets: bool, scrubber: Scrubber,
                secret_names: tuple[str, ...]) -> tuple[str | None, int]:
    """The whole response body as it may be printed (masked unless show_secrets), and the bytes kept."""
    from inspector.core.bodies import body_text
    from inspector.core.redact import mask_body_text

    final = exchange.final_hop
    if doc["response"] is None or final is None or final.response is None:
        return None, 0
    response = final.response
    text = body_text(response.body, response.content_type)
    if text is not None and not show_secrets:
        text = scrubber.scrub(mask_body_text(text, response.content_type, secret_names))
    return text, len(response.body)


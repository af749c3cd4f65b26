"""`run DIR`: send a collection's requests (or a folder's, or one) in order against an environment, one line
per request with its verdict and the explanation of each refusal; `--json` and `--junit FILE` for CI.

Every request is prepared before the first one is sent: an unknown environment, an unresolved {{variable}}, a
missing secret or profile, a broken file stops the run with exit 2 and nothing leaves the machine. A request
passes when its status is `expect_status` (default: any 2xx). Exit: 0 all passed, 3 one or more failed, 1 a
transport error stopped the run with --bail, 2 bad input. Everything printed or written is masked.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from inspector.cli.args import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, EXIT_TRANSPORT, UsageError
from inspector.cli.render import dumps, safe_line

if TYPE_CHECKING:
    from inspector.core.collections.model import Collection, Environment, SavedRequest
    from inspector.core.history import HistoryStore
    from inspector.core.pipeline import Prepared, SendResult


@dataclass(frozen=True)
class Planned:
    """A request ready to send: its place in the collection and its prepared (resolved, signed-in) form."""

    path: str  # folder/sub/name
    folders: tuple[str, ...]
    request: SavedRequest
    prepared: Prepared


@dataclass(frozen=True)
class Outcome:
    planned: Planned
    passed: bool
    status: int | None
    elapsed_ms: float
    verdict: str
    summary: str
    url: str  # masked
    diagnosis: dict[str, Any] | None  # the shape of `send --json`'s diagnosis, masked
    error: dict[str, str] | None
    explanation: str  # the explanation in words (masked), for JUnit


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from inspector.core.collections.store import find_collection_root, load_collection

    target = Path(args.dir).expanduser()
    root = find_collection_root(target)
    collection, problems = load_collection(root)
    if problems:
        for p in problems:
            err.write(f"request-inspector: {safe_line(p.message)}\n")
        n = len(problems)
        err.write(
            f"request-inspector: {n} broken file{'s' if n != 1 else ''} in the collection: nothing was "
            "sent. Fix them and run again.\n"
        )
        return EXIT_BAD_INPUT
    folder, request = _narrowed(target, root, collection, args.folder, args.request)
    environment = collection.environment(args.env) if args.env else None
    overrides = _overrides(args.var)
    plans = plan(collection, environment, overrides, folder, request, args.profiles_dir, args.timeout)
    if not plans:
        raise UsageError(f"The collection '{collection.name}' has no request to run here.")
    from inspector.cli.history import open_for_recording

    history = open_for_recording(args, err)
    try:
        outcomes, stopped = send_all(plans, bail=args.bail, history=history)
    finally:
        if history is not None:
            history.close()
    env_name = environment.name if environment is not None else None
    if args.json:
        out.write(dumps(json_document(collection, env_name, outcomes, stopped, len(plans))) + "\n")
    else:
        out.write(text_report(collection, env_name, outcomes, stopped, len(plans)))
    if args.junit:
        write_junit(Path(args.junit).expanduser(), collection, env_name, outcomes, plans)
    if stopped and outcomes and outcomes[-1].error is not None:
        return EXIT_TRANSPORT
    return EXIT_OK if all(o.passed for o in outcomes) else EXIT_FAILED


def _narrowed(
    target: Path, root: Path, collection: Collection, folder: str | None, request: str | None
) -> tuple[str | None, str | None]:
    """DIR may point inside the collection: a folder narrows to it, a request file to that request."""
    try:
        rel = target.resolve().relative_to(root.resolve())
    except ValueError:
        return folder, request
    if not rel.parts:
        return folder, request
    if target.is_file():
        from inspector.core.collections.resolve import all_requests, request_path

        for parents, item in all_requests(collection):
            if item.path is not None and item.path.resolve() == target.resolve():
                return None, request_path(parents, item)
        raise UsageError(f"{target} is not a request of the collection '{collection.name}'.")
    dirs = "/".join(rel.parts)
    return (f"{dirs}/{folder.strip('/')}" if folder else dirs), request


def _overrides(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--var '{safe_line(name)}' needs a value: write --var NAME=VALUE.")
        out[name.strip()] = value
    return out


def _environ(
    collection: Collection, environment: Environment | None, overrides: Mapping[str, str]
) -> dict[str, str]:
    """The environment variables secret references read; for the demo collection also the demo's tokens."""
    environ = dict(os.environ)
    if collection.document.get("demo") is True:
        from inspector.core.variables import Substitution, VariableScope

        scope = VariableScope(
            overrides=overrides,
            environment=environment.vars if environment else {},
            collection=collection.vars,
        )
        sub = Substitution(scope)
        base_url = sub.text("{{base_url}}")
        if not sub.unresolved and not sub.failures:
            from inspector.demo.collection import demo_variables

            environ.update(demo_variables(base_url))
    return environ


def _demo_overrides(collection: Collection, overrides: dict[str, str]) -> dict[str, str]:
    """INSPECTOR_DEMO_URL (the demo API's address) points the demo collection at it, unless --var says."""
    url = os.environ.get("INSPECTOR_DEMO_URL")
    if collection.document.get("demo") is True and url and "base_url" not in overrides:
        return {**overrides, "base_url": url.rstrip("/")}
    return overrides


def plan(
    collection: Collection,
    environment: Environment | None,
    overrides: dict[str, str],
    folder: str | None,
    request: str | None,
    profiles_dirs: list[str],
    timeout: float,
) -> list[Planned]:
    """Every selected request resolved and prepared; InspectorError (exit 2) before anything is sent."""
    from inspector.core.collections.resolve import resolve_profile, resolve_request, select_requests
    from inspector.core.pipeline import prepare
    from inspector.core.profiles import open_default_store, resolver_for_cli
    from inspector.core.profiles.auth import TokenCache
    from inspector.core.variables import UnresolvedVariable

    selection = select_requests(collection, folder, request)
    overrides = _demo_overrides(collection, overrides)
    resolver = resolver_for_cli(environ=_environ(collection, environment, overrides))
    dirs = [*profiles_dirs]
    if collection.profiles_dir.is_dir():
        dirs.insert(0, str(collection.profiles_dir))
    store = open_default_store(extra_dirs=dirs)
    cache = TokenCache()
    profiles: dict[str, Any] = {}
    plans = []
    for parents, saved in selection:
        resolved, sub = resolve_request(
            collection, parents, saved, environment, overrides, resolver, check=False
        )
        profile = None
        name = resolved.profile.name
        if name:
            if name not in profiles:
                profiles[name] = store.find(name)
            profile = resolve_profile(profiles[name], sub)
        try:
            sub.check()
        except UnresolvedVariable as exc:
            if environment is None and collection.environments:
                names = ", ".join(e.name for e in collection.environments)
                raise UnresolvedVariable(
                    f"{exc} Choose an environment with --env ({names}).",
                    names=exc.names,
                    request=exc.request,
                    environment=None,
                ) from None
            raise
        spec = replace(resolved.spec, timeout_s=timeout)
        prepared = prepare(spec, profile, resolver, cache)
        for secret in sub.secrets:
            prepared.redactor.add(secret)
        plans.append(Planned(resolved.path, tuple(f.name for f in parents), saved, prepared))
    return plans


def send_all(plans: list[Planned], *, bail: bool,
             history: HistoryStore | None = None) -> tuple[list[Outcome], bool]:
    """Send in order (each recorded in `history` when given); with bail, stop after the first request that
    does not pass."""
    outcomes = []
    for planned in plans:
        outcome = judge(planned, planned.prepared.run(history=history))
        outcomes.append(outcome)
        if bail and not outcome.passed:
            return outcomes, len(outcomes) < len(plans)
    return outcomes, False


def judge(planned: Planned, result: SendResult) -> Outcome:
    """Whether the request got the answer it expects, with its masked explanation."""
    from inspector.cli.render import diagnosis_text
    from inspector.cli.send import exchange_document
    from inspector.core.redact import exchange_scrubber, mask_url

    exchange, diagnosis, names = result.exchange, result.diagnosis, result.secrets.names
    scrubber = exchange_scrubber(exchange, diagnosis, result.secrets.redactor(), names)
    doc = exchange_document(exchange, diagnosis, show_secrets=False, scrubber=scrubber, secret_names=names)
    response = doc["response"]
    status = response["status"] if response is not None else None
    expected = planned.request.expect_status
    if status is None:
        passed = False
    elif expected is not None:
        passed = status == expected
    else:
        passed = 200 <= status < 300
    diag = doc["diagnosis"]
    verdict = diag["verdict"] if diag else ("transport-error" if doc["error"] else "unknown")
    summary = diag["summary"] if diag else (doc["error"]["message"] if doc["error"] else "")
    url = (
        doc["hops"][0]["url"]
        if doc["hops"]
        else scrubber.scrub(mask_url(exchange.spec.url, names))
    )
    explanation = diagnosis_text(diag) if diag else summary
    return Outcome(
        planned,
        passed,
        status,
        round(exchange.elapsed_s * 1000, 1),
        verdict,
        summary,
        url,
        diag,
        doc["error"],
        explanation,
    )


def _expectation(request: SavedRequest) -> str:
    return (
        f"expected {request.expect_status}" if request.expect_status is not None else "expected a 2xx status"
    )


def text_report(
    collection: Collection, env_name: str | None, outcomes: list[Outcome], stopped: bool, planned: int
) -> str:
    env = f" against the environment '{safe_line(env_name)}'" if env_name else ""
    lines = [f"Running '{safe_line(collection.name)}'{env}"]
    for o in outcomes:
        mark = "PASS" if o.passed else "FAIL"
        status = str(o.status) if o.status is not None else "---"
        verdict = safe_line(o.verdict)
        line = f"{mark}  {status}  {o.elapsed_ms:>7.0f} ms  {verdict:<22}  {safe_line(o.planned.path)}"
        if not o.passed:
            line += f" ({_expectation(o.planned.request)})"
        if o.verdict != "ok" and o.summary:
            line += " - " + safe_line(" ".join(o.summary.split()))
        lines.append(line)
    passed = sum(o.passed for o in outcomes)
    failed = len(outcomes) - passed
    total = f"{len(outcomes)} request{'s' if len(outcomes) != 1 else ''}: {passed} passed, {failed} failed"
    if stopped:
        total += f"; stopped at the first failure (--bail), {planned - len(outcomes)} not sent"
    lines.append(total + ".")
    return "\n".join(lines) + "\n"


def json_document(
    collection: Collection, env_name: str | None, outcomes: list[Outcome], stopped: bool, planned: int
) -> dict[str, Any]:
    return {
        "collection": collection.name,
        "environment": env_name,
        "results": [
            {
                "request": o.planned.path,
                "method": o.planned.prepared.spec.method,
                "url": o.url,
                "status": o.status,
                "elapsed_ms": o.elapsed_ms,
                "verdict": o.verdict,
                "passed": o.passed,
                "expect_status": o.planned.request.expect_status,
                "error": o.error,
                "diagnosis": o.diagnosis,
            }
            for o in outcomes
        ],
        "passed": sum(o.passed for o in outcomes),
        "failed": sum(not o.passed for o in outcomes),
        "not_sent": planned - len(outcomes),
        "stopped": stopped,
    }


def write_junit(
    path: Path, collection: Collection, env_name: str | None, outcomes: list[Outcome], plans: list[Planned]
) -> None:
    """JUnit XML whose failure messages are the explanations, so CI shows why a call was refused."""
    import xml.etree.ElementTree as ET

    from inspector.core.files import SHARED_FILE, atomic_write, storage_error

    failures = sum(not o.passed for o in outcomes)
    skipped = len(plans) - len(outcomes)
    seconds = sum(o.elapsed_ms for o in outcomes) / 1000
    totals = {
        "name": collection.name,
        "tests": str(len(plans)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
        "time": f"{seconds:.3f}",
    }
    suites = ET.Element("testsuites", totals)
    suite = ET.SubElement(suites, "testsuite", totals)
    if env_name:
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="environment", value=env_name)
    classname = collection.name
    for o in outcomes:
        p = o.planned
        case = ET.SubElement(
            suite,
            "testcase",
            name=p.request.name,
            classname=".".join([classname, *p.folders]),
            time=f"{o.elapsed_ms / 1000:.3f}",
        )
        status = o.status if o.status is not None else "no response"
        detail = f"{p.prepared.spec.method} {o.url} -> {status}; {_expectation(p.request)}"
        if not o.passed:
            failure = ET.SubElement(
                case, "failure", message=_xml_safe(o.summary or o.verdict), type=o.verdict
            )
            failure.text = _xml_safe(f"{detail}\n{o.explanation}")
        ET.SubElement(case, "system-out").text = _xml_safe(f"{detail}\nVerdict: {o.verdict}\n{o.summary}")
    for p in plans[len(outcomes) :]:
        case = ET.SubElement(
            suite, "testcase", name=p.request.name, classname=".".join([classname, *p.folders]), time="0"
        )
        ET.SubElement(case, "skipped", message="not sent: the run stopped at the first failure (--bail)")
    ET.indent(suites)
    data = ET.tostring(suites, encoding="utf-8", xml_declaration=True) + b"\n"
    try:
        atomic_write(path, data, SHARED_FILE)
    except OSError as exc:
        raise storage_error(exc, path, "written") from None


def _xml_safe(text: str) -> str:
    """XML 1.0 cannot hold most control characters, even escaped: they become visible escapes."""
    return "".join(
        c
        if c in "\t\n\r" or ord(c) >= 0x20 and not 0xD800 <= ord(c) <= 0xDFFF and c not in "\ufffe\uffff"
        else f"\\x{ord(c):02x}"
        for c in text
    )

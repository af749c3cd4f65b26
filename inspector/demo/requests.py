"""The demo requests the window opens with (and the CLI tests use), read from the demo collection
(resources/collections/demo): a 401 and a 403 first, then the rest, with tokens minted now; and the incident
burst (burst.py) the Incidents view sends in demo mode."""

from __future__ import annotations

from dataclasses import replace

from inspector.core.request import RequestSpec


def demo_requests(base_url: str) -> list[tuple[str, RequestSpec]]:
    """(title, request) pairs against the demo server at base_url; tokens are minted now."""
    from inspector.core.collections.resolve import all_requests, resolve_request
    from inspector.core.collections.store import load_collection
    from inspector.core.profiles.secrets import Resolver
    from inspector.demo.collection import DEMO_ENVIRONMENT, demo_collection_dir, demo_variables
    from inspector.demo.server import DemoError

    collection, problems = load_collection(demo_collection_dir())
    if problems:
        raise DemoError(f"The demo collection is damaged: {problems[0].message}")
    environment = collection.environment(DEMO_ENVIRONMENT)
    resolver = Resolver(None, env=demo_variables(base_url))
    overrides = {"base_url": base_url.rstrip("/")}
    out = []
    for parents, request in all_requests(collection):
        resolved, _ = resolve_request(collection, parents, request, environment, overrides, resolver)
        out.append((request.name, replace(resolved.spec, profile=None)))
    return out


def burst_requests(base_url: str) -> list[tuple[str, RequestSpec]]:
    """The burst as (title, spec), in the order to send them: tokens fetched from the demo API at base_url
    (signed directly when it runs in this process)."""
    from inspector.core.request import Header
    from inspector.demo.burst import BEFORE, BURST_PLAN, EXPIRED_KIND, ROTATED
    from inspector.demo.server import burst_token_set

    found = burst_token_set(base_url)
    base = base_url.rstrip("/")
    titles = {BEFORE: "before the rotation", ROTATED: "new signing key", EXPIRED_KIND: "expired token"}
    out = []
    for n, (kind, path) in enumerate(BURST_PLAN, start=1):
        spec = RequestSpec(method="GET", url=base + path,
                           headers=(Header("Authorization", f"Bearer {found[kind]}"),))
        out.append((f"Burst {n}: {titles[kind]}", spec))
    return out

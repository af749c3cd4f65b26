"""The demo requests the window opens with (and the CLI tests use), read from the demo collection
(resources/collections/demo): a 401 and a 403 first, then the rest, with tokens minted now."""

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

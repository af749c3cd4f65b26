"""How long incidents() takes over 50,000 history entries (the contract: under a second on the worker).

    python benchmarks/bench_incidents.py [--entries N] [--json]

Prints the time of the analysis alone, over a generated history: mostly successes, a burst of expired
tokens, a key rotation, rate limits and scattered failures across a few hosts and profiles.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime, timedelta

from inspector.core.incidents import IncidentEntry, incidents

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
HOSTS = ("api.example.test:443", "billing.example.test:443", "auth.example.test:443", "127.0.0.1:8765")
FAILURES = (
    (),
    ("token-expired",),
    ("signature-invalid",),
    ("rate-limited",),
    ("insufficient-scope",),
    ("no-credentials",),
    ("audience-mismatch",),
)


def history(n: int, seed: int = 7) -> list[IncidentEntry]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ok = rng.random() < 0.8
        host = rng.choice(HOSTS)
        out.append(
            IncidentEntry(
                id=i + 1,
                at=T0 + timedelta(seconds=i * 0.5),
                method="GET",
                url=f"https://{host}/v1/items/{i % 50}",
                host=host,
                status=200 if ok else 401,
                verdict="ok" if ok else "authentication",
                findings=() if ok else rng.choice(FAILURES),
                profile=rng.choice((None, "Billing", "Reporting")),
                kid=rng.choice(("k1", "k2")),
                iss="https://idp.example.test",
                exp=T0.timestamp() + rng.random() * 900,
                iat=T0.timestamp(),
                scopes=("a", "b") if ok else ("a",),
                skew_s=rng.uniform(-5, 5),
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    entries = history(args.entries)
    best = float("inf")
    found = []
    for _ in range(3):
        start = time.perf_counter()
        found = incidents(entries, None, lambda: T0 + timedelta(days=1))
        best = min(best, time.perf_counter() - start)
    result = {
        "entries": args.entries,
        "incidents": len(found),
        "seconds": round(best, 4),
        "under_a_second": best < 1.0,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"incidents() over {args.entries} entries: {best * 1000:.0f} ms (best of 3), "
            f"{len(found)} incidents; under a second: {best < 1.0}"
        )


if __name__ == "__main__":
    main()

"""`python -m inspector`: the same as `python main.py` and the `request-inspector` command."""

from inspector.app import main

if __name__ == "__main__":  # not when a helper process is started (inspector/core/offload.py)
    raise SystemExit(main())

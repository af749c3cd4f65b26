"""`python -m inspector`: the same as `python main.py` and the `request-inspector` command."""

from inspector.app import main

raise SystemExit(main())

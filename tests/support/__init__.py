"""Helpers shared by the tests: loopback servers (servers, evil_servers), the CLI in-process and as a process
(cli), thread hygiene (threads) and the widget secret scan (secret_scan). Fixtures using them are in
tests/conftest.py."""

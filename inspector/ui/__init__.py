from inspector.ui.qt_compat import guard_refcounts, import_shiboken, skip_source_scan

import_shiboken()  # first, before anything imports PySide6: see qt_compat (its embedded Python, compiled once)
guard_refcounts()  # before any widget exists: see qt_compat for the binding defect it works around
skip_source_scan()  # before the window's modules are imported: see qt_compat

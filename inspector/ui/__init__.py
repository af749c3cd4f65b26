from inspector.ui.qt_compat import guard_refcounts, skip_source_scan

guard_refcounts()  # before any widget exists: see qt_compat for the binding defect it works around
skip_source_scan()  # before the window's modules are imported: see qt_compat

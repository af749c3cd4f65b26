from inspector.ui.qt_compat import guard_refcounts

guard_refcounts()  # before any widget exists: see qt_compat for the binding defect it works around

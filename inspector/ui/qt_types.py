"""Qt classes made ahead of their first use, on a job.

PySide6 makes each Python class of Qt when it is first used, with every enum the class has (from a fraction of a
millisecond to a few milliseconds each). Made on the UI thread at the moment a feature is first used, that adds
up to a visible stall; `make(groups)` makes them beforehand, off the UI thread (classes only: no object is
created, so any thread may do it, as importing a module that names them does).
"""

from __future__ import annotations

from collections.abc import Iterable

#: What a fresh window's first answer needs. The first call returning a QWidget pointer (the body view's
#: viewport()) makes every QWidget subclass of QtWidgets at once (some 70 of them, 10-15 ms); the explanation's
#: finding cards use QStyle (eleven enums), the body's colours QTextCharFormat, the timeline a gradient.
#: A name this PySide does not have is skipped: the list only saves time, it changes nothing else.
FIRST_RESULT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("PySide6.QtWidgets", (
        "QAbstractButton", "QAbstractItemView", "QAbstractSlider", "QAbstractSpinBox", "QCalendarWidget",
        "QCheckBox", "QColorDialog", "QColumnView", "QComboBox", "QCommandLinkButton", "QDateEdit",
        "QDateTimeEdit", "QDial", "QDialog", "QDialogButtonBox", "QDockWidget", "QDoubleSpinBox",
        "QErrorMessage", "QFileDialog", "QFocusFrame", "QFontComboBox", "QFontDialog", "QGraphicsView",
        "QGroupBox", "QHeaderView", "QInputDialog", "QKeySequenceEdit", "QLCDNumber", "QLabel", "QLineEdit",
        "QListView", "QListWidget", "QMainWindow", "QMdiArea", "QMdiSubWindow", "QMenu", "QMenuBar",
        "QMessageBox", "QProgressBar", "QProgressDialog", "QPushButton", "QRadioButton", "QRhiWidget",
        "QRubberBand", "QScrollArea", "QScrollBar", "QSizeGrip", "QSlider", "QSpinBox", "QSplashScreen",
        "QSplitter", "QSplitterHandle", "QStackedWidget", "QStatusBar", "QStyle", "QTabBar", "QTabWidget",
        "QTableView", "QTableWidget", "QTextBrowser", "QTextEdit", "QTimeEdit", "QToolBar", "QToolBox",
        "QToolButton", "QTreeView", "QTreeWidget", "QUndoView", "QWizard", "QWizardPage",
    )),
    ("PySide6.QtGui", ("QTextCharFormat", "QLinearGradient", "QImage", "QPainterPath")),
    ("PySide6.QtCore", ("QItemSelectionModel",)),
)


def make(groups: Iterable[tuple[str, Iterable[str]]]) -> None:
    """Make these classes now (a job's work): the UI thread later finds them made."""
    import importlib

    for module_name, names in groups:
        module = importlib.import_module(module_name)
        for name in names:
            getattr(module, name, None)

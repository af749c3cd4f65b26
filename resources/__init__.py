"""The application's resources (icon, desktop entry, demo collection and profiles, style sheets).

Installed as the package `inspector.resources` (see pyproject.toml) so that importlib.resources finds them from
a wheel, an editable install or a source checkout alike; `inspector.assets` is the one way to read them.
"""

__version__ = "0.1.0"
APP_NAME = "request-inspector"  # the name of the app's folders: config, data, logs, cache (platformdirs)

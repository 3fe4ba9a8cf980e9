"""The sandbox: the real bot against a built-in local Bot API server, with a web page."""

"""The playground: the real bot against a local, strict Bot API, played from a web page.

`python -m bot playground` (bot/playground/cli.py) starts the Bot API (botapi/), the bot built by
the same `build_application` as production, and the page (server.py, static/).
"""

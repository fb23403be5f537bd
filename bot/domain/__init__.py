"""Assessment logic with no Telegram types: what comes next, progress, who is behind.

Handlers translate between Telegram and these functions; they read and test on their own.
"""

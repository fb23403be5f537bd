"""The Telegram bot: transport, flows and the composition root (bot/app.py)."""

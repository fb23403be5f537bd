"""Test support: database fixtures, the bot runners and flows shared by the tests.

The fake Telegram Bot API and the simulated people live in the shipped package,
`bot.playground.botapi`, which the playground runs too.
"""

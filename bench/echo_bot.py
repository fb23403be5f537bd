"""An unmodified python-telegram-bot echo bot: the baseline bench/throughput.py compares with.

Run in a process of its own by the bench, like the bot, with the same environment variables
(TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL). PTB's defaults: one update at a time.
"""

from __future__ import annotations

import asyncio
import os
import signal

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text)


async def main() -> None:
    application = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with application:
        await application.updater.start_polling(poll_interval=0, timeout=10)
        await application.start()
        await stop.wait()
        await application.updater.stop()
        await application.stop()


if __name__ == "__main__":
    asyncio.run(main())

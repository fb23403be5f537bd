"""Plain service functions over the database: no Telegram types in or out."""

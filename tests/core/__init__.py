"""Tests of bot/core: config, rendering, translations, one transaction per update."""

"""Tests of bot/private."""

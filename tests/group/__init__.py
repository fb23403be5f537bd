"""Tests of bot/group."""

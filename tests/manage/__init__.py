"""Tests of bot/manage."""

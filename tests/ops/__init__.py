"""Tests of bot/ops: serving, health, shutdown, leadership, several instances, deployment."""

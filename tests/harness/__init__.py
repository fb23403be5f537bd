"""Tests of the test harness itself: the strict fake Bot API in tests/support."""

"""Tests of criteria/: the packs, their loader and translations."""

"""Tests of storage/: models against migrations, migrations under concurrency."""

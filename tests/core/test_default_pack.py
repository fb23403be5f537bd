"""DEFAULT_PACK: the framework /newteam preselects, checked at start like every setting."""

from __future__ import annotations

import pytest

from bot.core.config import SettingsError, load_settings


def test_default_pack_names_a_loaded_pack():
    settings = load_settings(_env_file=None, default_pack="baldrige-organisation")
    assert settings.default_pack == "baldrige-organisation"


def test_an_unknown_default_pack_stops_the_start_with_the_known_ones():
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None, default_pack="nope")
    assert "DEFAULT_PACK" in str(caught.value) and "baldrige-organisation" in str(caught.value)

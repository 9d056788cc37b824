"""Every test here gets its own, empty explorer frame cache (never the user's)."""

import pytest


@pytest.fixture(autouse=True)
def frame_cache(tmp_path, monkeypatch):
    path = tmp_path / "frame-cache"
    monkeypatch.setenv("CNNLIB_FRAME_CACHE", str(path))
    return path

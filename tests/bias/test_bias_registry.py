"""The metric registry."""
from __future__ import annotations

import pytest

from analyzer.bias import registry


def test_stage_lists():
    assert registry.names("pre_training") == ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
    assert len(registry.names("post_training")) == 13


def test_duplicate_name_fails():
    with pytest.raises(ValueError, match="already registered"):
        registry.register("CI", "Class Imbalance (CI)", "pre_training", lambda g: 0.0)
    with pytest.raises(ValueError, match="already registered"):
        @registry.metric("AD", "again", "post_training")
        def ad(g):  # pragma: no cover
            return 0.0


def test_select_all_and_list():
    assert [m.name for m in registry.select("pre_training", "all")] == registry.names("pre_training")
    assert [m.name for m in registry.select("pre_training", ["all"])] == registry.names("pre_training")
    assert [m.name for m in registry.select("post_training", ["TE", "AD", "TE"])] == ["AD", "TE"]

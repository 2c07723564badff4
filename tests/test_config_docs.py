"""docs/config.md is generated from the schemas and current; every setting is described."""

from __future__ import annotations

import pytest
from digikom import config_docs
from digikom.schemas import load_schema


def test_docs_config_md_is_current():
    """Fails when a schema changed and `python -m digikom.config_docs` was not run."""
    assert config_docs.OUT.read_text(encoding="utf-8") == config_docs.render()
    assert config_docs.main(["--check"]) == 0


@pytest.mark.parametrize("name", [name for name, _ in config_docs.SCHEMAS])
def test_every_property_has_a_description(name):
    schema = load_schema(name)
    assert config_docs.undescribed(schema) == []


def test_the_reference_lists_every_setting_with_its_schema_default():
    text = config_docs.render()
    assert "| `statbank.max_cells` | integer | `800000` |" in text
    assert "| `report.comparison` | list of integer | `[2018, 2022]` |" in text
    assert "| `replication.map.<key>.crosstab` | list of string |" in text
    assert "| `size_groups[].upper` | integer or null |" in text


def test_an_undescribed_property_is_found_and_a_stale_file_refused(tmp_path, monkeypatch):
    schema = {"properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}}}}}
    assert config_docs.undescribed(schema) == ["a", "a.b"]
    stale = tmp_path / "config.md"
    stale.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(config_docs, "OUT", stale)
    monkeypatch.setattr(config_docs, "REPO_ROOT", tmp_path)
    assert config_docs.main(["--check"]) == 1


def test_schema_default_reads_nested_and_item_defaults():
    from digikom.replication import year_gap_rule
    from digikom.schemas import schema_default

    assert (
        schema_default("indicators.schema.yaml", "replication", "statbank", "[]", "scale") == 0.01
    )
    assert schema_default("config.schema.yaml", "report", "comparison") == [2018, 2022]
    with pytest.raises(KeyError, match="no property statbank/tables/x"):
        schema_default("config.schema.yaml", "statbank", "tables", "x")
    with pytest.raises(KeyError, match="size_groups has no default"):
        schema_default("config.schema.yaml", "size_groups")
    # code that needs a default reads the schema's, so an unvalidated block gets the same
    year_gap = schema_default("indicators.schema.yaml", "replication", "year_gap")
    assert year_gap_rule({}) == (year_gap["max_years"], year_gap["pp_per_year"]) == (0, 2.0)

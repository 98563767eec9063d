"""JSON Schema of analysis_config.json (data files only; see analysis_config.schema.json)."""

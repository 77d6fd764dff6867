"""accord scenarios: config -> draws -> model -> tables, figures, run directory."""

"""The read side: queries for figures, lists and dashboards, apart from the write model."""

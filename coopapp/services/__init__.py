"""Domain operations: plain functions over models and values, no `request`."""

"""Analysis: pure functions over plain data (attribution, norms, statistics, extraction)."""

"""Indicators: measures over datasets and views per region and period, with targets, trends and alerts."""

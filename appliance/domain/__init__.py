"""The archival domain: plain Python, no framework imports."""

"""Server-rendered console: one blueprint per feature."""

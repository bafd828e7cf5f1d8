"""The domain of Sweetspot: tenants, agendas, opportunities, alignment, roadmaps, flags and their persistence.

This package imports no web framework, LTI library, HTTP client or job queue (checked by import-linter).
"""

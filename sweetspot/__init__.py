"""Composition of Sweetspot: settings, the Flask app that mounts both edges, jobs, migrations and the CLI.

This is the only package that knows `alignment`, `lti_tool` and `xapi_listener` together.
"""

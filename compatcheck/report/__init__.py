"""Renderers: turn result objects into text, JSON, SARIF, JUnit or GitHub annotations."""

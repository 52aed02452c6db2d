"""The front matter that makes a Markdown file a MyST notebook (jupytext, python3 kernel), for tests that build
small books of their own."""

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""

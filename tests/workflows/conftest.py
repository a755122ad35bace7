"""Workflow tests: review_fakes.py sits next to this file (no __init__.py, so `workflows` keeps
meaning the workflow package and pytest puts this folder on sys.path)."""

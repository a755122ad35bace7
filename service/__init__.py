"""Service functions shared by the CLI and the web app: one client factory, one way to act."""

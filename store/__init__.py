"""The data layer: keyword-only functions over SQLModel sessions, shared by activities, CLI and web."""

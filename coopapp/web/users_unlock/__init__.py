"""An admin's unlock of a user's login (the users pages link here)."""

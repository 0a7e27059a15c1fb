"""The admin's pages for users."""

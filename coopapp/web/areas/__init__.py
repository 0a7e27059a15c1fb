"""The admin's pages for the area tree."""

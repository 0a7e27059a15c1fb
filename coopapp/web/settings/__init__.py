"""The county admin's settings page (县级设置)."""

"""The installable app and the offline entry form (manifest, service worker, choices)."""

"""The pure cron rules: parse and describe expressions, next runs, what a tick decides.

A floor below services and the scheduler, which both use them (no Flask, no models)."""

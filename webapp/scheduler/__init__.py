"""Deciding *when* published functions run (cron jobs); the runner decides *how*."""

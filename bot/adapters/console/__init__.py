"""The console adapter: the same commands as Slack and Discord, read from a terminal or a pipe."""

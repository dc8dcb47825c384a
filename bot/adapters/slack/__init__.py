"""The Slack adapter: slash commands, modals, live progress, announcements and App Home."""

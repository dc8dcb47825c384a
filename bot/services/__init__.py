"""Business logic shared by every chat adapter: connections, livestreams, meetings."""

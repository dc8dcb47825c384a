"""Live chat: one message model for every platform, its storage, and the collectors."""

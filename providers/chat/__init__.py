"""Platform clients for reading live chat, one module per platform."""

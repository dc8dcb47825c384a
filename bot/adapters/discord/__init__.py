"""The Discord adapter (discord.py 2.x): slash commands, announcements, roles, threads.

``client`` is the composition root (the bot and its command tree), ``commands`` the
application commands, ``forms`` the long-form modals, ``options`` the translation of typed
options into golive's command text, ``render`` embeds and link buttons, ``roles`` who may do
what, ``publisher`` the announcement service's way into Discord channels.
"""

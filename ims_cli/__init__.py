"""The `ims` command line: thin commands over the same rules and use cases as the bot."""

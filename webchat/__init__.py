"""The web chat: an accessible page and a small server that relays to Rasa.

A process of its own in the app environment (``python -m webchat``), the only
door for browsers; not a Rasa connector, so not under ``channels/``. It talks
to Rasa's REST channel over HTTP and shares only ``channels.ids`` (plain
Python, both environments) with the connectors.
"""

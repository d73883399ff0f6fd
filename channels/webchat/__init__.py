"""The web chat: an accessible page and a small server that relays to Rasa."""

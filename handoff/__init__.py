"""Handing a conversation over to a person: handoff requests, the office's
working hours, staff replies and canned replies.

A package of its own because two processes use it: the action server opens
requests (``actions/handoff.py``), the console's inbox takes, answers and
closes them (``console/inbox.py``); the web chat relay hands staff replies to
web pages (``webchat/``).
"""

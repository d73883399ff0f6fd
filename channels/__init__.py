"""The platforms citizens write from: the Rasa input/output channels (the web
chat, a process of its own, is the top-level ``webchat`` package).

Each platform connector is a ``channels.webhook.WebhookInput`` (routes,
bounded body, duplicate deliveries, background work, drain on shutdown,
the busy notice) and a ``channels.output.RenderedOutput`` (rendering, part
by part sending, conversation ids back to platform ids).

Adding a channel:

1. A module ``channels/<name>.py``; call ``channels.logs.keep_secrets_out_of_logs()``
   when it is imported; log citizens only as ``channels.logs.pseudonym(id)``,
   never a text or a token.
2. The output: subclass ``RenderedOutput``; ``name()`` is the channel name;
   ``render`` with a ``channels.render.Platform`` (text limit, buttons or
   numbered options); ``send_part`` gets the platform's id and returns an
   outcome; retry transient failures with ``retry.with_retries``.
3. The input: subclass ``WebhookInput`` with the same ``name()`` (Rasa's
   ``trigger_intent`` finds the output channel by it) and a ``platform``
   label for logs; write ``verify`` (constant-time secret or signature
   first, ``parse_object`` for JSON, ``Rejected`` with 401/400),
   ``delivery_id`` and ``dispatch`` (a ``ToRasa`` or a ``Notice``, with the
   id from ``platform_user``); ``for_rasa`` only if typed text needs mapping.
4. ``from_credentials`` reads ``settings`` and passes
   ``Deliveries(deliveries_path())``; list the connector in
   ``channels.credentials.CONNECTORS``.
5. Tests under ``tests/engine/channels/``: recorded payloads, a stand-in of the
   platform's API (``conftest.fake_platform``), and the connector in
   ``platforms.py`` so that the shared tests (ids, busy notice, restarts,
   drain, logs, fuzzing) cover it too.
"""

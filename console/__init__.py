"""The staff web service: the dossier push API, QR posters for the counter,
and the notification delivery loop (content editing and analytics come next)."""

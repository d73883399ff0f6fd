"""Dossier status: the mirror of the one-stop system's dossiers, ingestion
(push API, CSV, remote look-up), subscriptions and notifications."""

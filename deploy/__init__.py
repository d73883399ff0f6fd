"""How the processes are exposed and deployed: the reverse proxy's config."""

"""Webhooks: repository and organization events POSTed to other systems in Gitea's shapes."""

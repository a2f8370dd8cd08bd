"""The HTTP face of paiwei: ``api.app:create_app(settings)``."""

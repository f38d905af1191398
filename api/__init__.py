"""The HTTP adapter for HR systems: Flask app factory, blueprints, auth, schemas, OpenAPI."""

"""OAuth2 client credentials with Authlib: the token endpoint and the bearer-token check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    InsecureTransportError,
    InvalidRequestError,
    InvalidScopeError,
    MissingAuthorizationError,
)
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator, InsufficientScopeError
from flask import Flask, Response, g, request

from api.config import SCOPES
from api.problems import problem
from storage.access import clients
from storage.access.clients import AccessToken, ApiClient
from storage.store import Store

REALM = "plaudit"


class Client(ClientMixin):
    """Authlib's view of an API client."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def get_client_id(self) -> str:
        return self.client.id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        # No scope asked for: every scope the client was granted. A scope it was not granted
        # is refused rather than silently dropped.
        if not scope:
            return " ".join(self.client.scopes)
        asked = scope.split()
        if not set(asked) <= set(self.client.scopes):
            raise InvalidScopeError("The client was not granted every scope requested.")
        return " ".join(dict.fromkeys(asked))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return self.client.secret_matches(client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class Grant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


INSECURE_TRANSPORT = (
    "Token requests must use HTTPS. Behind a proxy that ends TLS, set PLAUDIT_API_TRUSTED_PROXIES"
    " to the number of proxies so their X-Forwarded-Proto is believed."
)


class Server(AuthorizationServer):
    def create_token_response(self, request=None):
        try:  # Authlib refuses plain HTTP (except loopback) while reading the request
            return super().create_token_response(request)
        except InsecureTransportError:
            return self.handle_response(*InvalidRequestError(INSECURE_TRANSPORT)())

    def handle_error_response(self, request, error):
        if error.error == "invalid_client":  # unknown client and wrong secret look the same
            error.description = "Client authentication failed."
        return super().handle_error_response(request, error)


@dataclass
class Token:
    """Authlib's view of a stored access token; expiry is judged by the store's clock."""

    access: AccessToken
    store: Store

    def is_expired(self) -> bool:
        return self.store.clock.now() >= self.access.expires_at

    def is_revoked(self) -> bool:
        return not self.access.client_active

    def get_scope(self) -> str:
        return " ".join(self.access.scopes)


class Validator(BearerTokenValidator):
    def __init__(self, store: Store) -> None:
        super().__init__(realm=REALM)
        self.store = store

    def authenticate_token(self, token_string: str) -> Token | None:
        found = clients.find_token(self.store, token_string)
        return None if found is None else Token(found, self.store)


def install(app: Flask, store: Store, lifetime: Callable[[], int]) -> ResourceProtector:
    """Add `POST /oauth/token` to the app and return the protector that checks bearer tokens.

    `lifetime()` gives the token lifetime in seconds when each token is issued.
    """
    app.config["OAUTH2_SCOPES_SUPPORTED"] = list(SCOPES)

    def query_client(client_id: str) -> Client | None:
        found = clients.get_client(store, client_id)
        return Client(found) if found is not None and found.active else None

    def save_token(token: dict, oauth_request) -> None:
        clients.save_token(
            store,
            token["access_token"],
            oauth_request.client.get_client_id(),
            token.get("scope", "").split(),
            int(token["expires_in"]),
        )

    server = Server(app, query_client=query_client, save_token=save_token)
    server.register_grant(Grant)
    server.register_token_generator(
        "default",
        BearerTokenGenerator(
            lambda *args, **kwargs: generate_token(42), None, lambda client, grant_type: lifetime()
        ),
    )
    app.add_url_rule("/oauth/token", "oauth_token", server.create_token_response, methods=["POST"])
    protector = ResourceProtector()
    protector.register_token_validator(Validator(store))
    return protector


def authenticate(protector: ResourceProtector, scope: str) -> Response | None:
    """Check the bearer token has `scope`; set `g.client_id`, or return the 401/403 problem."""
    try:  # Authlib's own check, handed Flask's request: it reads only the headers, so the
        # per-request OAuth2 request wrapper `acquire_token` builds is not needed
        token = protector.validate_request([scope], request)
    except OAuth2Error as error:
        return auth_problem(error, scope)
    g.client_id = token.access.client_id
    g.scopes = frozenset(token.access.scopes)
    return None


def auth_problem(error: OAuth2Error, scope: str) -> Response:
    if isinstance(error, InsufficientScopeError):
        header = f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'
        return problem(
            403,
            "insufficient_scope",
            "The token lacks a scope this needs.",
            f"This call needs the {scope} scope.",
            {"WWW-Authenticate": header},
            required_scope=scope,
        )
    if isinstance(error, MissingAuthorizationError) or not request.headers.get("Authorization"):
        return problem(
            401,
            "unauthorized",
            "Authentication required.",
            "Send `Authorization: Bearer <token>` from POST /oauth/token.",
            {"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        )
    header = (
        f'Bearer realm="{REALM}", error="invalid_token", '
        'error_description="The access token is expired, revoked or unknown."'
    )
    return problem(
        401,
        "invalid_token",
        "The access token is not valid.",
        "The access token is expired, revoked or unknown; get a new one.",
        {"WWW-Authenticate": header},
    )

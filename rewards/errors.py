"""Domain errors: each refusal has a stable code and a message a person understands."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal the domain makes; adapters map `code` to their own error shape."""

    code = "domain_error"
    status = 400  # a hint for HTTP adapters; the domain itself never speaks HTTP

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    code = "not_found"
    status = 404


class EmployeeNotFound(NotFound):
    code = "employee_not_found"


class CatalogItemNotFound(NotFound):
    code = "catalog_item_not_found"


class RedemptionNotFound(NotFound):
    code = "redemption_not_found"


class InsufficientPoints(DomainError):
    code = "insufficient_points"
    status = 409


class SelfRecognition(DomainError):
    code = "self_recognition"
    status = 422


class InvalidPoints(DomainError):
    code = "invalid_points"
    status = 422


class ReasonRequired(DomainError):
    code = "reason_required"
    status = 422


class TextTooLong(DomainError):
    code = "text_too_long"
    status = 422


class UnknownValue(DomainError):
    code = "unknown_value"
    status = 422


class DailyCapExceeded(DomainError):
    code = "daily_cap_exceeded"
    status = 422


class InactiveEmployee(DomainError):
    code = "inactive_employee"
    status = 422


class NoRecipients(DomainError):
    code = "no_recipients"
    status = 422


class IllegalTransition(DomainError):
    code = "illegal_transition"
    status = 409


class OutOfStock(DomainError):
    code = "out_of_stock"
    status = 409


class ItemUnavailable(DomainError):
    code = "item_unavailable"
    status = 409


class AddressRequired(DomainError):
    code = "postal_address_required"
    status = 422


class NotAnApprover(DomainError):
    code = "not_an_approver"
    status = 403


class IdempotencyConflict(DomainError):
    """The same idempotency key was used for a different request."""

    code = "idempotency_conflict"
    status = 422


class EmployeeErased(DomainError):
    """An erased employee's HR id stays retired: nobody may be created under it again."""

    code = "employee_erased"
    status = 409


class AccountClosed(DomainError):
    """The person's data was erased: they are not met again from their chat profile."""

    code = "account_closed"
    status = 403


class DuplicateEmployee(DomainError):
    code = "duplicate_employee"
    status = 409


class DecryptionError(Exception):
    """A stored ciphertext could not be opened: wrong key, tampered, or moved from another row."""

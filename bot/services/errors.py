"""The service layer's own failure: a sentence for the user, raised before anything is stored."""


class ServiceError(Exception):
    """Bad input or state the user can fix; ``str(error)`` is shown as it is."""


class NotFound(ServiceError):
    """The broadcast or meeting asked for does not exist in this workspace."""

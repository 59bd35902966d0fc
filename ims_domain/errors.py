"""The one exception family raised by ims_domain, so adapters can catch our errors only."""


class ImsDomainError(ValueError):
    """Base class for every error ims_domain raises on bad input."""

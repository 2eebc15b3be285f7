"""mixite: French intercommunal social-housing allocation policy, from official data to documents."""

from mixite.errors import MixiteError

__version__ = "0.1.0"
__all__ = ["MixiteError", "__version__"]

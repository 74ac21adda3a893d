"""Synthetic landing data with planted, labelled cases: see generator.generate."""
from .access_cases import PLANTING_ORDER as ACCESS_CATEGORIES
from .detainers import PLANTED_CATEGORIES as DETAINER_CATEGORIES
from .generator import LOG_GAP, generate

# Every category the generator plants: the detainer cases', the access planters' (named after
# their categories) and the log gap planted with the sequence numbers.
PLANTED_CATEGORIES = DETAINER_CATEGORIES + ACCESS_CATEGORIES + (LOG_GAP,)

__all__ = ["PLANTED_CATEGORIES", "generate"]

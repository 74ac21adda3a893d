"""Synthetic landing data with planted, labelled cases: see generator.generate."""
from .generator import generate

__all__ = ["generate"]

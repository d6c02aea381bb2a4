"""Document-grounded extractive question answering with verbatim, offset-exact citations."""

__version__ = "0.1.0"

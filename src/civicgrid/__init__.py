"""civicgrid: grid-based community governance and citizen-request handling for a district."""

__version__ = "0.1.0"

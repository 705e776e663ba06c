"""civicgrid.adapters.db"""

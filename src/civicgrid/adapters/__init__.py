"""civicgrid.adapters"""

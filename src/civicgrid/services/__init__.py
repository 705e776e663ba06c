"""civicgrid.services"""

"""civicgrid.entrypoints"""

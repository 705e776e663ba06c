"""civicgrid.demo"""

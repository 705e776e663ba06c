"""Page routes, one module per desk (resident, operator, field, department, supervisor, command, admin)."""

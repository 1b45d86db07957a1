"""The views of the web blueprint, one module per area of the application."""

"""The HTTP face of mockidp: thin Starlette handlers over `mockidp.core`."""

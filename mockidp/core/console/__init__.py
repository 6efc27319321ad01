"""What the web console (`/mockidp/console`) needs from the domain beyond the control plane: the flows its
debugger starts (`debugger.py`). Token checks are `core/tokens.py`'s `inspect_token`, the one verifier."""

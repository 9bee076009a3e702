"""What runs INSIDE the sandbox: the ``DFF`` object and the helpers scripts call.

No Flask, no models, no ``webapp`` imports outside ``webapp.sdk``: these modules are copied into
the sandbox runtime directory and imported there by a bare interpreter.
"""

"""A local OpenID Connect provider, speaking the real wire formats, so the console's real sign-in
code runs against it: used by the tests and by `esafety-bot demo --console`."""

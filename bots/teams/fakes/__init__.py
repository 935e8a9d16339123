"""Local fakes of the Bot Connector and of an OpenID Connect provider, speaking the real wire
formats so the real botbuilder code runs against them: used by the tests, the demo and the bench."""

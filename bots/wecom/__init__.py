"""Everything that knows WeCom (企业微信): callbacks in, the server API out, its roster and its fakes."""

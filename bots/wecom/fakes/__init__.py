"""A local fake of the WeCom server API and WeCom's sealed callbacks, speaking the real wire formats
so the real wechatpy code runs against them: used by the tests, the demo and the bench."""

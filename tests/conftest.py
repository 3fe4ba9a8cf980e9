pytest_plugins = ["tests.fakebot.pytest_plugin"]

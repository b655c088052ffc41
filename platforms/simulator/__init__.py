"""A local stand-in for the social platforms: the same endpoints, wire formats, rate
limits and OAuth flows as X, Facebook, Instagram, YouTube, Mastodon, Bluesky and
LinkedIn, served under /<platform> + the real URL's path (see platforms.base.simulator_urls).

    python -m platforms.simulator serve --port 8700 --generate-every 20
    server, base_url = platforms.simulator.server.run_in_thread()

generator.py makes realistic council mentions; control.py documents the /_sim/ API.
"""

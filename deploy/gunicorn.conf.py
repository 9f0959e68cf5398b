"""gunicorn settings for ALEx: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be overridden by an environment variable, so the systemd unit, `make bench` and
the tests run the same file.
"""

import gc
import multiprocessing
import os

# The workers share the master's memory (preload_app) until something writes to it, and Python's
# collector writes to every object it visits. So, as the gc module's documentation advises for
# servers that fork: no collections in the master while the app loads (freed gaps would be filled
# and copied later), everything it built frozen right before each fork (the workers' collections
# never visit it), collections on again in each worker. Three workers after the same traffic:
# 267–326 MB PSS without, 211–235 MB with.
gc.disable()

bind = os.environ.get("ALEX_BIND", "127.0.0.1:8000")
# Two per core plus one keeps the cores busy while some workers wait on the database.
workers = int(os.environ.get("ALEX_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
# Threads let one worker hold many keep-alive connections (meeting polls every 2 s) cheaply.
worker_class = "gthread"
threads = int(os.environ.get("ALEX_THREADS") or 4)
# Load the app once in the master: faster restarts and copy-on-write memory in the workers.
preload_app = True
# A request that takes longer than this is killed; nothing in ALEx should take a second.
timeout = int(os.environ.get("ALEX_TIMEOUT") or 30)
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak can never take the server down.
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("ALEX_ACCESS_LOG", "-") or None
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'
# Calendar-feed, invite and reset tokens in URLs are written as [redacted].
logger_class = "alex.access_log.RedactingLogger"
# nginx in front speaks to us on loopback only; the app trusts X-Forwarded-* via ALEX_PROXY_FIX.
forwarded_allow_ips = "127.0.0.1"
proc_name = "alex"


def when_ready(server):
    """Compile every template in the master before any worker forks: the workers share them.

    Otherwise each new worker (at start and after every max_requests recycling) compiles its
    templates on its first requests, which made those requests ten times slower.
    """
    from wsgi import app

    for name in app.jinja_env.list_templates(extensions=("html", "js")):
        app.jinja_env.get_template(name)


def pre_fork(server, worker):
    """What the master built (app, compiled templates) goes to the permanent generation (see top)."""
    gc.freeze()


def post_fork(server, worker):
    """Each worker collects garbage again and opens its own database connections; sockets
    inherited from the master are dropped."""
    gc.enable()
    from alex.extensions import db
    from wsgi import app

    with app.app_context():
        db.engine.dispose(close=False)

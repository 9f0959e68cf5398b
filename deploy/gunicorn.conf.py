"""gunicorn settings for ALEx: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be overridden by an environment variable, so the systemd unit, `make bench` and
the tests run the same file.
"""

import gc
import multiprocessing
import os
from collections import Counter

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
    """What the master built (app, compiled templates) goes to the permanent generation (see top);
    the new worker gets its core (see `pin_to_one_core`)."""
    gc.freeze()
    worker.alex_core = least_busy_core(server.WORKERS.values())


def post_fork(server, worker):
    """Each worker collects garbage again, keeps to its core and opens its own database
    connections; sockets inherited from the master are dropped."""
    gc.enable()
    pin_to_one_core(worker)
    from alex.extensions import db
    from wsgi import app

    with app.app_context():
        db.engine.dispose(close=False)


def least_busy_core(workers) -> int | None:
    """The core the fewest live workers keep to (None: leave the worker to the scheduler).

    Chosen in the master, which knows every worker's core: a worker that replaces a recycled
    one (max_requests) takes the core that is short of one.
    """
    cores = sorted(os.sched_getaffinity(0))
    if os.environ.get("ALEX_PIN_WORKERS", "1") == "0" or len(cores) < 2:
        return None
    taken = Counter(getattr(worker, "alex_core", None) for worker in workers)
    return min(cores, key=lambda core: (taken[core], core))


def pin_to_one_core(worker) -> None:
    """Keep this worker and its threads on one core, so the scheduler does not move it.

    A worker moved to another core finds that core's caches cold. On the 2-core bench machine a
    retro phase change (gunicorn's own request time) took 3.0-3.2 ms in six starts with the
    worker and the client each kept to a core, and 3.3-6.2 ms, varying from start to start,
    with both left to the scheduler. The same idea as nginx's `worker_cpu_affinity auto`.
    ALEX_PIN_WORKERS=0 leaves the placement to the scheduler.
    """
    core = getattr(worker, "alex_core", None)
    if core is not None:
        os.sched_setaffinity(0, {core})

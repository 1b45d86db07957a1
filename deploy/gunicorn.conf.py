"""gunicorn settings of one application server (deploy/systemd/workflow-web.service).

Read from the environment file (/etc/workflow/workflow.env), with these defaults:
WEB_BIND (127.0.0.1:8000; a private address when nginx runs on another machine),
WEB_WORKERS (2 × cores + 1), WEB_TIMEOUT (120 s), WEB_ACCESS_LOG ("-": the journal; "off": none,
nginx keeps its own access log of every request).
The server keeps nothing of its own: sessions are signed cookies, files are in the
database storage, jobs are rows of the jobs table; any number of these servers can run
behind nginx.
"""
import multiprocessing
import os

bind = os.environ.get("WEB_BIND", "127.0.0.1:8000").split()
workers = int(os.environ.get("WEB_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
timeout = int(os.environ.get("WEB_TIMEOUT") or 120)
graceful_timeout = 30
# Recycle workers now and then (memory of a long-lived process), not all at once. Not too often:
# a new worker costs about a second of CPU to load the application and warm its caches, which at
# the load target (hundreds of requests per second, issue 16) recycling every 2,000 requests
# would pay several times a minute.
max_requests = 20000
max_requests_jitter = 2000
proc_name = "workflow-web"
accesslog = None if os.environ.get("WEB_ACCESS_LOG", "-").strip().lower() in ("off", "") \
    else os.environ.get("WEB_ACCESS_LOG", "-")
errorlog = os.environ.get("WEB_ERROR_LOG", "-")
# h: nginx's address; the client as nginx saw it is the last X-Forwarded-For entry.
access_log_format = '%(h)s "%({x-forwarded-for}i)s" %(t)s "%(r)s" %(s)s %(B)s %(M)sms pid=%(p)s'
# gunicorn's own worker heartbeat files in memory, not on a possibly slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

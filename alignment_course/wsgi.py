"""WSGI entry point (gunicorn alignment_course.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment_course.settings")
application = get_wsgi_application()

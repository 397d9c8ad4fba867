import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tousu.settings")
application = get_wsgi_application()

from tousu.core.heap import settle_web_process  # noqa: E402 - needs the settings above

settle_web_process()

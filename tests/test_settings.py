"""Production settings pass Django's deploy checks; settings come from the environment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROD = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x7#kq2!vR9pLm4zT8wYb3nHs6Jd1Fc5Ga0Ue2Io9Xy7Vt4Qr8Pw3Zm6Nb1Lk5Jh2",
    "DJANGO_ALLOWED_HOSTS": "course.example.org",
}


def run_manage(*args, env):
    # The browser tests allow async-unsafe ORM calls in this process; a deployment must not.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True
    )


def test_check_deploy_passes_with_production_values():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PROD)
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PROD.items() if k != "DJANGO_SECRET_KEY"}
    result = run_manage("check", env={**env, "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_production_cookies_use_the_host_prefix():
    code = (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SECURE_SSL_REDIRECT)"
    )
    result = run_manage("shell", "--no-imports", "-c", code, env=PROD)
    assert result.stdout.split() == ["__Host-sessionid", "__Host-csrftoken", "True"]
    result = run_manage("shell", "--no-imports", "-c", code, env={**PROD, "DJANGO_SECURE_SSL_REDIRECT": "0"})
    assert result.stdout.split()[-1] == "False"
